"""A course directory and the nbgrader objects that work on it.

:class:`Course` loads ``autograder/nbgrader_config.py``, points nbgrader's
``CourseDirectory`` at the course folder and the gradebook database, and hands out the
nbgrader API and gradebook. All paths are absolute.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from traitlets.config import Config, PyFileConfigLoader


def _use_this_environment():
    """Put this interpreter's bin/ first on PATH.

    nbgrader runs ``alembic`` and kernels start ``python`` by name; without this, an
    instructor who runs ``.venv/bin/python -m autograder`` without activating the venv
    gets "No such file or directory: 'alembic'" or a kernel from another Python.
    """
    import os
    import sys
    bindir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + path


_use_this_environment()

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
CONFIG_FILE = Path(__file__).resolve().parent / "nbgrader_config.py"

__all__ = ["Course", "CourseError", "check_database", "source_assignments", "REPO",
           "SOLUTIONS"]


class CourseError(Exception):
    """A problem the instructor can fix; the CLI prints it as one line and exits 2."""


def source_assignments():
    """Names of the assignments in ``solutions/``: folders holding ``<name>.md``."""
    return sorted(d.name for d in SOLUTIONS.iterdir()
                  if d.is_dir() and (d / f"{d.name}.md").is_file())


def _sqlite_url(path):
    # timeout: concurrent graders wait for a lock instead of failing at once.
    return f"sqlite:///{Path(path).resolve()}?timeout=120"


SETTINGS = "course.toml"


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    return json.dumps(str(v))            # a JSON string is a valid TOML basic string


def _toml_key(k):
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def dump_settings(settings):
    """TOML text for the settings dict (tables of scalars, one level of sub-tables)."""
    lines = ["# Course settings written by `python -m autograder` (release, late-policy,",
             "# extend, roster, export). Edit with those commands; it is plain TOML.", ""]

    def table(name, d):
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in d.items() if isinstance(v, dict)}
        if scalars or not subs:
            lines.append(f"[{name}]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in sorted(scalars.items()))
            lines.append("")
        for k, v in sorted(subs.items()):
            table(f"{name}.{_toml_key(k)}", v)

    for name, d in settings.items():
        table(_toml_key(name), d)
    return "\n".join(lines)


def _public_url(url):
    """The URL in a normal form and without its password (never written to the course)."""
    from sqlalchemy.engine import make_url
    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 -- an unparsable URL is reported by check_database
        return url
    return u.set(password=None).render_as_string(hide_password=False)


class Course:
    """The course folder ``root`` with its gradebook at ``db_url``.

    ``db_url`` defaults to ``<root>/gradebook.db`` (SQLite); pass
    ``postgresql://user@host/db`` to share one gradebook between many workers. The
    course remembers its database in ``course.toml`` (written by ``release``), so later
    commands need no ``--db``; a different ``--db`` is refused.
    """

    def __init__(self, root, db_url=None, create=False):
        self.root = Path(root).resolve()
        if not self.root.is_dir() and not create:
            raise CourseError(
                f"course directory {self.root} does not exist; create it with "
                f"`python -m autograder release --course {root}` or pass --course")
        self.settings_path = self.root / SETTINGS
        self.settings = self._read_settings()
        legacy = self.settings is None and (self.root / "gradebook.db").is_file()
        if self.settings is None and not create and not legacy:
            raise CourseError(
                f"{self.root} is not a course folder (it has no {SETTINGS}); create a course "
                f"with `python -m autograder release --course {root}` or pass the right "
                "--course")
        stored = (self.settings or {}).get("gradebook", {}).get("url")
        default = _sqlite_url(self.root / "gradebook.db")
        if stored is not None and db_url:
            same = (_public_url(db_url) == _public_url(stored)) if stored else (
                _public_url(db_url) == _public_url(default))
            if not same:
                shown = stored or "the SQLite gradebook inside the course"
                raise CourseError(f"this course's gradebook is {_public_url(shown)}; --db "
                                  f"{_public_url(db_url)} names another database (leave "
                                  "out --db to use the course's own)")
        if stored and not db_url:
            db_url = stored
        self.db_url = db_url or default
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
            if self.settings is None:
                self.settings = {"gradebook": {"url": _public_url(db_url) if db_url else ""}}
                self.save_settings()
            (self.root / ".lock").touch()      # the course lock (autograder.lock)
        self.settings = self.settings or {}
        config = PyFileConfigLoader(CONFIG_FILE.name, str(CONFIG_FILE.parent)).load_config()
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.db_url = self.db_url
        # nbgrader's API sets up its exchange (for JupyterHub courses) even when unused;
        # keep it inside the course instead of /usr/local/share.
        config.Exchange.root = str(self.root / "exchange")
        self.config = config

    # -- settings (course.toml) ------------------------------------------------------
    def _read_settings(self):
        import tomllib
        try:
            text = self.settings_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as e:
            raise CourseError(f"cannot read {self.settings_path}: {e.strerror}") from None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise CourseError(f"{self.settings_path} is not valid TOML ({e}); fix or "
                              "restore it") from None

    def save_settings(self):
        tmp = self.settings_path.with_suffix(".tmp")
        tmp.write_text(dump_settings(self.settings), encoding="utf-8")
        tmp.replace(self.settings_path)

    def section(self, name):
        """A settings table, created empty if missing (call save_settings after edits)."""
        return self.settings.setdefault(name, {})

    def write_nbgrader_config(self):
        """Write ``<course>/nbgrader_config.py`` so that plain nbgrader commands run from
        the course folder (``nbgrader formgrader``, ``nbgrader autograde``...) see the
        same course: it loads the shared configuration and records root and database."""
        path = self.root / "nbgrader_config.py"
        path.write_text(
            "# Written by `python -m autograder`. Run plain nbgrader commands from this\n"
            "# folder (e.g. `nbgrader formgrader` to grade written answers by hand).\n"
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(CONFIG_FILE)!r})  # noqa: F821\n"
            f"c.CourseDirectory.root = {str(self.root)!r}\n"
            f"c.CourseDirectory.db_url = {self.db_url!r}\n"
            f"c.Exchange.root = {str(self.root / 'exchange')!r}\n", encoding="utf-8")
        return path

    # -- paths ---------------------------------------------------------------------
    def path(self, step, *parts):
        return self.root.joinpath(step, *parts)

    @property
    def course_id(self):
        return self.config.CourseDirectory.course_id

    def assignments(self):
        return source_assignments()

    def check_assignment(self, assignment):
        known = self.assignments()
        if assignment not in known:
            raise CourseError(f"unknown assignment {assignment!r}; known assignments: "
                              + ", ".join(known))
        return assignment

    # -- nbgrader objects ----------------------------------------------------------
    def coursedir(self):
        from nbgrader.coursedir import CourseDirectory
        return CourseDirectory(config=self.config)

    def api(self, extra_config=None):
        from nbgrader.apps import NbGraderAPI
        config = Config(self.config)
        if extra_config is not None:
            config.merge(extra_config)
        from nbgrader.coursedir import CourseDirectory
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def gradebook(self):
        from nbgrader.api import Gradebook
        return Gradebook(self.db_url, self.course_id)


def check_database(db_url):
    """Connect once; raise CourseError with a usable message if that fails."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError
    try:
        url = make_url(db_url)
    except ArgumentError:
        raise CourseError(f"--db {db_url!r} is not a database URL; use e.g. "
                          "postgresql://user@host:5432/gradebook") from None
    shown = url.render_as_string(hide_password=True)
    args = {"connect_timeout": 5} if url.get_backend_name() == "postgresql" else {}
    try:
        engine = create_engine(url, connect_args=args)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except ModuleNotFoundError as e:
        raise CourseError(f"no driver for {shown}: {e}") from None
    except SQLAlchemyError as e:
        first = str(getattr(e, "orig", e)).strip().splitlines()[0]
        raise CourseError(f"cannot connect to the gradebook database {shown} ({first}); "
                          "check that the server runs and the URL, user and password "
                          "are right") from None


def read_notebook_json(path):
    """Load a notebook as JSON; raise CourseError with the file name on failure."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CourseError(f"{path}: not a readable notebook ({e})") from None


SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
