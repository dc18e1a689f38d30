"""Start the next submission's kernel while the current one is graded.

Starting a sandboxed kernel (launcher, bubblewrap, Python, ipykernel) takes longer than
running the cells of most submissions, and the grading worker would only wait for it.
So a worker that expects more work keeps one *spare*: what
:class:`autograder.execute.Prepared` builds for one submission (a fresh working copy
of the course's released files, empty challenge folders, a new sandbox and its kernel
process, booting). The spare has seen nothing of any student: the submission that
takes it writes its own challenge inputs into it only then, uses it alone and closes
it; the worker never hands a kernel or a sandbox to a second submission.

A spare is matched by a key (the release folder and its files, the limits, sandboxed
or not): one prepared for another course or an older release is closed, never used.
Spares are per thread (a Dask worker may run several grading threads, each with its
own event loop) and are closed when the process ends, or by :func:`discard`.
"""

from __future__ import annotations

import threading
from multiprocessing import util

__all__ = ["take", "keep", "discard"]

_local = threading.local()
_all = set()                       # every live spare, for the exit handler
_lock = threading.Lock()


def take(key):
    """The spare prepared under ``key`` (None if there is none); a spare prepared under
    another key is closed."""
    spare = getattr(_local, "spare", None)
    _local.spare = None
    if spare is None:
        return None
    _forget(spare)
    if spare.key == key:
        return spare
    spare.close()
    return None


def keep(spare):
    """Hold ``spare`` for this thread's next submission (closing any older one)."""
    discard()
    _local.spare = spare
    with _lock:
        _all.add(spare)


def discard():
    """Close this thread's spare, if any."""
    spare = getattr(_local, "spare", None)
    _local.spare = None
    if spare is not None:
        _forget(spare)
        spare.close()


def _forget(spare):
    with _lock:
        _all.discard(spare)


def _close_all():
    with _lock:
        left = list(_all)
        _all.clear()
    for spare in left:
        try:
            spare.close()
        except Exception:  # noqa: BLE001 -- exiting anyway; the kernel dies with us
            pass


# Runs at interpreter exit and, unlike atexit, also when a multiprocessing or Dask
# worker process ends.
util.Finalize(None, _close_all, exitpriority=10)
