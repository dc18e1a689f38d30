"""No grade lost to an outage, no worker left behind, one command per course at a time.

* PostgreSQL: the server stopped in the middle of `grade` (a clean stop with a summary
  and exit code 3, nothing stored as failed), started again, then backends killed with
  pg_terminate_backend during a run (retried: every grade right, no infrastructure
  detail in any student's feedback); the course remembers its database;
* a read-only course folder: one clear line, nothing changed;
* kill -9 of the grader: its worker processes go with it; a second `grade` on the same
  course says who holds it and exits; `--wait` waits.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.course import Course, CourseError
from autograder.ledger import Ledger
from conftest import REPO, _free_port, _pg_bin, cli, make_course, samples_dir, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

EXPECTED = {"ada": 10, "babbage": 3, "curie": 3, "darwin": 7, "euler": 0, "fermi": 10,
            "gauss": None}


def ledger_rows(root, db=None):
    ledger = Ledger(Course(root, db).db_url)
    try:
        return {r["student"]: r for r in ledger.rows()}
    finally:
        ledger.dispose()


def count_rows(root, db=None):
    try:
        return len(ledger_rows(root, db))
    except Exception:  # noqa: BLE001 -- the table may not exist yet, or the server is down
        return 0


# -- a private PostgreSQL server that the tests may stop and start ------------------------------

class Server:
    def __init__(self, base):
        import pwd
        self.base, self.data, self.sock = base, base / "data", base / "sock"
        self.sock.mkdir(parents=True)
        self.run_as = []
        if os.getuid() == 0:                      # postgres refuses to run as root
            user = pwd.getpwnam("postgres")
            for p in (base, self.sock):
                os.chown(p, user.pw_uid, user.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.port = _free_port()
        subprocess.run(self.run_as + [_pg_bin("initdb"), "-D", str(self.data), "-U",
                                      "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True)
        self.start()

    def _ctl(self, *args):
        subprocess.run(self.run_as + [_pg_bin("pg_ctl"), "-D", str(self.data), *args],
                       check=True, capture_output=True)

    def start(self):
        self._ctl("-l", str(self.base / "server.log"), "-w", "-o",
                  f"-p {self.port} -h 127.0.0.1 -k {self.sock} -c max_connections=100",
                  "start")

    def stop(self):
        self._ctl("-m", "fast", "-w", "stop")

    def sql(self, statement, dbname="postgres"):
        import psycopg
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                             dbname=dbname, autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else None

    def database(self, name):
        self.sql(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def terminate(self, name):
        """Kill every backend of database ``name``: what an outage does to the grader."""
        return self.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import tempfile
    base = Path(tempfile.mkdtemp(prefix="rnngrade-pg-outage-"))   # the postgres user must get in
    srv = Server(base)
    try:
        yield srv
    finally:
        subprocess.run(srv.run_as + [_pg_bin("pg_ctl"), "-D", str(srv.data), "-m",
                                     "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_postgresql_outages_lose_no_grade(tmp_path, server):
    db = server.database("outage")
    root = tmp_path / "course"
    cli("release", "--course", root, "--db", db, "--due", "2026-11-01 23:59 UTC", "ex02_tdnn")
    # The course remembers its database: no --db from here on.
    cli("collect", "--course", root, "ex02_tdnn", samples_dir() / "ex02_tdnn")
    assert not (root / "gradebook.db").exists()
    other = cli("export", "--course", root, "--db", f"sqlite:///{tmp_path}/other.db", check=False)
    assert other.returncode == 2 and "this course's gradebook is postgresql://postgres@" \
        in other.stderr and "leave out --db" in other.stderr
    assert not (tmp_path / "other.db").exists()

    # 1. The server stops in the middle of a run: a clean stop, nothing marked failed.
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "--course",
                             str(root), "--workers", "1", "--quiet", "--retries", "1"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: count_rows(root) >= 2, timeout=400), "grading never got going"
        server.stop()
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, (out, err)
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("stopped: the gradebook database failed (OperationalError: ")
    assert "left ungraded; fix the problem and run `grade` again to continue" in last
    server.start()
    rows = ledger_rows(root)
    assert 2 <= len(rows) < len(EXPECTED)
    for s, r in rows.items():
        assert r["status"] == ("failed" if s == "gauss" else "graded"), (s, r["reason"])
        assert r["score"] == EXPECTED[s]

    # 2. Backends killed during the next run: retried, every grade right.
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "--course",
                             str(root), "--workers", "2", "--quiet"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    killed, last = 0, 0.0
    try:
        # Once the workers run (the grader's own start-up queries are done), kill the
        # database connections of whoever is grading, three times.
        assert wait_for(lambda: len(_session(proc.pid)) >= 4, timeout=300)
        while proc.poll() is None and killed < 3:
            if time.time() - last > 4:
                hit = len(server.terminate("outage"))
                if hit:
                    killed, last = killed + 1, time.time()
            time.sleep(0.3)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed > 0, "no backend was terminated"
    rows = ledger_rows(root)
    assert {s: (r["score"] if r["status"] == "graded" else None) for s, r in rows.items()} \
        == EXPECTED, out
    assert proc.returncode == 0, err
    assert "failed: ex02_tdnn/gauss: ex02_tdnn.ipynb is not valid JSON" in out \
        or rows["gauss"]["status"] == "failed"
    cli("feedback", "--course", root)
    for page in (root / "feedback").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for leak in ("psycopg", "OperationalError", "terminating connection", str(server.port)):
            assert leak not in text, (page, leak)


# -- SQLite courses -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A SQLite course with two graded submissions and five waiting."""
    root = make_course(tmp_path_factory.mktemp("small") / "course")
    cli("grade", "--course", root, "--quiet", "--student", "ada", "--student", "curie")
    return root


