"""One command at a time changes a course: an advisory lock on ``<course>/.lock``.

``grade`` and ``collect`` take the lock for their whole run. A second run finds it held
and stops with the holder's process id, host, command and start time, or waits for it
with ``--wait``. The lock is an ``flock`` on an open file, so the kernel releases it
when its holder exits in any way, ``kill -9`` included: there is no stale lock to clean.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from .course import CourseError

__all__ = ["course_lock"]

LOCK_NAME = ".lock"


def _holder(fd):
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode() or "{}")
        return (f"pid {info['pid']} on {info['host']} ({info['command']}, since "
                f"{info['since']})")
    except (OSError, ValueError, KeyError):
        return "another process"


@contextmanager
def course_lock(course, command, wait=False, poll=0.5, log=None):
    """Hold the course lock while the ``with`` block runs."""
    path = course.root / LOCK_NAME
    writable = True
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    except OSError:
        # A read-only course can still be locked (flock needs no write access); the
        # command itself then reports what it cannot write.
        writable = False
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError as e:
            raise CourseError(f"cannot open the course lock {path}: {e.strerror}") from None
    try:
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if not wait:
                    raise CourseError(f"the course {course.root} is in use by {holder}; wait "
                                      f"for it to finish, or pass --wait") from None
                if not announced and log:
                    log(f"waiting for {holder} to release the course ...")
                    announced = True
                time.sleep(poll)
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "command": command or " ".join(sys.argv[:3]),
                "since": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
        if writable:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            if writable:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
