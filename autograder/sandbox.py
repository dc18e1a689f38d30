"""Run a student's kernel inside bubblewrap, unprivileged and with resource limits.

Who the kernel is: when the grader runs as root, bubblewrap (as root, so that it can
mount whatever the grader can read) builds the sandbox in new PID, network, IPC, UTS
and cgroup namespaces, keeps only the capabilities needed to change uid, and starts
``setpriv``, which drops the kernel to an unprivileged host uid/gid
(``RNNGRADE_SANDBOX_UID``/``_GID``, default 65534 "nobody", no supplementary groups),
empties the capability bounding set and sets ``no_new_privs``. Every permission check
the host makes then sees that uid, never root. A seccomp filter
(:mod:`autograder.sandbox_seccomp`) denies the system calls a numpy kernel never needs,
and ``/proc/sys`` is mounted read-only. A grader that is not root cannot change uid:
bubblewrap then runs unprivileged in a new user namespace (``--disable-userns``,
``--cap-drop ALL``) and the kernel keeps the grader's own uid, with the same
namespaces, filter and mounts (see the instructor guide).

What the kernel sees, all read-only unless said otherwise:

* the operating system (``/usr``, ``/lib*``, ``/bin``, ``/sbin``, a few files of
  ``/etc``) and its own Python environment, ``.venv-kernel`` (numpy, matplotlib,
  ipykernel; built by ``make install``), mounted at ``/opt/rnngrade-kernel``; never the
  grading environment, the repository or the course (packages installed next to the
  base interpreter are masked);
* the working copy at ``/home/student`` (its cwd and HOME): a size-bounded tmpfs
  (read-write) into which the regular files of the host working copy are *copied* at
  every start; nothing is read back from it;
* a size-bounded ``/tmp`` and ``/dev/shm`` (read-write), fresh ``/proc`` and ``/dev``;
* the folders the caller binds (challenge inputs read-only, answers read-write: as
  root, the grader first mounts a size-bounded tmpfs on each read-write one) and the
  IPC folder of the kernel's sockets, which is sealed once the grader is connected.

Started as ``python -I``, the kernel does not put its cwd first on ``sys.path``: the
working copy is appended *after* the environment's packages, so a file in it (a
``numpy.py``, an ``ipykernel_launcher.py``) can never shadow what the kernel imports.

Limits (:class:`Limits`): the address space of each process, CPU seconds, the size of
one file, the size of each tmpfs, and, when the grader may create cgroups (root), a
memory cgroup for the whole sandbox that counts the pages of its tmpfs too, and a pids
cgroup; without cgroups, ``RLIMIT_NPROC`` bounds the processes. Wall-clock limits and
the output cap are enforced by the executor (:mod:`autograder.execute`). Neither
network (a new, empty network namespace: kernels talk to the grader over Unix sockets)
nor other processes (new PID namespace; ``--die-with-parent``) are visible.
"""

from __future__ import annotations

import configparser
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Limits", "Sandbox", "sandbox_available", "SandboxUnavailable", "sweep_stale",
           "kernel_env", "WORKDIR", "KERNEL_ENV_MOUNT"]

_ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime", "nsswitch.conf", "passwd", "group",
              "host.conf", "hosts", "mime.types")
REPO = Path(__file__).resolve().parents[1]
WORKDIR = "/home/student"                   # the kernel's cwd and HOME, inside
KERNEL_ENV_MOUNT = "/opt/rnngrade-kernel"    # .venv-kernel, inside
_CONNECTION = "/run/rnngrade/kernel.json"    # the connection file, inside
_SHM_MB = 64
# ipykernel_launcher, with the working copy appended to sys.path after the packages.
_LAUNCH = ("import sys; sys.path.append({workdir!r}); "
           "from ipykernel import kernelapp; kernelapp.launch_new_instance()")


class SandboxUnavailable(RuntimeError):
    pass


@dataclass
class Limits:
    memory_mb: int = 2048          # address space of each process; with cgroups, all the
                                   # sandbox's memory, its /tmp and working copy included
    cpu_seconds: int = 600         # CPU time of the kernel process
    processes: int = 64            # processes and threads in the sandbox
    file_size_mb: int = 64         # largest file the kernel may write
    tmp_mb: int = 256              # the private /tmp
    workdir_mb: int = 256          # the working copy
    answers_mb: int = 256          # each read-write folder bound in (the answers), as root
    cell_timeout: float = 30.0     # wall-clock seconds per cell
    notebook_timeout: float = 300.0  # wall-clock seconds per notebook
    output_kb: int = 256           # output kept per cell, all output types counted
    max_restarts: int = 3          # kernel deaths tolerated per notebook

    def to_json(self):
        return json.dumps(asdict(self))


