"""Kernel launcher used by the sandbox's kernelspec: limits, uid, then bubblewrap.

``python -m autograder.sandbox_launch SETTINGS CONNECTION_FILE`` reads the settings
written by :class:`autograder.sandbox.Sandbox`, moves itself into the sandbox's
cgroups (if any), sets the resource limits that every process it starts inherits,
opens the files that bubblewrap copies into the sandbox (without following links),
and replaces itself with ``bwrap``; when the grader is root, ``setpriv`` inside the
sandbox drops the kernel to the sandbox uid. Kept free of heavy imports: it runs once per
kernel start.
"""

import ctypes
import json
import os
import resource
import signal
import stat
import sys


def _set(limit, value):
    resource.setrlimit(limit, (value, value))


def _die_with_parent(expected_parent):
    """SIGKILL this process (and, after exec, bwrap) when the grading worker dies.

    bwrap's own --die-with-parent is armed only once bwrap runs; a worker killed just
    before that would leave an orphaned sandbox. The flag set here survives exec, but
    not a change of uid (setpriv's, inside the sandbox, happens in bwrap's child,
    which bwrap's own --die-with-parent covers).
    """
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != expected_parent:        # the worker is already gone
        os._exit(1)


def _open(spec, connection_file):
    """A descriptor for one ``{"open": path}`` marker, inherited by bwrap."""
    path = spec["open"].replace("{connection_file}", connection_file)
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise OSError(f"{path} is not a regular file")
    os.set_inheritable(fd, True)
    return str(fd)


def _copies(folder, into, budget):
    """``--file FD DEST`` for each regular file at the top of ``folder`` (the host
    working copy), opened without following links, up to ``budget`` bytes in all."""
    args, total = [], 0
    for name in sorted(os.listdir(folder)):
        try:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        st = os.fstat(fd)
        total += st.st_size
        if not stat.S_ISREG(st.st_mode) or total > budget:
            os.close(fd)
            continue
        os.set_inheritable(fd, True)
        args += ["--perms", "0644", "--file", str(fd), f"{into}/{name}"]
    return args


def _readable(folder):
    """The challenge inputs are written by the grader with its umask: let the sandbox
    uid read them (they are the grader's own files, never the sandbox's)."""
    for root, dirs, files in os.walk(folder):
        os.chmod(root, 0o755, follow_symlinks=False)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644, follow_symlinks=False)


def build_argv(settings, connection_file):
    argv = []
    budget = settings["limits"]["workdir_mb"] * 1024 * 1024
    for item in settings["argv_template"]:
        if isinstance(item, str):
            argv.append(item)
        elif "files_of" in item:
            argv += _copies(item["files_of"], item["into"], budget)
        else:
            argv.append(_open(item, connection_file))
    return argv


def main(settings_path, connection_file):
    with open(settings_path) as f:
        settings = json.load(f)
    limits = settings["limits"]
    for cgroup in settings.get("cgroups") or []:
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    mb = 1024 * 1024
    _set(resource.RLIMIT_AS, limits["memory_mb"] * mb)
    _set(resource.RLIMIT_CPU, limits["cpu_seconds"])
    _set(resource.RLIMIT_FSIZE, limits["file_size_mb"] * mb)
    _set(resource.RLIMIT_CORE, 0)
    ids = settings.get("ids")
    if not settings.get("pids_cgroup"):
        # RLIMIT_NPROC counts every process of the uid; leave room for the ones
        # already running. (Root is exempt from it, but root always drops below.)
        uid = ids[0] if ids else os.getuid()
        running = 0
        for d in os.listdir("/proc"):
            try:
                running += d.isdigit() and os.stat(f"/proc/{d}").st_uid == uid
            except OSError:
                pass
        _set(resource.RLIMIT_NPROC, running + limits["processes"])
    for folder in settings.get("readable", []):
        _readable(folder)
    argv = build_argv(settings, connection_file)
    # bwrap creates mount points with the caller's umask: a strict one (077) would hide
    # /etc, /opt and the kernel environment from the sandbox uid.
    os.umask(0o022)
    _die_with_parent(settings["parent"])
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
