"""Telling the grader's own failures from a student's.

A database that drops a connection, a full disk or a read-only course folder is never
the student's fault: such a submission must stay *ungraded* (graded again on the next
run), never be stored as "failed", and the error text (ports, paths, SQL) must never
reach a student's feedback. :func:`classify` recognises these errors from the exception
object (never from text a notebook could print); :func:`watch_database` records the
database errors that nbgrader catches and turns into a plain "failed" result; and
:func:`health` checks the database and the course folder after a failure whose cause
is unknown.
"""

from __future__ import annotations

import errno
import sqlite3
import tempfile
from contextlib import contextmanager

__all__ = ["InfraError", "classify", "watch_database", "health", "one_line"]

_OS_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EIO,
              errno.ESTALE}


class InfraError(Exception):
    """The grader's environment failed; the message is one line for the instructor."""


def one_line(exc):
    """The first line of an exception's own message, without SQL or tracebacks."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    first = text[0] if text else type(orig).__name__
    return f"{type(orig).__name__}: {first[:200]}"


def classify(exc):
    """A one-line description if ``exc`` is an infrastructure error, else None."""
    from sqlalchemy import exc as sa
    if isinstance(exc, InfraError):
        return str(exc)
    if isinstance(exc, (sa.OperationalError, sa.InterfaceError, sa.DisconnectionError,
                        sa.TimeoutError, sa.InternalError)):
        return f"the gradebook database failed ({one_line(exc)})"
    if isinstance(exc, (sqlite3.OperationalError, sqlite3.InterfaceError)):
        return f"the gradebook database failed ({one_line(exc)})"
    try:
        import psycopg
        if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
            return f"the gradebook database failed ({one_line(exc)})"
    except ImportError:
        pass
    if isinstance(exc, OSError) and exc.errno in _OS_ERRNOS:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"the grader cannot write its files{where}: {exc.strerror}"
    return None


@contextmanager
def watch_database():
    """Record database errors raised anywhere in this process while the block runs.

    nbgrader catches the exception of a notebook that fails to grade and reports only
    "failed"; SQLAlchemy's ``handle_error`` event still sees the original error first.
    Yields a list that holds the one-line descriptions seen.
    """
    from sqlalchemy import event
    from sqlalchemy import exc as sa
    from sqlalchemy.engine import Engine
    seen = []

    def record(context):
        err = context.sqlalchemy_exception
        if context.is_disconnect or isinstance(err, (sa.OperationalError, sa.InterfaceError,
                                                     sa.InternalError)):
            seen.append(f"the gradebook database failed ({one_line(err)})")

    event.listen(Engine, "handle_error", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "handle_error", record)


def health(course):
    """None if the database answers and the course folder is writable, else the problem."""
    from sqlalchemy import text
    from .ledger import engine_for
    try:
        engine = engine_for(course.db_url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as e:  # noqa: BLE001 -- any failure here is the database's
        return classify(e) or f"the gradebook database failed ({one_line(e)})"
    for folder in (course.root, course.path("autograded")):
        if not folder.is_dir():
            continue
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as e:
            return f"the grader cannot write to {folder}: {e.strerror}"
    if course.db_url.startswith("sqlite"):
        db = course.root / "gradebook.db"
        try:
            with open(db, "r+b"):
                pass
        except OSError as e:
            return f"the grader cannot write the gradebook {db}: {e.strerror}"
    return None
