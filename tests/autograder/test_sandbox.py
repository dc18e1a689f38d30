"""What a sandboxed kernel can and cannot do, checked from inside it."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO, SOLUTIONS
from autograder.execute import SandboxedExecute
from autograder.sandbox import Limits, sandbox_available

pytestmark = pytest.mark.sandbox

PROBE = r'''
import json, os, socket, subprocess, sys
report = {}
def attempt(name, fn):
    try:
        report[name] = ("ok", repr(fn())[:80])
    except BaseException as e:              # noqa: BLE001
        report[name] = (type(e).__name__, str(e)[:80])
attempt("list repo", lambda: os.listdir(REPO))
attempt("read solution", lambda: open(SOLUTION).read(10))
attempt("read gradebook", lambda: open(GRADEBOOK).read(10))
attempt("import rnn_ref", lambda: __import__("rnn_ref"))
attempt("import autograder", lambda: __import__("autograder"))
attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("loopback to host", lambda: socket.create_connection(("127.0.0.1", 22), timeout=2))
attempt("write cwd", lambda: open("mine.txt", "w").write("x"))
attempt("write /etc", lambda: open("/etc/owned", "w").write("x"))
attempt("write venv", lambda: open(os.path.join(sys.prefix, "owned"), "w").write("x"))
attempt("allocate 8 GB", lambda: bytearray(8 * 2**30))
attempt("file of 100 MB", lambda: open("big.bin", "wb").write(b"0" * (100 * 2**20)))
def fork_many():
    children = []
    try:
        for _ in range(500):
            p = subprocess.Popen(["sleep", "5"])
            children.append(p)
    finally:
        n = len(children)
        for p in children:
            p.kill()
    return n
attempt("500 processes", fork_many)
print(json.dumps(report))
'''


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    ok, reason = sandbox_available()
    assert ok, reason
    course = tmp_path_factory.mktemp("course")
    (course / "gradebook.db").write_text("secret")
    work = Path(tempfile.mkdtemp())
    code = (f"REPO = {str(REPO)!r}\n"
            f"SOLUTION = {str(SOLUTIONS / 'ex02_tdnn' / 'ex02_tdnn.ipynb')!r}\n"
            f"GRADEBOOK = {str(course / 'gradebook.db')!r}\n" + PROBE)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    ex = SandboxedExecute(limits=Limits(memory_mb=1024, processes=64, file_size_mb=16,
                                        cell_timeout=60))
    try:
        ex.preprocess(nb, {"metadata": {"path": str(work)}})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    assert out.strip(), nb.cells[0].outputs
    return json.loads(out.strip().splitlines()[-1])


def test_the_repository_shows_only_the_environment(report):
    # The venv lives inside the repository and is mounted read-only; nothing else is.
    status, detail = report["list repo"]
    assert status == "FileNotFoundError" or detail == repr([".venv"]), (status, detail)


@pytest.mark.parametrize("what,error", [
    ("read solution", "FileNotFoundError"),
    ("read gradebook", "FileNotFoundError"),
    ("import rnn_ref", "ModuleNotFoundError"),
    ("import autograder", "ModuleNotFoundError"),
    ("dns", "gaierror"),
    ("loopback to host", "ConnectionRefusedError"),
    ("write /etc", "OSError"),
    ("write venv", "OSError"),
    ("allocate 8 GB", "MemoryError"),
    ("file of 100 MB", "OSError"),
])
def test_denied(report, what, error):
    status, detail = report[what]
    assert status != "ok", f"{what} succeeded inside the sandbox: {detail}"
    if error == "OSError":
        assert status in ("OSError", "PermissionError", "FileNotFoundError"), (what, status, detail)
    else:
        assert status == error, (what, status, detail)


def test_the_working_copy_is_writable(report):
    assert report["write cwd"][0] == "ok"


def test_process_limit(report):
    status, detail = report["500 processes"]
    assert status in ("BlockingIOError", "OSError", "PermissionError"), (status, detail)


def test_sweep_removes_sandboxes_of_dead_workers():
    from autograder.sandbox import _cgroup_root, sweep_stale
    root = _cgroup_root()
    if root is None:
        pytest.skip("no writable pids cgroup here (not root): RLIMIT_NPROC is used instead")
    dead = 2 ** 22 + 12345                 # above pid_max: no such process
    stale = root / f"rnngrade-{dead}-deadbeef0000"
    stale.mkdir()
    live = root / f"rnngrade-{__import__('os').getpid()}-cafecafe0000"
    live.mkdir()
    try:
        assert sweep_stale() >= 1
        assert not stale.exists() and live.exists()
    finally:
        for p in (stale, live):
            if p.exists():
                p.rmdir()
