"""Kernel launcher used by the sandbox's kernelspec: limits first, then bubblewrap.

``python -m autograder.sandbox_launch SETTINGS CONNECTION_FILE`` reads the settings
written by :class:`autograder.sandbox.Sandbox`, moves itself into the sandbox's pids
cgroup (if any), sets the resource limits that every process it starts inherits, and
replaces itself with ``bwrap``. Kept free of heavy imports: it runs once per kernel.
"""

import json
import os
import resource
import sys


def _set(limit, value):
    resource.setrlimit(limit, (value, value))


def _die_with_parent(expected_parent):
    """SIGKILL this process (and, after exec, bwrap) when the grading worker dies.

    bwrap's own --die-with-parent is armed only once bwrap runs; a worker killed just
    before that would leave an orphaned sandbox. The flag set here survives exec.
    """
    import ctypes
    import signal
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != expected_parent:        # the worker is already gone
        os._exit(1)


def main(settings_path, connection_file):
    with open(settings_path) as f:
        settings = json.load(f)
    _die_with_parent(settings["parent"])
    limits = settings["limits"]
    if settings.get("cgroup"):
        with open(os.path.join(settings["cgroup"], "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    mb = 1024 * 1024
    _set(resource.RLIMIT_AS, limits["memory_mb"] * mb)
    _set(resource.RLIMIT_CPU, limits["cpu_seconds"])
    _set(resource.RLIMIT_FSIZE, limits["file_size_mb"] * mb)
    _set(resource.RLIMIT_CORE, 0)
    if os.getuid() != 0:
        # RLIMIT_NPROC counts every process of the user; leave room for the ones
        # already running. (Root is exempt from it: root uses the cgroup above.)
        running = sum(1 for d in os.listdir("/proc") if d.isdigit())
        _set(resource.RLIMIT_NPROC, running + limits["processes"])
    argv = [a.replace("{connection_file}", connection_file) for a in settings["argv_template"]]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