def _bwrap():
    return shutil.which("bwrap")


def sandbox_uid():
    """The (uid, gid) the kernel runs as, or None when the grader cannot change uid."""
    if os.geteuid() != 0:
        return None
    try:
        uid = int(os.environ.get("RNNGRADE_SANDBOX_UID", "65534"))
        gid = int(os.environ.get("RNNGRADE_SANDBOX_GID", str(uid)))
    except ValueError:
        uid = gid = -1
    if not (0 < uid < 2**31 and 0 < gid < 2**31):
        raise SandboxUnavailable("RNNGRADE_SANDBOX_UID and RNNGRADE_SANDBOX_GID must be "
                                 "positive numeric ids (not root's 0); got "
                                 f"{os.environ.get('RNNGRADE_SANDBOX_UID')!r}, "
                                 f"{os.environ.get('RNNGRADE_SANDBOX_GID')!r}")
    return uid, gid


def kernel_env():
    """The kernel's Python environment (``.venv-kernel``, or ``RNNGRADE_KERNEL_ENV``)."""
    env = Path(os.environ.get("RNNGRADE_KERNEL_ENV") or REPO / ".venv-kernel")
    if not (env / "pyvenv.cfg").is_file() or not (env / "bin" / "python").exists():
        raise SandboxUnavailable(
            f"the kernel environment {env} is missing: run `make install` (it builds "
            ".venv-kernel from requirements-kernel.txt), or point RNNGRADE_KERNEL_ENV at a "
            "virtual environment with numpy, matplotlib and ipykernel")
    return env.resolve()


def _base_prefix(env):
    """The installation the kernel env's interpreter comes from (pyvenv.cfg ``home``)."""
    cfg = configparser.ConfigParser()
    cfg.read_string("[venv]\n" + (env / "pyvenv.cfg").read_text())
    home = cfg.get("venv", "home", fallback=None)
    if not home:
        raise SandboxUnavailable(f"{env}/pyvenv.cfg names no base interpreter (home = ...)")
    return os.path.realpath(os.path.dirname(home.strip()))


