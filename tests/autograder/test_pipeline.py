"""The instructor pipeline end to end, through the CLI, as an instructor runs it.

* the demo submissions score the expected table; feedback exists and hides the hidden
  tests; the CSVs parse with the expected columns; the report has its plots;
* two workers give exactly the gradebook one worker gives;
* kill -9 in the middle of `grade`, run it again: nothing graded is regraded, nothing
  is half-written, the totals equal an uninterrupted run (SQLite and PostgreSQL);
* manual grades entered in formgrader survive a regrade;
* a Dask cluster grades the same as local workers;
* bad input gets a one-line error that says what to do, and a non-zero exit code.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.ledger import Ledger
from conftest import REPO, cli, make_course, samples_dir, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

EXPECTED = {
    "ex02_tdnn": {"ada": 10, "babbage": 3, "curie": 3, "darwin": 7, "euler": 0,
                  "fermi": 10, "gauss": None},
    "ex05_elman": {"ada": 11, "babbage": 10, "curie": 3, "darwin": 6, "euler": 0,
                   "fermi": 11, "gauss": None},
}


def snapshot(course_dir, db=None):
    """Everything grading decides: ledger rows and every grade in the gradebook."""
    course = Course(course_dir, db)
    ledger = Ledger(course.db_url)
    rows = {(r["assignment"], r["student"]): (r["status"], r["score"], r["reason"],
                                              json.dumps(r["details"].get("verdicts"), sort_keys=True))
            for r in ledger.rows()}
    ledger.dispose()
    grades = {}
    with course.gradebook() as gb:
        for a in gb.assignments:
            for sub in a.submissions:
                for nb in sub.notebooks:
                    for g in nb.grades:
                        grades[(a.name, sub.student.id, g.name)] = (g.auto_score, g.manual_score)
    return rows, grades


def totals(course_dir, db=None):
    rows, _ = snapshot(course_dir, db)
    out = {}
    for (a, s), (status, score, _, _) in rows.items():
        out.setdefault(a, {})[s] = score if status == "graded" else None
    return out


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# -- end to end ---------------------------------------------------------------------------------

ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,ex02_tdnn: time-delay networks (4242),Unrelated quiz (777)
    Points Possible,,,,,11,5
"Lovelace, Ada",ada,S001,ada@uni.example,Mon,,
"Babbage, Charles",babbage,S002,babbage@uni.example,Mon,,
"Curie, Marie",curie,S003,curie@uni.example,Tue,,
"Darwin, Charles",darwin,S004,darwin@uni.example,Tue,,
"Euler, Leonhard",euler,S005,euler@uni.example,Mon,,
"Fermi, Enrico",fermi,S006,fermi@uni.example,Tue,,
"Gauss, Carl",gauss,S007,gauss@uni.example,Mon,,
"Hopper, Grace",hopper,S008,hopper@uni.example,Tue,,
"Student, Test",999,,,,,
"""
# 10% per started day after 10 minutes of grace, at most 50%; fermi (34.3 h late on both)
# loses 20% on ex02 and has a 48 h extension on ex05.
LATE = {("ex02_tdnn", "fermi"): (10, 8, 20)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    root = base / "course"
    make_course(root, assignments=tuple(EXPECTED))
    (base / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = cli("roster", "--course", root, base / "roster.csv")
    cli("late-policy", "--course", root, "--percent", "10", "--per", "day", "--cap", "50",
        "--grace", "10")
    cli("extend", "--course", root, "ex05_elman", "fermi", "--hours", "48")
    graded = cli("grade", "--course", root, "--workers", "2")
    cli("feedback", "--course", root)
    exported = cli("export", "--course", root, "--canvas-column",
                   "ex05_elman=Elman networks (4545)")
    cli("report", "--course", root)
    return root, graded, exported, roster


def test_scores_equal_the_expected_table(demo):
    root, graded, _, _ = demo
    assert totals(root) == EXPECTED
    assert "12 graded" in graded.stdout and "2 failed" in graded.stdout
    assert "not valid JSON" in graded.stdout


def test_roster_names_reach_nbgrader(demo):
    root, _, _, roster = demo
    assert roster.stdout.strip() == (f"imported 8 student(s) from {root.parent / 'roster.csv'}; "
                                     "Canvas columns: ex02_tdnn -> ex02_tdnn: time-delay "
                                     "networks (4242)")
    with Course(root).gradebook() as gb:
        ada = gb.find_student("ada")
        assert (ada.first_name, ada.last_name, ada.email) == ("Ada", "Lovelace", "ada@uni.example")
        assert gb.find_student("hopper").last_name == "Hopper"
        assert "999" not in {s.id for s in gb.students}


def test_canvas_csv_has_canvas_columns_and_late_scores(demo):
    root, _, exported, _ = demo
    rows = read_csv(root / "exports" / "grades.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "ex02_tdnn: time-delay networks (4242)", "Elman networks (4545)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "11", "12"]
    body = {r[1]: r for r in rows[2:]}
    assert body["ada"][:5] == ["Lovelace, Ada", "ada", "S001", "ada@uni.example", "Mon"]
    for a_index, a in enumerate(EXPECTED):
        for s, score in EXPECTED[a].items():
            if (a, s) in LATE:
                score = LATE[(a, s)][1]
            assert body[s][5 + a_index] == ("" if score is None else f"{score:g}"), (a, s)
    # failed (gauss) and not submitted (hopper): both empty, never 0
    assert body["hopper"][5:] == ["", ""] and body["gauss"][5:] == ["", ""]
    assert exported.stdout.startswith("Student,ID,")
    assert "awaiting hand grading" in exported.stderr


def test_gradescope_csv(demo):
    root, _, _, _ = demo
    rows = read_csv(root / "exports" / "gradescope_ex02_tdnn.csv")
    assert rows[0] == ["Name", "Email", "SID", "Score"]
    by = {r[2]: r for r in rows[1:]}
    assert by["S001"] == ["Ada Lovelace", "ada@uni.example", "S001", "10"]
    assert by["S006"] == ["Enrico Fermi", "fermi@uni.example", "S006", "8"]
    assert by["S007"][3] == "" and by["S008"][3] == ""
    assert len(rows) == 1 + 8


def test_detail_csvs_tell_failed_pending_and_missing_apart(demo):
    root, _, _, _ = demo
    subs = read_csv(root / "exports" / "submissions.csv")
    header, rows = subs[0], subs[1:]
    assert header == ["assignment", "student", "name", "status", "reason", "score", "raw_score",
                      "max_score", "seconds_late", "extension_hours", "late_penalty_percent",
                      "lms_late", "pending", "faults", "flags"]
    by = {(r[0], r[1]): dict(zip(header, r)) for r in rows}
    assert by[("ex02_tdnn", "gauss")]["status"] == "failed"
    assert "not valid JSON" in by[("ex02_tdnn", "gauss")]["reason"]
    assert by[("ex02_tdnn", "hopper")]["status"] == "not submitted"
    assert by[("ex02_tdnn", "euler")]["status"] == "graded" and by[("ex02_tdnn", "euler")]["score"] == "0"
    ada = by[("ex02_tdnn", "ada")]
    assert (ada["status"], ada["pending"], ada["name"]) == ("pending", "written_width",
                                                           "Ada Lovelace")
    fermi = by[("ex02_tdnn", "fermi")]
    assert (fermi["seconds_late"], fermi["late_penalty_percent"], fermi["raw_score"],
            fermi["score"]) == ("123360", "20", "10", "8")
    fermi5 = by[("ex05_elman", "fermi")]
    assert (fermi5["extension_hours"], fermi5["seconds_late"], fermi5["late_penalty_percent"],
            fermi5["score"]) == ("48", "0", "0", "11")
    assert float(by[("ex02_tdnn", "ada")]["seconds_late"]) == 0
    cells = read_csv(root / "exports" / "grade_cells.csv")
    assert cells[0] == ["assignment", "student", "grade_id", "score", "max_score",
                        "auto_score", "manual_score", "status", "verdict", "reason"]
    curie = [r for r in cells[1:] if r[:3] == ["ex02_tdnn", "curie", "tdnn_backward_W"]][0]
    assert curie[7:9] == ["graded", "failed"] and "relative error" in curie[9]
    written = [r for r in cells[1:] if r[:3] == ["ex02_tdnn", "ada", "written_width"]][0]
    assert written[3] == "" and written[7] == "pending"


def test_feedback_exists_and_hides_hidden_tests(demo):
    root, _, _, _ = demo
    from autograder.challenge import load
    secrets = ["BEGIN HIDDEN TESTS", "autograder.hidden", "__rnngrade", "rnngrade",
               "Notes for the instructor"]
    for a in EXPECTED:
        for ch in load(a).values():
            secrets += [ln.strip() for ln in ch.kernel.splitlines() if len(ln.strip()) > 15]
    for a, students in EXPECTED.items():
        for s in students:
            page = root / "feedback" / s / a / f"{a}.html"
            assert page.is_file(), page
            text = page.read_text(encoding="utf-8")
            for secret in secrets:
                assert secret not in text, (page, secret)
            if students[s] is not None:
                assert '<script src="../../_static/mathjax/tex-svg-full.js" defer>' in text
                assert not re.search(r"<script[^>]+src=\"https?:", text), page
    assert (root / "feedback" / "_static" / "mathjax" / "tex-svg-full.js").is_file()
    curie = (root / "feedback" / "curie" / "ex02_tdnn" / "ex02_tdnn.html").read_text()
    assert "Grading summary" in curie and "relative error" in curie
    gauss = (root / "feedback" / "gauss" / "ex02_tdnn" / "ex02_tdnn.html").read_text()
    assert "could not be graded" in gauss and "not valid JSON" in gauss
    fermi = (root / "feedback" / "fermi" / "ex02_tdnn" / "ex02_tdnn.html").read_text()
    assert "Submitted 34.3 h after the due date" in fermi
    assert "10% off per started day late after a grace period of 10 minutes, at most 50%" in fermi
    assert "Penalty: <strong>20%</strong> of the score" in fermi
    fermi5 = (root / "feedback" / "fermi" / "ex05_elman" / "ex05_elman.html").read_text()
    assert "Submitted on time (your due date includes an extension of 48 h)" in fermi5


@pytest.mark.browser
def test_feedback_maths_is_typeset_offline(demo):
    root, _, _, _ = demo
    page = root / "feedback" / "ada" / "ex02_tdnn" / "ex02_tdnn.html"
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                          "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<mjx-container") >= 3


def test_report_has_its_plots(demo):
    root, _, _, _ = demo
    page = (root / "reports" / "report.html").read_text()
    from PIL import Image
    for a in EXPECTED:
        png = root / "reports" / f"{a}.png"
        assert f'src="{png.name}"' in page
        with Image.open(png) as im:
            assert im.size[0] > 600 and im.size[1] > 250
    assert "Most failed test" in page


def test_pending_answers_can_be_left_empty(demo):
    root, _, _, _ = demo
    out = cli("export", "--course", root, "--pending", "empty")
    body = {r[1]: r for r in read_csv(root / "exports" / "grades.csv")[2:]}
    assert body["ada"][5] == "" and body["babbage"][5] == "3" and body["fermi"][5] == ""
    assert "left empty" in out.stderr
# -- parallel grading ------------------------------------------------------------------------

def test_two_workers_give_the_same_gradebook_as_one(tmp_path):
    one = make_course(tmp_path / "one")
    two = make_course(tmp_path / "two")
    cli("grade", "--course", one, "--workers", "1", "--quiet")
    cli("grade", "--course", two, "--workers", "2", "--quiet")
    assert snapshot(one) == snapshot(two)
    assert totals(one) == {"ex02_tdnn": EXPECTED["ex02_tdnn"]}


# -- crash and resume --------------------------------------------------------------------------

def _many_students(root, copies=3):
    """The ex02 samples under several names, so a run takes long enough to interrupt."""
    for k in range(2, copies + 1):
        for sdir in (root / "submitted").iterdir():
            if not sdir.name[-1].isdigit():
                shutil.copytree(sdir, root / "submitted" / f"{sdir.name}{k}")


def _expected_many(copies=3):
    base = EXPECTED["ex02_tdnn"]
    out = dict(base)
    for k in range(2, copies + 1):
        out.update({f"{s}{k}": v for s, v in base.items()})
    return {"ex02_tdnn": out}


def _orphaned_kernels():
    """Sandboxed kernel processes whose grading worker is gone (adopted by init)."""
    orphans = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if "rnngrade-kernel-" in cmd and cmd.startswith("/usr/bin/bwrap") and ppid == 1:
            orphans.append(int(entry.name))
    return orphans


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_then_resume(tmp_path, backend, request):
    db = request.getfixturevalue("postgres")(f"resume_{os.getpid()}") if backend == "postgresql" else None
    root = make_course(tmp_path / "course", db)
    _many_students(root)
    db_args = ["--db", db] if db else []
    course = Course(root, db)
    total = len(list((root / "submitted").iterdir()))

    def done():
        try:
            ledger = Ledger(course.db_url)
            n = len(ledger.rows())
            ledger.dispose()
            return n
        except Exception:   # noqa: BLE001 -- the table may not exist yet
            return 0

    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "--course", str(root),
                             *db_args, "--workers", "2", "--quiet"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        assert wait_for(lambda: done() >= 3, timeout=300), "grading never got going"
        os.killpg(proc.pid, signal.SIGKILL)           # the grader and its workers, at once
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    first, _ = snapshot(root, db)
    assert 3 <= len(first) < total, f"{len(first)} of {total} graded before the kill"
    ledger = Ledger(course.db_url)
    stamps = {(r["assignment"], r["student"]): r["graded_at"] for r in ledger.rows()}
    ledger.dispose()

    resumed = cli("grade", "--course", root, *db_args, "--workers", "2", "--quiet")
    assert f"{len(first)} skipped" in resumed.stdout, resumed.stdout
    orphans = _orphaned_kernels()
    assert not orphans, f"sandboxed kernels outlived the killed grader: {orphans}"
    assert totals(root, db) == _expected_many()
    ledger = Ledger(course.db_url)
    after = {(r["assignment"], r["student"]): r["graded_at"] for r in ledger.rows()}
    ledger.dispose()
    for key, stamp in stamps.items():
        assert after[key] == stamp, f"{key} was regraded"

    # Nothing half-written: every graded submission has all its grades.
    rows, grades = snapshot(root, db)
    for (a, s), (status, score, _, _) in rows.items():
        if status == "graded":
            cells = {g: v for (aa, ss, g), v in grades.items() if (aa, ss) == (a, s)}
            assert len(cells) == 6 and sum(v[0] or 0 for v in cells.values()) == score

    forced = cli("grade", "--course", root, *db_args, "--workers", "2", "--quiet", "--force")
    broken = sum(1 for s in _expected_many()["ex02_tdnn"].values() if s is None)
    assert f"{total - broken} graded" in forced.stdout and f"{broken} failed" in forced.stdout
    assert totals(root, db) == _expected_many()


# -- manual grades ---------------------------------------------------------------------------------

def test_manual_grades_survive_a_regrade(tmp_path):
    root = make_course(tmp_path / "course")
    cli("grade", "--course", root, "--quiet", "--student", "ada", "--student", "curie")
    course = Course(root)
    with course.gradebook() as gb:                  # what formgrader does
        for s, score, comment in (("ada", 1.0, "Clear and correct."), ("curie", 0.5, "Half.")):
            g = gb.find_grade("written_width", "ex02_tdnn", "ex02_tdnn", s)
            g.manual_score = score
            c = gb.find_comment("written_width", "ex02_tdnn", "ex02_tdnn", s)
            c.manual_comment = comment
        gb.db.commit()
    cli("grade", "--course", root, "--quiet", "--force", "--student", "ada", "--student", "curie")
    with course.gradebook() as gb:
        assert gb.find_grade("written_width", "ex02_tdnn", "ex02_tdnn", "ada").manual_score == 1.0
        assert gb.find_comment("written_width", "ex02_tdnn", "ex02_tdnn", "ada").manual_comment \
            == "Clear and correct."
        assert gb.find_submission("ex02_tdnn", "ada").score == 11
        assert gb.find_submission("ex02_tdnn", "curie").score == 3.5
    cli("export", "--course", root)
    rows = {r[1]: r for r in read_csv(root / "exports" / "grades.csv")[2:]}
    assert rows["ada"][5] == "11" and rows["curie"][5] == "3.5"


# -- PostgreSQL and Dask ----------------------------------------------------------------------------

def test_postgresql_gradebook(tmp_path, postgres):
    db = postgres(f"pipeline_{os.getpid()}")
    root = make_course(tmp_path / "course", db)
    cli("grade", "--course", root, "--db", db, "--workers", "2", "--quiet")
    assert totals(root, db) == {"ex02_tdnn": EXPECTED["ex02_tdnn"]}
    assert not (root / "gradebook.db").exists()


def test_dask_cluster_grades_like_local_workers(tmp_path, postgres):
    from distributed import LocalCluster
    db = postgres(f"dask_{os.getpid()}")
    root = make_course(tmp_path / "course", db)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        result = cli("grade", "--course", root, "--db", db, "--dask-scheduler",
                     cluster.scheduler_address, "--quiet")
    assert "6 graded" in result.stdout and "1 failed" in result.stdout, result.stdout
    assert totals(root, db) == {"ex02_tdnn": EXPECTED["ex02_tdnn"]}


# -- collect ---------------------------------------------------------------------------------------------

CANVAS = {"ada": "lovelaceada_1001_5001_ex02_tdnn.ipynb",
          "curie": "curiemarie_1003_5003_ex02_tdnn.ipynb",
          "fermi": "fermienrico_LATE_1006_5006_ex02_tdnn-1.ipynb"}


def _canvas_zip(path, extra=()):
    with zipfile.ZipFile(path, "w") as z:
        for s, name in CANVAS.items():
            z.write(samples_dir() / "ex02_tdnn" / s / "ex02_tdnn.ipynb", name)
        for name in extra:
            z.writestr(name, "{}")
    return path


def test_collect_a_canvas_zip_and_grade_it(tmp_path):
    root = make_course(tmp_path / "course", samples=False)
    out = cli("collect", "--course", root, "ex02_tdnn", _canvas_zip(tmp_path / "canvas.zip"))
    assert "3 student(s) (1 marked late by the LMS)" in out.stdout
    assert (root / "submitted" / "1001" / "ex02_tdnn" / "ex02_tdnn.ipynb").is_file()
    # Canvas's "-1" of a resubmission is dropped: the notebook has its expected name.
    assert [p.name for p in (root / "submitted" / "1006" / "ex02_tdnn").iterdir()] \
        == ["ex02_tdnn.ipynb"]
    cli("grade", "--course", root, "--quiet")
    assert totals(root) == {"ex02_tdnn": {"1001": 10, "1003": 3, "1006": 10}}
    rows, _ = snapshot(root)
    assert rows[("ex02_tdnn", "1006")][0] == "graded"


def test_collect_refuses_unmatched_names_and_imports_nothing(tmp_path):
    root = make_course(tmp_path / "course", samples=False)
    bad = _canvas_zip(tmp_path / "bad.zip", extra=["README.txt", "my homework.ipynb"])
    out = cli("collect", "--course", root, "ex02_tdnn", bad, check=False)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: 2 file name(s) do not match")
    assert "README.txt" in lines[0] and "--skip-unmatched" in lines[0]
    assert not (root / "submitted").exists() or not any((root / "submitted").iterdir())
    ok = cli("collect", "--course", root, "ex02_tdnn", bad, "--skip-unmatched")
    assert "skipped 2 unmatched file(s)" in ok.stdout
    assert sorted(p.name for p in (root / "submitted").iterdir()) == ["1001", "1003", "1006"]


# -- bad input ---------------------------------------------------------------------------------------------

def _one_line_error(proc, *needles):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for n in needles:
        assert n in lines[0], lines[0]


def test_missing_course_directory(tmp_path):
    for cmd in ("grade", "feedback", "export", "report"):
        _one_line_error(cli(cmd, "--course", tmp_path / "nope", check=False),
                        "does not exist", "release --course")
    _one_line_error(cli("collect", "--course", tmp_path / "nope", "ex02_tdnn",
                        samples_dir() / "ex02_tdnn", check=False), "does not exist")


def test_unknown_assignment(tmp_path):
    root = make_course(tmp_path / "course", samples=False)
    for args in (("grade", "ex99_nothing"), ("release", "ex99_nothing"),
                 ("collect", "ex99_nothing", samples_dir() / "ex02_tdnn")):
        _one_line_error(cli(args[0], "--course", root, *args[1:], check=False),
                        "unknown assignment 'ex99_nothing'", "ex02_tdnn")


def test_unreachable_database(tmp_path):
    for db in ("postgresql://nobody@127.0.0.1:1/gradebook", "mysql+nosuchdriver://x/y",
               "not a url"):
        _one_line_error(cli("grade", "--course", tmp_path / "new", "--db", db, check=False), "--db"
                        if db == "not a url" else "gradebook")


def test_grading_before_release_and_feedback_before_grading(tmp_path):
    root = tmp_path / "course"
    cli("release", "--course", root, "ex05_elman")
    shutil.copytree(samples_dir() / "ex02_tdnn" / "ada", root / "submitted" / "ada" / "ex02_tdnn")
    _one_line_error(cli("grade", "--course", root, check=False), "never released", "release")
    for cmd in ("feedback", "report"):
        _one_line_error(cli(cmd, "--course", root, check=False), "run `grade` first")


def test_grade_refuses_without_the_sandbox(tmp_path):
    root = make_course(tmp_path / "course", samples=False)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    env = {"PATH": f"{bindir}:/usr/local/bin:/usr/sbin:/sbin"}     # no /usr/bin: no bwrap
    proc = cli("grade", "--course", root, check=False, env=env)
    _one_line_error(proc, "bubblewrap", "--unsafe-no-sandbox")
