"""What a sandboxed kernel can and cannot do, checked from inside it."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO, SOLUTIONS
from autograder.execute import SandboxedExecute
from autograder.sandbox import Limits, _cgroup_roots, sandbox_available

pytestmark = pytest.mark.sandbox

PROBE = r'''
import ctypes, errno, json, os, socket, subprocess, sys, threading
report, facts = {}, {}
def attempt(name, fn):
    try:
        report[name] = ("ok", repr(fn())[:80])
    except BaseException as e:              # noqa: BLE001
        report[name] = (type(e).__name__, str(e)[:80])
attempt("list repo", lambda: os.listdir(REPO))
attempt("read solution", lambda: open(SOLUTION).read(10))
attempt("read gradebook", lambda: open(GRADEBOOK).read(10))
for module in ("rnn_ref", "autograder", "torch", "nbgrader"):
    attempt("import " + module, lambda: __import__(module))
attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("loopback to host", lambda: socket.create_connection(("127.0.0.1", 22), timeout=2))
attempt("write cwd", lambda: open("mine.txt", "w").write("x"))
attempt("write /etc", lambda: open("/etc/owned", "w").write("x"))
attempt("write kernel env", lambda: open(os.path.join(sys.prefix, "owned"), "w").write("x"))
attempt("write core_pattern", lambda: open("/proc/sys/kernel/core_pattern", "w").write("|/x"))
attempt("allocate 8 GB", lambda: bytearray(8 * 2**30))
attempt("file of 100 MB", lambda: open("big.bin", "wb").write(b"0" * (100 * 2**20)))
attempt("thread", lambda: [t.start() or t.join() for t in [threading.Thread(target=len, args=[""])]])

status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
facts["ids"] = [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()]
for key in ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"):
    facts[key] = status[key].strip()
facts["/proc/sys read-only"] = bool(os.statvfs("/proc/sys").f_flag & os.ST_RDONLY)
facts["interfaces"] = sorted(name for _, name in socket.if_nameindex())
facts["visible"] = {p: os.path.exists(p) for p in HIDDEN}

libc = ctypes.CDLL(None, use_errno=True)
def call(fn, *args):
    ctypes.set_errno(0)
    return "ok" if fn(*args) != -1 else errno.errorcode.get(ctypes.get_errno(), "?")
facts["unshare(user)"] = call(libc.unshare, 0x10000000)
facts["unshare(mount)"] = call(libc.unshare, 0x00020000)
facts["ptrace(TRACEME)"] = call(libc.ptrace, ctypes.c_long(0), 0, None, None)
facts["mount"] = call(libc.mount, b"none", b"/tmp", b"tmpfs", ctypes.c_ulong(0), None)
facts["chroot"] = call(libc.chroot, b"/tmp")
if os.uname().machine == "x86_64":
    for name, nr in (("keyctl", 250), ("perf_event_open", 298), ("bpf", 321),
                     ("userfaultfd", 323)):
        facts[name] = call(libc.syscall, ctypes.c_long(nr), 0, 0, 0, 0, 0)

def fill(folder):
    written, names = 0, []
    try:
        for i in range(200):
            names.append(os.path.join(folder, "fill%d" % i))
            with open(names[-1], "wb") as f:
                for _ in range(8):
                    f.write(b"\0" * 2**20)
                    written += 1
        return ["no error", written]
    except OSError as e:
        return [errno.errorcode.get(e.errno, "?"), written]
    finally:
        for n in names:
            if os.path.exists(n):
                os.remove(n)
for folder in ("/tmp", ".", "/dev/shm") + (("/rnngrade/out",) if BOUNDED_ANSWERS else ()):
    facts["fill " + folder] = fill(folder)

import numpy
facts["numpy from"] = numpy.__file__
facts["hijacked"] = os.path.exists("/tmp/hijacked") or os.path.exists("hijacked")
facts["cwd"] = os.getcwd()
print(json.dumps({"report": report, "facts": facts}))
'''

# Files handed in next to a notebook that would run before any cell if the kernel put
# its cwd first on sys.path.
HIJACK = "open('/tmp/hijacked', 'w').write('x')\nopen('hijacked', 'w').write('x')\n"


def _run(cells, limits, work=None):
    """Execute code cells in the sandbox; return (notebook, faults)."""
    own = work is None
    work = Path(work or tempfile.mkdtemp())
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    # The working copy is made from the course's release folder: stand ``work`` in for it.
    ex = SandboxedExecute(limits=limits, release_dir=str(work))
    resources = {"metadata": {"path": str(work)}}
    try:
        ex.preprocess(nb, resources)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    return nb, resources["rnngrade"]["faults"]


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    ok, reason = sandbox_available()
    assert ok, reason
    course = tmp_path_factory.mktemp("course")
    (course / "gradebook.db").write_text("secret")
    work = Path(tempfile.mkdtemp())
    for name in ("numpy.py", "ipykernel_launcher.py", "sitecustomize.py"):
        (work / name).write_text(HIJACK)
    hidden = [str(REPO), str(Path(sys.prefix)), str(course), str(work)]
    code = (f"REPO = {str(REPO)!r}\n"
            f"SOLUTION = {str(SOLUTIONS / 'ex02_tdnn' / 'ex02_tdnn.md')!r}\n"
            f"GRADEBOOK = {str(course / 'gradebook.db')!r}\n"
            f"HIDDEN = {hidden!r}\n"
            f"BOUNDED_ANSWERS = {os.geteuid() == 0}\n" + PROBE)
    limits = Limits(memory_mb=1024, processes=64, file_size_mb=16, tmp_mb=32, workdir_mb=32,
                    answers_mb=16, cell_timeout=60)
    try:
        nb, _ = _run([nbformat.v4.new_code_cell(code)], limits, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = _stdout(nb.cells[0])
    assert out.strip(), nb.cells[0].outputs
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def report(probe):
    return probe["report"]


@pytest.fixture(scope="module")
def facts(probe):
    return probe["facts"]


def test_the_repository_course_and_grading_environment_are_invisible(report, facts):
    assert report["list repo"][0] == "FileNotFoundError", report["list repo"]
    assert not any(facts["visible"].values()), facts["visible"]


@pytest.mark.parametrize("what,error", [
    ("read solution", "FileNotFoundError"),
    ("read gradebook", "FileNotFoundError"),
    ("import rnn_ref", "ModuleNotFoundError"),
    ("import autograder", "ModuleNotFoundError"),
    ("import torch", "ModuleNotFoundError"),
    ("import nbgrader", "ModuleNotFoundError"),
    ("dns", "gaierror"),
    ("loopback to host", "ConnectionRefusedError"),
    ("write /etc", "OSError"),
    ("write kernel env", "OSError"),
    ("write core_pattern", "OSError"),
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


def test_the_kernel_is_an_unprivileged_user_without_capabilities(facts):
    uid, euid, gid, egid, groups = facts["ids"]
    assert 0 not in (uid, euid, gid, egid) and 0 not in groups, facts["ids"]
    if os.geteuid() == 0:
        assert (uid, gid) == (65534, 65534) and set(groups) <= {65534}, facts["ids"]
        assert int(facts["CapBnd"], 16) == 0 and int(facts["CapPrm"], 16) == 0
    assert int(facts["CapEff"], 16) == 0 and int(facts["CapAmb"], 16) == 0
    assert int(facts["CapInh"], 16) == 0
    assert facts["NoNewPrivs"] == "1"
    assert facts["Seccomp"] == "2"                       # a filter is loaded
    assert facts["/proc/sys read-only"]


def test_the_seccomp_filter_denies_what_a_kernel_never_needs(report, facts):
    denied = ["unshare(user)", "unshare(mount)", "ptrace(TRACEME)", "mount", "chroot"]
    denied += [n for n in ("keyctl", "perf_event_open", "bpf", "userfaultfd") if n in facts]
    assert {n: facts[n] for n in denied} == {n: "EPERM" for n in denied}
    assert report["thread"][0] == "ok", report["thread"]     # clone3 -> clone fallback


def test_no_network_but_loopback(facts):
    assert facts["interfaces"] == ["lo"]


def test_every_writable_mount_is_bounded(facts):
    # /tmp and the working copy were given 32 MB, /dev/shm has 64 MB, the answers folder
    # (a tmpfs the grader mounts when it is root) 16 MB; each fills up with ENOSPC
    # before the bound (8 MB files, below the 16 MB file size limit).
    bounds = [("/tmp", 32), (".", 32), ("/dev/shm", 64)]
    if os.geteuid() == 0:
        bounds.append(("/rnngrade/out", 16))
    for folder, bound in bounds:
        error, written = facts["fill " + folder]
        assert error == "ENOSPC" and written <= bound, (folder, error, written)


def test_files_next_to_the_notebook_cannot_hijack_the_kernel(report, facts):
    assert facts["numpy from"].startswith("/opt/rnngrade-kernel/"), facts["numpy from"]
    assert not facts["hijacked"]
    assert facts["cwd"] == "/home/student"
    assert report["write cwd"][0] == "ok"


def test_a_fork_bomb_is_a_fault_and_the_other_cells_still_run():
    bomb = ("import os, time\n"
            "for _ in range(500):\n"
            "    try:\n"
            "        if os.fork() == 0:\n"
            "            while True:\n"
            "                try:\n"
            "                    os.fork()\n"
            "                except OSError:\n"
            "                    time.sleep(0.01)\n"
            "    except OSError:\n"
            "        break\n")
    cells = [nbformat.v4.new_code_cell("x = 41"), nbformat.v4.new_code_cell(bomb),
             nbformat.v4.new_code_cell("print('alive', x + 1)")]
    nb, faults = _run(cells, Limits(processes=32, cell_timeout=20, notebook_timeout=120))
    assert "alive 42" in _stdout(nb.cells[2]), (nb.cells[2].outputs, faults)
    assert any(f.startswith("cell 2 ") for f in faults), faults


def test_a_kernel_that_cannot_start_is_a_fault_and_its_tests_score_zero():
    test = nbformat.v4.new_code_cell("assert True")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "t1", "points": 1, "schema_version": 3}
    # 16 MB of address space: the interpreter cannot even start.
    nb, faults = _run([nbformat.v4.new_code_cell("x = 1"), test],
                      Limits(memory_mb=16, cell_timeout=10, notebook_timeout=60))
    assert any("could not start" in f for f in faults), faults
    assert [o.get("ename") for o in nb.cells[1].outputs] == ["NotRun"]


def test_the_memory_limit_counts_the_tmpfs():
    if "memory" not in _cgroup_roots():
        pytest.skip("no writable memory cgroup here (not root): the tmpfs sizes bound them")
    fill = ("import os\n"
            "written = 0\n"
            "try:\n"
            "    for folder in ('/tmp', '.'):\n"
            "        for i in range(25):\n"
            "            with open(os.path.join(folder, 'f%d' % i), 'wb') as f:\n"
            "                for _ in range(10):\n"
            "                    f.write(b'1' * 2**20)\n"
            "                    written += 1\n"
            "    print('wrote', written)\n"
            "except OSError as e:\n"
            "    print('stopped', e.errno, written)\n")
    # 250 MB fit in each 300 MB tmpfs; together (500 MB) they exceed the 400 MB cgroup:
    # the kernel is stopped (killed, or a write fails) and the next cell runs in a new one.
    nb, faults = _run([nbformat.v4.new_code_cell(fill), nbformat.v4.new_code_cell("print('next')")],
                      Limits(memory_mb=400, tmp_mb=300, workdir_mb=300, file_size_mb=64,
                             cell_timeout=60))
    out = _stdout(nb.cells[0])
    killed = any(f.startswith("cell 1 ended the kernel") for f in faults)
    assert killed or out.startswith("stopped"), (out, faults)
    if not killed:
        assert int(out.split()[-1]) < 400, out
    assert _stdout(nb.cells[1]) == "next\n"


def test_sweep_removes_sandboxes_of_dead_workers():
    from autograder.sandbox import sweep_stale
    roots = set(_cgroup_roots().values())
    if not roots:
        pytest.skip("no writable cgroup here (not root): RLIMIT_NPROC is used instead")
    dead = 2 ** 22 + 12345                 # above pid_max: no such process
    made = []
    for root in roots:
        stale = root / f"rnngrade-{dead}-deadbeef0000"
        live = root / f"rnngrade-{os.getpid()}-cafecafe0000"
        stale.mkdir()
        live.mkdir()
        made += [(stale, False), (live, True)]
    # An answers folder left mounted by a killed grader.
    folder = Path(tempfile.mkdtemp())
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.mount(f"rnngrade-{dead}-deadbeef0000".encode(), str(folder).encode(),
                      b"tmpfs", 0, b"size=1048576") == 0
    try:
        assert sweep_stale() >= len(roots) + 1
        assert all(p.exists() == kept for p, kept in made)
        assert not os.path.ismount(folder)
    finally:
        if os.path.ismount(folder):
            libc.umount2(str(folder).encode(), 2)
        folder.rmdir()
        for p, _ in made:
            if p.exists():
                p.rmdir()
