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


def main(settings_path, connection_file):
    with open(settings_path) as f:
        settings = json.load(f)
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