def test_read_only_course_is_one_clear_line(small):
    before = {s: (r["score"], r["graded_at"]) for s, r in ledger_rows(small).items()}
    script = (f"mount --bind -o ro {small} {small} && exec {sys.executable} -m autograder "
              f"grade --course {small} --force --quiet --retries 1")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.strip().splitlines() if "SAWarning" not in ln
             and not ln.startswith("  ")]
    assert len(lines) == 1, proc.stderr
    assert "Read-only file system" in lines[0] or "readonly database" in lines[0] \
        or "unable to open database file" in lines[0], lines[0]
    for noise in ("[SQL:", "Background on this error", "Traceback"):
        assert noise not in proc.stderr
    assert {s: (r["score"], r["graded_at"]) for s, r in ledger_rows(small).items()} == before


def _session(sid):
    """Live (non-zombie) processes of session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def test_workers_die_with_the_grader_and_one_run_at_a_time(small, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(small, root)
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "--course", str(root),
                             "--workers", "2", "--quiet", "--force"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        # the grader, the forkserver and two workers
        assert wait_for(lambda: len(_session(proc.pid)) >= 4, timeout=300)
        second = cli("grade", "--course", root, "--quiet", check=False)
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"error: the course {root} is in use by pid {proc.pid} on {os.uname().nodename} "
            f"(grade, since {second.stderr.split('since ')[1].split(')')[0]}); wait for it "
            "to finish, or pass --wait"]
        os.kill(proc.pid, signal.SIGKILL)                # the grader only, not its group
        proc.wait(timeout=30)
        assert wait_for(lambda: not _session(proc.pid), timeout=60), \
            f"processes left behind: {_session(proc.pid)}"
    finally:
        for pid in _session(proc.pid):
            os.kill(pid, signal.SIGKILL)


def test_wait_for_the_course_lock(small):
    from autograder.lock import course_lock
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from autograder.course import Course; "
         "from autograder.lock import course_lock\n"
         f"with course_lock(Course({str(small)!r}), 'grade'):\n"
         "    print('held', flush=True); time.sleep(3)"],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        held = time.time()
        course = Course(small)
        with pytest.raises(CourseError, match=f"in use by pid {holder.pid}"):
            with course_lock(course, "grade"):
                pass
        with course_lock(course, "grade", wait=True, poll=0.1):
            waited = time.time() - held             # the holder keeps it for 3 s
        assert 1.5 < waited < 30
    finally:
        holder.kill()
        holder.wait()


def test_not_a_course_is_an_error_that_changes_nothing(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("x")
    for cmd in ("export", "grade", "feedback", "report", "roster"):
        extra = [str(folder / "todo.txt")] if cmd == "roster" else []
        proc = cli(cmd, "--course", folder, *extra, check=False)
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines() == [
            f"error: {folder} is not a course folder (it has no course.toml); create a course "
            f"with `python -m autograder release --course {folder}` or pass the right --course"]
        assert sorted(p.name for p in folder.iterdir()) == ["todo.txt"]
