"""``collect``: Canvas names, duplicates and resubmissions, times, and hostile uploads.

No grading here: every test imports into a copy of one released course and checks
exactly which files landed in which student's submission, and what was reported.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO, cli, make_course, samples_dir
from hostile import PEAK_RSS_KB

A = "ex02_tdnn"


@pytest.fixture(scope="module")
def NB():
    """Three different demo notebooks, as bytes."""
    return {s: (samples_dir() / A / s / f"{A}.ipynb").read_bytes()
            for s in ("ada", "curie", "fermi")}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("collect") / "course", samples=False)


@pytest.fixture
def course(released, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(released, root)
    return root


def submitted(root):
    """student -> {relative file name: bytes} of everything imported."""
    out = {}
    base = root / "submitted"
    if base.is_dir():
        for sdir in base.iterdir():
            folder = sdir / A
            out[sdir.name] = {str(f.relative_to(folder)): f.read_bytes()
                              for f in folder.rglob("*") if f.is_file()}
    return out


def make_zip(path, entries):
    """entries: (name, bytes, (y, m, d, H, M, S) or None)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, when in entries:
            info = zipfile.ZipInfo(name, date_time=when or (2026, 11, 1, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path


def inner_zip(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


# -- Canvas: duplicates, resubmissions, late markers and times --------------------------------

def test_newest_upload_wins_and_the_others_are_reported(course, tmp_path, NB):
    src = make_zip(tmp_path / "canvas.zip", [
        # one user id twice: keep the newer by the time in the zip
        ("lovelaceada_1001_5001_ex02_tdnn.ipynb", NB["curie"], (2026, 11, 1, 10, 0, 0)),
        ("lovelaceada_LATE_1001_5002_ex02_tdnn.ipynb", NB["ada"], (2026, 11, 2, 9, 0, 0)),
        # Canvas's "-1" for a file uploaded again: the resubmission is the newer one
        ("fermienrico_1006_5006_ex02_tdnn.ipynb", NB["curie"], None),
        ("fermienrico_1006_5006_ex02_tdnn-1.ipynb", NB["fermi"], None),
        ("curiemarie_1003_5003_ex02_tdnn.ipynb", NB["curie"], None),
    ])
    out = cli("collect", "--course", course, A, src)
    files = submitted(course)
    assert files == {"1001": {"ex02_tdnn.ipynb": NB["ada"]},
                     "1006": {"ex02_tdnn.ipynb": NB["fermi"]},
                     "1003": {"ex02_tdnn.ipynb": NB["curie"]}}
    dropped = [ln for ln in out.stdout.splitlines() if ln.startswith("dropped older upload")]
    assert dropped == [
        "dropped older upload 1001: lovelaceada_1001_5001_ex02_tdnn.ipynb (kept the newer "
        "lovelaceada_LATE_1001_5002_ex02_tdnn.ipynb)",
        "dropped older upload 1006: fermienrico_1006_5006_ex02_tdnn.ipynb (kept the newer "
        "fermienrico_1006_5006_ex02_tdnn-1.ipynb)"]
    assert "3 student(s) (1 marked late by the LMS)" in out.stdout
    record = json.loads((course / "lms" / f"{A}.json").read_text())
    assert record["1001"]["late"] is True and record["1003"]["late"] is False
    assert record["1001"]["submitted_at"] is None     # no --times: the zip's time is no deadline


def test_times_from_the_lms_become_submission_times(course, tmp_path, NB):
    src = make_zip(tmp_path / "canvas.zip", [
        ("fermienrico_LATE_1006_5006_ex02_tdnn.ipynb", NB["fermi"], None),
        ("lovelaceada_1001_5001_ex02_tdnn.ipynb", NB["ada"], None)])
    times = tmp_path / "times.csv"
    times.write_text("user_id,submitted_at\n1006,2026-11-03T09:59:00Z\n"
                     "1001,2026-11-01T18:00:00-08:00\n")
    cli("collect", "--course", course, A, src, "--times", times)
    stamp = (course / "submitted" / "1006" / A / "timestamp.txt").read_text()
    assert stamp == "2026-11-03 09:59:00.000000 UTC"
    assert (course / "submitted" / "1001" / A / "timestamp.txt").read_text() \
        == "2026-11-02 02:00:00.000000 UTC"
    record = json.loads((course / "lms" / f"{A}.json").read_text())
    assert record["1006"] == {"late": True, "submitted_at": "2026-11-03T09:59:00+00:00",
                              "files": ["fermienrico_LATE_1006_5006_ex02_tdnn.ipynb"]}
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,submitted_at\n1006,03/11/2026 09:59\n")
    proc = cli("collect", "--course", course, A, src, "--times", bad, "--overwrite",
               check=False)
    assert proc.returncode == 2 and "not an ISO 8601 time" in proc.stderr


def test_collect_into_an_unreleased_assignment_changes_nothing(course):
    before = sorted(p.name for p in course.iterdir())
    proc = cli("collect", "--course", course, "ex05_elman", samples_dir() / "ex05_elman", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: assignment ex05_elman was never released in this course; run "
        f"`python -m autograder release --course {course.resolve()} ex05_elman` first "
        "(nothing was imported)"]
    assert sorted(p.name for p in course.iterdir()) == before


# -- hostile uploads ----------------------------------------------------------------------------

def test_links_are_never_followed(course, tmp_path, NB):
    handed = tmp_path / "handed_in"
    for s in ("ada", "curie"):
        (handed / s).mkdir(parents=True)
        (handed / s / f"{A}.ipynb").write_bytes(NB[s])
    secret = REPO / "solutions" / A / f"{A}.md"
    (handed / "ada" / "solution.ipynb").symlink_to(secret)
    (handed / "ada" / "data").symlink_to(REPO / "solutions")
    (handed / "mallory").symlink_to(REPO / "solutions" / A)     # a whole "student" that is a link
    out = cli("collect", "--course", course, A, handed)
    assert submitted(course) == {"ada": {f"{A}.ipynb": NB["ada"]},
                                 "curie": {f"{A}.ipynb": NB["curie"]}}
    links = sorted(ln for ln in out.stdout.splitlines() if ln.startswith("skipped link"))
    assert links == ["skipped link ada/data (links are never followed)",
                     "skipped link ada/solution.ipynb (links are never followed)",
                     "skipped link mallory (links are never followed)"]
    # A symlink stored inside an uploaded zip is skipped as well.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("solution.ipynb")
        info.external_attr = (0o120777 << 16)
        z.writestr(info, str(secret))
        z.writestr(f"{A}.ipynb", NB["curie"])
    src = make_zip(tmp_path / "canvas.zip",
                   [("curiemarie_1003_5003_work.zip", buf.getvalue(), None)])
    out = cli("collect", "--course", course, A, src)
    assert submitted(course)["1003"] == {f"{A}.ipynb": NB["curie"]}
    assert "note: 1003: work.zip: link 'solution.ipynb' skipped" in out.stdout


def test_a_nested_archive_only_fills_its_uploaders_submission(course, tmp_path, NB):
    payload = inner_zip([
        ("curiemarie_1003_5003_ex02_tdnn.ipynb", NB["fermi"]),       # Canvas name of another student
        ("hopperg_1010_5010_ex02_tdnn.ipynb", NB["fermi"]),          # and of a non-submitter
        ("../../../escape.txt", b"x"), ("/etc/evil", b"x")])
    src = make_zip(tmp_path / "canvas.zip", [
        ("curiemarie_1003_5003_ex02_tdnn.ipynb", NB["curie"], None),
        ("lovelaceada_1001_5001_ex02_tdnn.ipynb", NB["ada"], None),
        ("lovelaceada_1001_5001_payload.zip", payload, None)])
    out = cli("collect", "--course", course, A, src)
    assert submitted(course) == {
        "1003": {f"{A}.ipynb": NB["curie"]},
        "1001": {f"{A}.ipynb": NB["ada"],
                 "curiemarie_1003_5003_ex02_tdnn.ipynb": NB["fermi"],
                 "hopperg_1010_5010_ex02_tdnn.ipynb": NB["fermi"]}}
    assert "note: 1001: payload.zip: entry '../../../escape.txt' skipped (unsafe name)" \
        in out.stdout
    assert not (course.parent / "escape.txt").exists() and not list(course.rglob("escape.txt"))


def test_one_bad_upload_is_reported_and_the_rest_imported(course, tmp_path, NB):
    src = make_zip(tmp_path / "canvas.zip", [
        ("lovelaceada_1001_5001_ex02_tdnn.ipynb", NB["ada"], None),
        ("lovelaceada_1001_5001_notes.gz", b"these are my notes, not gzip", None),
        ("curiemarie_1003_5003_ex02_tdnn.ipynb", NB["curie"], None),
        ("fermienrico_1006_5006_ex02_tdnn.ipynb.gz", gzip.compress(NB["fermi"]), None),
        ("darwinc_1004_5004_broken.zip", b"PK\x03\x04 truncated", None)])
    out = cli("collect", "--course", course, A, src, "--skip-unmatched")
    assert submitted(course) == {"1001": {f"{A}.ipynb": NB["ada"]},
                                 "1003": {f"{A}.ipynb": NB["curie"]},
                                 "1006": {f"{A}.ipynb": NB["fermi"]}}
    skipped = sorted(ln for ln in out.stdout.splitlines() if ln.startswith("skipped upload"))
    assert len(skipped) == 2, out.stdout
    assert skipped[0].startswith("skipped upload 1001: lovelaceada_1001_5001_notes.gz: "
                                 "notes.gz is not a valid gz file")
    assert skipped[1].startswith("skipped upload 1004: darwinc_1004_5004_broken.zip: "
                                 "broken.zip is not a readable zip archive")
    assert "collected ex02_tdnn from 3 student(s)" in out.stdout


def _zip_bomb(path, NB):
    """A zip in a zip: about 1 MB that expands to 1 GiB of zeros."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("data.bin", "w", force_zip64=True) as f:
            block = bytes(1 << 20)
            for _ in range(1024):
                f.write(block)
    outer = inner_zip([("nested.zip", inner.getvalue())])
    make_zip(path, [("eviler_1013_5013_bomb.zip", outer, None),
                    ("lovelaceada_1001_5001_ex02_tdnn.ipynb", NB["ada"], None)])
    return path


def test_a_zip_bomb_is_stopped_with_little_memory(course, tmp_path, NB):
    bomb = _zip_bomb(tmp_path / "canvas.zip", NB)
    assert bomb.stat().st_size < 1.5 * 2**20
    # The CLI in a fresh Python that reports its own peak memory when it exits.
    run = ("import runpy, sys\n"
           "sys.argv = ['autograder'] + sys.argv[1:]\n"
           "try:\n    runpy.run_module('autograder', run_name='__main__')\n"
           f"finally:\n    print('peak', {PEAK_RSS_KB}, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", run, "collect", "--course", str(course), A,
                           str(bomb)], cwd=REPO, capture_output=True, text=True)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    peak_kb = int(proc.stderr.rsplit("peak ", 1)[1].split()[0])
    assert peak_kb < 500 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"
    assert "skipped upload 1013: eviler_1013_5013_bomb.zip: unpacks to more than 100 MB" \
        in out.splitlines(), out
    assert submitted(course) == {"1001": {f"{A}.ipynb": NB["ada"]}}
    assert sum(f.stat().st_size for f in course.rglob("*") if f.is_file()) < 50 * 2**20


def test_expansion_ratio_and_file_count_are_bounded(tmp_path):
    from autograder.unpack import Budget, UploadError, store
    bomb = gzip.compress(bytes(5 * 2**20), compresslevel=9)       # ~5 KB -> 5 MB
    with pytest.raises(UploadError, match=r"^data\.bin\.gz expands more than 100 times"):
        store(io.BytesIO(bomb), "data.bin.gz", tmp_path / "a", Budget(), tmp_path)
    many = inner_zip([(f"f{i}.txt", b"x") for i in range(20)])
    with pytest.raises(UploadError, match="more than 10 files"):
        store(io.BytesIO(many), "many.zip", tmp_path / "b", Budget(max_files=10), tmp_path)
    tar = io.BytesIO()
    import tarfile
    with tarfile.open(fileobj=tar, mode="w:gz") as t:
        link = tarfile.TarInfo("solution.ipynb")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        t.addfile(link)
        data = tarfile.TarInfo("work/ex02_tdnn.ipynb")
        data.size = 2
        t.addfile(data, io.BytesIO(b"{}"))
    budget = Budget()
    store(io.BytesIO(tar.getvalue()), "work.tar.gz", tmp_path / "c", budget, tmp_path)
    assert [p.name for p in (tmp_path / "c").rglob("*")] == ["ex02_tdnn.ipynb"]
    assert budget.notes == ["work.tar.gz: 'solution.ipynb' skipped (not a regular file)"]
