"""One SQLAlchemy engine per gradebook URL in a grading process, shared by nbgrader.

nbgrader opens a new :class:`nbgrader.api.Gradebook` about a dozen times for each
autograded notebook (the converter's set-up, then each preprocessor that touches the
database), and every Gradebook creates a new engine: a new connection pool, the
dialect's first-connect initialisation and an empty compiled-statement cache, so every
query of every Gradebook is compiled again. :func:`share_engines` makes nbgrader's
Gradebook take its engine from this process's cache instead (same URL, same options).

Nothing else changes: each Gradebook still has its own session, checks its tables and
its course, and when closed disposes of the engine's pooled connections (so a
gradebook file replaced on disk is opened afresh, and no connection to a database
server outlives the Gradebook that opened it). Only the engine object, with its
compiled statements, is reused.
"""

from __future__ import annotations

import threading

__all__ = ["share_engines"]

_engines = {}
_lock = threading.Lock()
_shared = False


def _create_engine(url, **kwargs):
    from sqlalchemy import create_engine
    key = (str(url), repr(sorted(kwargs.items())))
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = create_engine(url, **kwargs)
    return engine


def share_engines():
    """From now on, nbgrader's Gradebooks in this process reuse their engines."""
    global _shared
    with _lock:
        if _shared:
            return
        import nbgrader.api
        nbgrader.api.create_engine = _create_engine
        _shared = True
