"""Run a student's kernel inside bubblewrap, with resource limits.

What the kernel can see:

* the operating system (``/usr``, ``/lib*``, ``/bin``, ``/sbin`` and a few files of
  ``/etc``) and the Python environment that grades, all **read-only**;
* a private ``/tmp``, fresh ``/proc`` and ``/dev``;
* the working copy of one submission (read-write) and the folder holding the kernel's
  connection file and IPC sockets.

What it cannot see: the repository (``rnn_ref``, ``solutions/``, ``autograder/``; if
the packages are installed into the environment their folders are masked), the course
directory with other students' files and the gradebook, the network (a new, empty
network namespace: kernels talk to the grader over IPC sockets, not TCP), and other
processes (new PID namespace; ``--die-with-parent`` ends everything left behind).

Limits (:class:`Limits`): address space, CPU seconds, file size and number of
processes are enforced by the kernel on the sandboxed process tree; wall-clock limits
per cell and per notebook, and the output cap, are enforced by the executor
(:mod:`autograder.execute`). The process limit uses a pids cgroup when the grader may
create one (root) and ``RLIMIT_NPROC`` otherwise (which the kernel does not apply to
root).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Limits", "Sandbox", "sandbox_available", "SandboxUnavailable", "sweep_stale"]

_ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime", "nsswitch.conf", "passwd", "group",
              "host.conf", "hosts", "mime.types")


class SandboxUnavailable(RuntimeError):
    pass


@dataclass
class Limits:
    memory_mb: int = 2048          # address space of every sandboxed process
    cpu_seconds: int = 600         # CPU time of the kernel process
    processes: int = 64            # processes and threads in the sandbox
    file_size_mb: int = 64         # largest file the kernel may write
    cell_timeout: float = 30.0     # wall-clock seconds per cell
    notebook_timeout: float = 300.0  # wall-clock seconds per notebook
    output_kb: int = 256           # output kept per cell
    max_restarts: int = 3          # kernel deaths tolerated per notebook

    def to_json(self):
        return json.dumps(asdict(self))


def _bwrap():
    return shutil.which("bwrap")


def sandbox_available():
    """``(True, "")`` if bubblewrap can create a sandbox here, else ``(False, reason)``."""
    path = _bwrap()
    if path is None:
        return False, "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt install bubblewrap)"
    try:
        proc = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
                               "--proc", "/proc", "--dev", "/dev", "true"],
                              capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"bubblewrap failed to start: {e}"
    if proc.returncode != 0:
        return False, ("bubblewrap cannot create namespaces here: "
                       + proc.stderr.decode(errors="replace").strip())
    return True, ""


def _masked_packages(visible_roots):
    """Folders of trusted packages that lie inside a folder the sandbox can see."""
    hidden = []
    for name in ("rnn_ref", "autograder"):
        try:
            import importlib.util
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for loc in (spec.submodule_search_locations or []) if spec else []:
            real = os.path.realpath(loc)
            if any(real == r or real.startswith(r + os.sep) for r in visible_roots):
                hidden.append(real)
    return hidden


def _descendants(root):
    """PIDs of all descendants of ``root`` (from /proc), including ``root``."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _empty_cgroup(path, attempts=50):
    """Kill every process in a sandbox's cgroup, then remove it."""
    import time
    for _ in range(attempts):
        try:
            pids = (path / "cgroup.procs").read_text().split()
        except OSError:
            return
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except OSError:
                pass
        try:
            path.rmdir()
            return
        except OSError:
            time.sleep(0.05)


def sweep_stale():
    """Remove the sandboxes of grading workers that no longer exist (after a crash or a
    kill -9): their processes are killed and their cgroups deleted. Returns how many."""
    root = _cgroup_root()
    if root is None:
        return 0
    swept = 0
    for path in root.glob("rnngrade-*"):
        parts = path.name.split("-")
        try:
            os.kill(int(parts[1]), 0)
            continue                          # its worker is alive
        except (IndexError, ValueError, ProcessLookupError):
            pass
        except PermissionError:
            continue                          # someone else's live process
        _empty_cgroup(path, attempts=20)
        swept += 1
    return swept


def _cgroup_root():
    """A pids cgroup hierarchy we may create children in (v1 or v2), or None."""
    v1 = Path("/sys/fs/cgroup/pids")
    if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
        return v1
    v2 = Path("/sys/fs/cgroup")
    control = v2 / "cgroup.subtree_control"
    try:
        if "pids" in control.read_text().split() and os.access(v2, os.W_OK):
            return v2
    except OSError:
        pass
    return None


