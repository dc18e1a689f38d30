"""Per-process reuse of work that nbgrader repeats for every notebook it autogrades.

Installed once per grading process by :func:`install` (grade_one calls it). Neither
changes what nbgrader decides; each only stops it from redoing, per notebook, work
whose result cannot differ:

* **Database engines.** nbgrader opens a new :class:`nbgrader.api.Gradebook` about a
  dozen times per notebook (the converter's set-up, then each preprocessor that touches
  the database), and every Gradebook creates a new SQLAlchemy engine: a new pool, the
  dialect's first-connect initialisation and an empty compiled-statement cache, so
  every query is compiled again. Gradebooks now take their engine from a cache (same
  URL, same options). Each still has its own session, checks its tables and course,
  and when closed disposes of the engine's pooled connections, so a gradebook file
  replaced on disk is opened afresh and no server connection outlives its Gradebook.
* **The metadata schema.** nbgrader's ``CheckCellMetadata`` (twice per notebook)
  validates every cell's nbgrader metadata with ``jsonschema.validate``, which first
  validates the *schema* itself against its meta-schema, for every cell: most of the
  check's time. The schema (nbgrader's own file) is now checked once per process;
  each cell is still validated against it and fails with the same error.
"""

from __future__ import annotations

import json
import threading

__all__ = ["install"]

_engines = {}
_validators = {}
_lock = threading.Lock()
_installed = False


def _create_engine(url, **kwargs):
    from sqlalchemy import create_engine
    key = (str(url), repr(sorted(kwargs.items())))
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = create_engine(url, **kwargs)
    return engine


class _SchemaChecked:
    """Stands in for the ``jsonschema`` module in nbgrader's metadata validator:
    ``validate`` as jsonschema's, with the check of the schema done once per schema."""

    def __init__(self, jsonschema):
        self._jsonschema = jsonschema

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)

    def validate(self, instance, schema):
        from jsonschema import exceptions, validators
        key = json.dumps(schema, sort_keys=True)
        with _lock:
            validator = _validators.get(key)
        if validator is None:
            cls = validators.validator_for(schema)
            cls.check_schema(schema)
            validator = cls(schema)
            with _lock:
                _validators[key] = validator
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def install():
    """From now on, nbgrader in this process reuses engines and the checked schema."""
    global _installed
    with _lock:
        if _installed:
            return
        import nbgrader.api
        import nbgrader.nbgraderformat.common as metadata
        nbgrader.api.create_engine = _create_engine
        metadata.jsonschema = _SchemaChecked(metadata.jsonschema)
        _installed = True