def sandbox_available():
    """``(True, "")`` if bubblewrap can create the sandbox here, else ``(False, reason)``."""
    from .sandbox_seccomp import seccomp_available
    path = _bwrap()
    if path is None:
        return False, "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt install bubblewrap)"
    try:
        kernel_env()
        ids = sandbox_uid()
    except SandboxUnavailable as e:
        return False, str(e)
    ok, reason = seccomp_available()
    if not ok:
        return False, reason
    if ids is not None:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            return False, "setpriv (util-linux) is missing: it drops the kernel to an unprivileged uid"
        argv = [path, *_namespaces(True), "--ro-bind", "/", "/", "--proc", "/proc",
                "--dev", "/dev", setpriv, f"--reuid={ids[0]}", f"--regid={ids[1]}",
                "--clear-groups", "true"]
    else:
        argv = [path, *_namespaces(False), "--ro-bind", "/", "/", "--proc", "/proc",
                "--dev", "/dev", "true"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"bubblewrap failed to start: {e}"
    if proc.returncode != 0:
        return False, ("bubblewrap cannot create the sandbox here: "
                       + proc.stderr.decode(errors="replace").strip()[:300])
    return True, ""


def _namespaces(as_root):
    """bubblewrap's namespace and capability options (see the module docstring)."""
    if as_root:
        # bwrap runs as root (so it can mount whatever the grader can read) in no
        # user namespace; setpriv then drops the kernel to the sandbox uid, which
        # clears every capability, and empties the bounding set.
        argv = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--cap-drop", "ALL"]
        return argv + [a for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")
                       for a in ("--cap-add", cap)]
    return ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"]


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


def _kill_members(path):
    try:
        (path / "cgroup.kill").write_text("1")      # cgroup v2: all at once, no race
    except OSError:
        pass
    try:
        pids = (path / "cgroup.procs").read_text().split()
    except OSError:
        return None
    for pid in pids:
        try:
            os.kill(int(pid), 9)
        except OSError:
            pass
    return pids


def _empty_cgroup(path, seconds=2.5, remove=True):
    """Kill every process in a sandbox's cgroup; wait until it is empty; remove it.

    Polls every 10 ms: processes that were just killed leave within milliseconds, and
    grading waits for this after every notebook."""
    deadline = time.monotonic() + seconds
    while True:
        pids = _kill_members(path)
        if pids is None:
            return
        if not remove:
            if not pids:
                return
        else:
            try:
                path.rmdir()
                return
            except OSError:
                pass
        if time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def _cgroup_roots():
    """Cgroup folders we may create sandboxes in: {"pids": dir, "memory": dir}."""
    roots = {}
    for ctl in ("pids", "memory"):
        v1 = Path("/sys/fs/cgroup") / ctl
        if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
            roots[ctl] = v1
    if roots:
        return roots
    v2 = Path("/sys/fs/cgroup")
    try:
        enabled = (v2 / "cgroup.subtree_control").read_text().split()
    except OSError:
        return {}
    if os.access(v2, os.W_OK):
        return {ctl: v2 for ctl in ("pids", "memory") if ctl in enabled}
    return {}


def _cgroup_root():
    """The pids hierarchy (kept for callers that only count processes), or None."""
    return _cgroup_roots().get("pids")


def sweep_stale():
    """Remove the sandboxes of grading workers that no longer exist (after a crash or a
    kill -9): their processes are killed, their cgroups deleted and their answer
    folders unmounted. Returns how many."""
    swept = 0
    for root in set(_cgroup_roots().values()):
        for path in root.glob("rnngrade-*"):
            parts = path.name.split("-")
            try:
                os.kill(int(parts[1]), 0)
                continue                          # its worker is alive
            except (IndexError, ValueError, ProcessLookupError):
                pass
            except PermissionError:
                continue                          # someone else's live process
            _empty_cgroup(path, seconds=1.0)
            swept += 1
    for mount in _stale_mounts():
        _unmount(mount)
        swept += 1
    return swept


def _parents(inside, made):
    """``--dir`` for the missing ancestors of a mount point: bubblewrap would create
    them like the host's folders they mirror (``/root`` 0700), out of the uid's reach."""
    out = []
    parts = Path(inside).parts[1:-1]
    for k in range(1, len(parts) + 1):
        p = "/" + "/".join(parts[:k])
        if p not in made:
            made.add(p)
            out += ["--perms", "0755", "--dir", p]
    return out


_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MNT_DETACH = 2, 4, 8, 2


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _unmount(path):
    """Detach a mount (the kernel frees a tmpfs once nothing uses it any more)."""
    _libc().umount2(os.fsencode(path), _MNT_DETACH)


def _stale_mounts():
    """Mount points of answer folders whose grading process no longer exists."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    stale = []
    for line in lines:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        after = line.split(" - ", 1)[1].split()
        if len(after) < 2 or after[0] != "tmpfs" or not after[1].startswith("rnngrade-"):
            continue
        try:
            os.kill(int(after[1].split("-")[1]), 0)
            continue
        except (IndexError, ValueError, ProcessLookupError):
            pass
        except PermissionError:
            continue
        stale.append(fields[4].replace("\\040", " "))
    return stale


def _fd(path):
    """An argument the launcher replaces by a descriptor it opens (read-only, without
    following links) on the file ``path``."""
    return {"open": str(path)}


class Sandbox:
    """One sandboxed kernel environment around the working copy ``workdir``.

    Creates a private folder with a kernelspec whose command is
    ``python -m autograder.sandbox_launch``; that launcher applies the limits, drops
    to the sandbox uid and executes bubblewrap. ``workdir`` is a host folder whose
    regular files are copied into the kernel's working copy at each start; nothing is
    read back from it. ``ro_binds``/``rw_binds`` are ``(host, inside)`` folders.
    """

    def __init__(self, workdir, limits=None, ro_binds=(), rw_binds=()):
        self.workdir = Path(workdir).resolve()
        self.ro_binds = [(str(h), str(i)) for h, i in ro_binds]
        self.rw_binds = [(str(h), str(i)) for h, i in rw_binds]
        self.limits = limits or Limits()
        self.bwrap = _bwrap()
        if self.bwrap is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
        self.kernel_env = kernel_env()
        self.ids = sandbox_uid()
        self.setpriv = shutil.which("setpriv")
        if self.ids is not None and self.setpriv is None:
            raise SandboxUnavailable("setpriv (util-linux) is missing: it drops the kernel "
                                     "to an unprivileged uid")
        from .sandbox_seccomp import compile_filter
        try:
            bpf = compile_filter()
        except RuntimeError as e:
            raise SandboxUnavailable(str(e)) from e
        self.private = Path(tempfile.mkdtemp(prefix="rnngrade-kernel-"))
        self.ipc_dir = self.private / "ipc"
        self.conn_dir = self.private / "conn"
        self.conn_dir.mkdir(mode=0o700)
        self.kernels_dir = self.private / "kernels"
        (self.private / "seccomp.bpf").write_bytes(bpf)
        for host, _ in self.ro_binds:
            os.chmod(host, 0o755)
        self.mounts, self.cgroups = [], {}
        try:
            for host, _ in self.rw_binds:
                # Root-owned and world-writable: the kernel may create entries but
                # cannot chmod, rename or replace the folder itself.
                if self.ids is not None:
                    self._bounded_tmpfs(host, self.limits.answers_mb)
                os.chmod(host, 0o777)
            self.cgroups = self._make_cgroups()
            self._write_kernelspec()
        except BaseException:
            self.close()
            raise

    # -- the command ---------------------------------------------------------------
    def bwrap_argv(self):
        """bubblewrap's arguments, with markers for the descriptors the launcher opens."""
        lim = self.limits
        mb = 1024 * 1024
        argv = [self.bwrap, *_namespaces(self.ids is not None)]
        argv += ["--die-with-parent", "--new-session", "--clearenv"]
        made = {"/usr", "/tmp"}

        def bind(kind, host, inside):
            return _parents(inside, made) + [kind, host, inside]
        for d in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(d):
                argv += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                argv += ["--ro-bind", d, d]
        for f in _ETC_FILES:
            if os.path.exists(f"/etc/{f}"):
                argv += bind("--ro-bind", f"/etc/{f}", f"/etc/{f}")
        base = _base_prefix(self.kernel_env)
        if not (base == "/usr" or base.startswith("/usr/")):
            argv += bind("--ro-bind", base, base)
        argv += bind("--ro-bind", str(self.kernel_env), KERNEL_ENV_MOUNT)
        # Packages installed next to the interpreters, outside the kernel's environment.
        for masked in self._foreign_site_packages(base):
            argv += ["--tmpfs", masked, "--remount-ro", masked]
        argv += ["--proc", "/proc",
                 # Sysctls read-only (this shows the host's values, which are global
                 # anyway except the network's, and only readable).
                 "--ro-bind", "/proc/sys", "/proc/sys",
                 "--dev", "/dev",
                 "--perms", "1777", "--size", str(_SHM_MB * mb), "--tmpfs", "/dev/shm",
                 "--remount-ro", "/dev",
                 "--perms", "1777", "--size", str(lim.tmp_mb * mb), "--tmpfs", "/tmp",
                 *_parents(WORKDIR, made),
                 "--perms", "0777", "--size", str(lim.workdir_mb * mb), "--tmpfs", WORKDIR,
                 {"files_of": str(self.workdir), "into": WORKDIR}]
        for host, inside in self.ro_binds:
            argv += bind("--ro-bind", host, inside)
        for host, inside in self.rw_binds:
            argv += bind("--bind", host, inside)
        argv += bind("--bind", str(self.ipc_dir), str(self.ipc_dir))
        argv += _parents(_CONNECTION, made)
        argv += ["--perms", "0444", "--ro-bind-data", _fd("{connection_file}"), _CONNECTION,
                 "--seccomp", _fd(self.private / "seccomp.bpf"),
                 # bwrap builds the tree on a tmpfs of its own: make that read-only too.
                 "--remount-ro", "/",
                 "--chdir", WORKDIR]
        env = {"PATH": f"{KERNEL_ENV_MOUNT}/bin:/usr/bin:/bin", "HOME": WORKDIR,
               "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "IPYTHONDIR": "/tmp/ipython", "VIRTUAL_ENV": KERNEL_ENV_MOUNT}
        for k, v in env.items():
            argv += ["--setenv", k, v]
        argv.append("--")
        if self.ids is not None:
            argv += [self.setpriv, f"--reuid={self.ids[0]}", f"--regid={self.ids[1]}",
                     "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                     "--no-new-privs", "--"]
        argv += [f"{KERNEL_ENV_MOUNT}/bin/python", "-I", "-c", _LAUNCH.format(workdir=WORKDIR),
                 "-f", _CONNECTION, "--HistoryManager.hist_file=:memory:",
                 "--IPKernelApp.transport=ipc"]
        return argv

    def _foreign_site_packages(self, base):
        ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
        cfg = (self.kernel_env / "pyvenv.cfg").read_text()
        for line in cfg.splitlines():            # the kernel env's own version
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                parts = value.strip().split(".")
                if len(parts) >= 2:
                    ver = f"python{parts[0]}.{parts[1]}"
        candidates = [f"{base}/lib/{ver}/site-packages", f"{base}/lib/{ver}/dist-packages",
                      "/usr/lib/python3/dist-packages", f"/usr/local/lib/{ver}/dist-packages",
                      f"/usr/local/lib/{ver}/site-packages", f"/usr/lib/{ver}/site-packages"]
        seen = []
        for c in candidates:
            if os.path.isdir(c) and not os.path.islink(c) and c not in seen:
                seen.append(c)
        return seen

    def _write_kernelspec(self):
        spec_dir = self.kernels_dir / "rnn-sandbox"
        spec_dir.mkdir(parents=True)
        settings = self.private / "settings.json"
        settings.write_text(json.dumps({
            "parent": os.getpid(),            # the process that will start the kernel
            "limits": json.loads(self.limits.to_json()),
            "cgroups": [str(p) for p in self.cgroups.values()],
            "pids_cgroup": "pids" in self.cgroups,
            "ids": list(self.ids) if self.ids else None,
            "readable": [h for h, _ in self.ro_binds],
            "argv_template": self.bwrap_argv(),
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
        """An AsyncKernelManager that starts this sandbox's kernel over IPC.

        Each start gets an empty IPC folder: nothing a previous kernel left there
        (a symlink in place of a socket, say) can redirect the grader's connection.
        """
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        self.reset()
        if self.ipc_dir.exists():
            shutil.rmtree(self.ipc_dir)
        self.ipc_dir.mkdir()
        os.chmod(self.ipc_dir, 0o777 if self.ids else 0o700)
        ksm = KernelSpecManager(kernel_dirs=[str(self.kernels_dir)])
        km = AsyncKernelManager(kernel_name="rnn-sandbox", kernel_spec_manager=ksm,
                                transport="ipc", ip=str(self.ipc_dir / "k"))
        km.connection_file = str(self.conn_dir / f"kernel-{uuid.uuid4().hex}.json")
        return km

    def seal_ipc(self):
        """Once the grader is connected: the kernel may no longer add, remove or
        replace anything in the IPC folder (it is root's; only root could chmod it)."""
        if self.ids is not None and self.ipc_dir.exists():
            os.chmod(self.ipc_dir, 0o755)

    # -- processes -------------------------------------------------------------------
    def process_count(self, root_pid=None):
        """Processes running in the sandbox (cgroup members, or descendants of root_pid)."""
        if "pids" in self.cgroups:
            try:
                return len((self.cgroups["pids"] / "cgroup.procs").read_text().split())
            except OSError:
                return 0
        return len(_descendants(root_pid)) if root_pid else 0

    def reset(self):
        """Kill whatever is left of the previous kernel and wait until it is gone, so
        that a new kernel starts with the whole process and memory budget."""
        for path in self.cgroups.values():
            _empty_cgroup(path, seconds=5.0, remove=False)

    # -- cgroups ----------------------------------------------------------------------
    def _make_cgroups(self):
        made = {}
        mb = 1024 * 1024
        # The owner's PID in the name lets sweep_stale() clean up after a killed grader.
        name = f"rnngrade-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        for ctl, root in _cgroup_roots().items():
            path = root / name
            try:
                path.mkdir(exist_ok=True)
                if ctl == "pids":
                    (path / "pids.max").write_text(str(self.limits.processes))
                elif (path / "memory.max").exists():                 # cgroup v2
                    (path / "memory.max").write_text(str(self.limits.memory_mb * mb))
                    if (path / "memory.swap.max").exists():
                        (path / "memory.swap.max").write_text("0")
                else:                                                  # cgroup v1
                    (path / "memory.limit_in_bytes").write_text(str(self.limits.memory_mb * mb))
                    if (path / "memory.memsw.limit_in_bytes").exists():
                        (path / "memory.memsw.limit_in_bytes").write_text(
                            str(self.limits.memory_mb * mb))
            except OSError:
                continue
            made[ctl] = path
        return made

    def _bounded_tmpfs(self, host, size_mb):
        """Mount a tmpfs of ``size_mb`` on the host folder ``host`` (root only): the
        grader reads answers from it, the kernel can fill no more than that. Its source
        names this process, so that sweep_stale() can unmount it after a kill -9."""
        src = f"rnngrade-{os.getpid()}-{uuid.uuid4().hex[:12]}".encode()
        flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
        opts = f"size={size_mb * 1024 * 1024},mode=0777".encode()
        if _libc().mount(src, os.fsencode(host), b"tmpfs", flags, opts) != 0:
            raise SandboxUnavailable(f"cannot mount a tmpfs for the answers: "
                                     f"{os.strerror(ctypes.get_errno())}")
        self.mounts.append(host)

    def close(self):
        for path in set(self.cgroups.values()):
            _empty_cgroup(path)
        for host in self.mounts:
            _unmount(host)
        self.mounts = []
        shutil.rmtree(self.private, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