class Sandbox:
    """One sandboxed kernel environment around ``workdir``.

    Creates a private folder with a kernelspec whose command is
    ``python -m autograder.sandbox_launch``; that launcher applies the limits and
    executes ``bwrap ... python -m ipykernel_launcher -f <connection file>``.
    """

    def __init__(self, workdir, limits=None, ro_binds=(), rw_binds=()):
        self.workdir = Path(workdir).resolve()
        self.ro_binds = [(str(h), str(i)) for h, i in ro_binds]
        self.rw_binds = [(str(h), str(i)) for h, i in rw_binds]
        self.limits = limits or Limits()
        self.bwrap = _bwrap()
        if self.bwrap is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
        self.private = Path(tempfile.mkdtemp(prefix="rnngrade-kernel-"))
        self.ipc_dir = self.private / "ipc"
        self.ipc_dir.mkdir()
        self.kernels_dir = self.private / "kernels"
        self.cgroup = self._make_cgroup()
        self._write_kernelspec()

    # -- the command ---------------------------------------------------------------
    def bwrap_argv(self, connection_file):
        env_prefixes = sorted({os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)})
        argv = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session",
                "--clearenv", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for d in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(d):
                argv += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                argv += ["--ro-bind", d, d]
        for f in _ETC_FILES:
            if os.path.exists(f"/etc/{f}"):
                argv += ["--ro-bind", f"/etc/{f}", f"/etc/{f}"]
        for prefix in env_prefixes:
            argv += ["--ro-bind", prefix, prefix]
        # The venv's python may be a symlink into the base interpreter's folder.
        for path in (sys.executable, os.path.realpath(sys.executable)):
            parent = os.path.dirname(os.path.dirname(path))
            if parent not in env_prefixes and not any(parent.startswith(p + "/") for p in env_prefixes):
                argv += ["--ro-bind", parent, parent]
        visible = env_prefixes + [d for d in ("/usr", "/bin", "/sbin", "/lib", "/lib64")]
        for hidden in _masked_packages(visible):
            argv += ["--tmpfs", hidden]
        for host, inside in self.ro_binds:
            argv += ["--ro-bind", host, inside]
        for host, inside in self.rw_binds:
            argv += ["--bind", host, inside]
        argv += ["--bind", str(self.workdir), str(self.workdir),
                 "--bind", str(self.ipc_dir), str(self.ipc_dir),
                 # bwrap builds the tree on a tmpfs of its own: make that read-only too,
                 # so only /tmp, the working copy and the answers folder are writable.
                 "--remount-ro", "/",
                 "--chdir", str(self.workdir)]
        env = {"PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
               "HOME": str(self.workdir), "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "IPYTHONDIR": "/tmp/ipython"}
        for k, v in env.items():
            argv += ["--setenv", k, v]
        argv += ["--", sys.executable, "-m", "ipykernel_launcher", "-f", connection_file,
                 "--HistoryManager.hist_file=:memory:", "--IPKernelApp.transport=ipc"]
        return argv

    def _write_kernelspec(self):
        spec_dir = self.kernels_dir / "rnn-sandbox"
        spec_dir.mkdir(parents=True)
        settings = self.private / "settings.json"
        settings.write_text(json.dumps({
            "parent": os.getpid(),            # the process that will start the kernel
            "limits": json.loads(self.limits.to_json()),
            "cgroup": str(self.cgroup) if self.cgroup else None,
            "argv_template": self.bwrap_argv("{connection_file}"),
        }))
        spec = {
            "argv": [sys.executable, "-m", "autograder.sandbox_launch", str(settings),
                     "{connection_file}"],
            "display_name": "Python 3 (grading sandbox)",
            "language": "python",
            # Interrupts travel as messages: signals would reach bwrap, not the kernel.
            "interrupt_mode": "message",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))

    def kernel_manager(self):
        """An AsyncKernelManager that starts this sandbox's kernel over IPC."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        ksm = KernelSpecManager(kernel_dirs=[str(self.kernels_dir)])
        km = AsyncKernelManager(kernel_name="rnn-sandbox", kernel_spec_manager=ksm,
                                transport="ipc", ip=str(self.ipc_dir / "k"))
        km.connection_file = str(self.ipc_dir / f"kernel-{uuid.uuid4().hex}.json")
        return km

    # -- processes -------------------------------------------------------------------
    def process_count(self, root_pid=None):
        """Processes running in the sandbox (cgroup members, or descendants of root_pid)."""
        if self.cgroup is not None:
            try:
                return len((self.cgroup / "cgroup.procs").read_text().split())
            except OSError:
                return 0
        return len(_descendants(root_pid)) if root_pid else 0

    # -- process limit ---------------------------------------------------------------
    def _make_cgroup(self):
        root = _cgroup_root()
        if root is None:
            return None
        # The owner's PID in the name lets sweep_stale() clean up after a killed grader.
        path = root / f"rnngrade-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(self.limits.processes))
        except OSError:
            return None
        return path

    def close(self):
        if self.cgroup is not None:
            _empty_cgroup(self.cgroup)
        shutil.rmtree(self.private, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
