"""The grading ledger: one row per (assignment, student), written once per grading.

nbgrader's gradebook holds the scores; it cannot tell "failed to grade" from "scored 0",
and a crash mid-notebook leaves partial grades in it. The ledger closes both gaps. A
worker writes the row in a single transaction *after* nbgrader has finished, so:

* a row with ``status = 'graded'`` means the gradebook scores of that submission are
  complete; ``'failed'`` carries the one-line reason the notebook could not be graded;
* no row (or a row for another version of the files, see ``digest``) means "grade it":
  this is how ``grade`` resumes after a crash and notices resubmissions.

The table lives in the same database as the gradebook (SQLite or PostgreSQL).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import (Column, DateTime, Float, MetaData, String, Table, Text, create_engine,
                        delete, event, select)

__all__ = ["Ledger", "GRADER_VERSION"]

GRADER_VERSION = "1"

_meta = MetaData()
results = Table(
    "rnngrade_results", _meta,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("digest", String(64)),
    Column("score", Float),
    Column("max_score", Float),
    Column("details", Text),
    Column("graded_at", DateTime(timezone=True)),
    Column("grader", String(32)),
)


def engine_for(db_url):
    if db_url.startswith("sqlite"):
        engine = create_engine(db_url, connect_args={"timeout": 120})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, _record):
            # Concurrent workers: readers never block the writer.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA busy_timeout=120000")
        return engine
    return create_engine(db_url, pool_pre_ping=True)


class Ledger:
    def __init__(self, db_url):
        self.engine = engine_for(db_url)
        _meta.create_all(self.engine)

    def get(self, assignment, student):
        with self.engine.connect() as conn:
            row = conn.execute(select(results).where(
                (results.c.assignment == assignment) & (results.c.student == student))).first()
        return None if row is None else dict(row._mapping)

    def rows(self, assignment=None):
        query = select(results)
        if assignment is not None:
            query = query.where(results.c.assignment == assignment)
        with self.engine.connect() as conn:
            out = [dict(r._mapping) for r in conn.execute(query)]
        for row in out:
            row["details"] = json.loads(row["details"] or "{}")
        return out

    def store(self, assignment, student, status, digest, reason=None, score=None,
              max_score=None, details=None):
        row = dict(assignment=assignment, student=student, status=status, reason=reason,
                   digest=digest, score=score, max_score=max_score,
                   details=json.dumps(details or {}), graded_at=datetime.now(timezone.utc),
                   grader=GRADER_VERSION)
        with self.engine.begin() as conn:      # one transaction: the completion marker
            conn.execute(delete(results).where(
                (results.c.assignment == assignment) & (results.c.student == student)))
            conn.execute(results.insert().values(**row))

    def is_current(self, assignment, student, digest):
        row = self.get(assignment, student)
        return row is not None and row["digest"] == digest and row["grader"] == GRADER_VERSION

    def dispose(self):
        self.engine.dispose()
