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

__all__ = ["Course", "CourseError", "source_assignments", "REPO", "SOLUTIONS"]


class CourseError(Exception):
    """A problem the instructor can fix; the CLI prints it as one line and exits 2."""


def source_assignments():
    """Names of the assignments in ``solutions/``: folders holding ``<name>.md``."""
    return sorted(d.name for d in SOLUTIONS.iterdir()
                  if d.is_dir() and (d / f"{d.name}.md").is_file())


def _sqlite_url(path):
    # timeout: concurrent graders wait for a lock instead of failing at once.
    return f"sqlite:///{Path(path).resolve()}?timeout=120"


class Course:
    """The course folder ``root`` with its gradebook at ``db_url``.

    ``db_url`` defaults to ``<root>/gradebook.db`` (SQLite); pass
    ``postgresql://user@host/db`` to share one gradebook between many workers.
    """

    def __init__(self, root, db_url=None, create=False):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            if not create:
                raise CourseError(
                    f"course directory {self.root} does not exist; create it with "
                    f"`python -m autograder release --course {root}` or pass --course")
            self.root.mkdir(parents=True)
        self.db_url = db_url or _sqlite_url(self.root / "gradebook.db")
        config = PyFileConfigLoader(CONFIG_FILE.name, str(CONFIG_FILE.parent)).load_config()
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.db_url = self.db_url
        # nbgrader's API sets up its exchange (for JupyterHub courses) even when unused;
        # keep it inside the course instead of /usr/local/share.
        config.Exchange.root = str(self.root / "exchange")
        self.config = config

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

    def check_database(self):
        """Connect once; raise CourseError with a usable message if that fails."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, SQLAlchemyError
        try:
            url = make_url(self.db_url)
        except ArgumentError:
            raise CourseError(f"--db {self.db_url!r} is not a database URL; use e.g. "
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
