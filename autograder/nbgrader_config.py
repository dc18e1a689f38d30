"""nbgrader configuration of the course, read by ``python -m autograder``.

``release`` also writes ``<course>/nbgrader_config.py``, which loads this file and sets
the course's root and database, so plain nbgrader commands run from the course folder
work on the same course (``cd course && nbgrader formgrader``).

The course directory (``--course``, default ``./course``) holds everything that
changes during a term; the exercises' sources stay in the repository's ``solutions/``,
and ``release`` builds nbgrader's source folders from them:

    <course>/source/<assignment>/                nbgrader source (with solutions), rebuilt
                                                 from solutions/<assignment>/ on release
    <course>/gradebook.db                        SQLite gradebook (default database)
    <course>/release/<assignment>/               student versions (+ <assignment>.zip)
    <course>/submitted/<student>/<assignment>/   imported submissions, never modified
    <course>/autograded/<student>/<assignment>/  graded copies
    <course>/feedback/<student>/<assignment>/    per-student HTML feedback
    <course>/course.toml                         course settings: database, late policy,
                                                 extensions, Canvas columns
    <course>/lms/<assignment>.json               LMS late markers and submission times
    <course>/exports/                            grades.csv, gradescope_*.csv,
                                                 submissions.csv, grade_cells.csv
    <course>/reports/                            report.html and its plots

``python -m autograder`` sets ``CourseDirectory.root`` and ``db_url`` from its command
line; everything else below applies to every course.
"""
import os

c = get_config()  # noqa: F821 -- provided by traitlets when this file is loaded

c.CourseDirectory.course_id = "rnn-textbook"
c.CourseDirectory.root = os.path.abspath("course")

# Student stubs: a function body that fails loudly until the student writes it.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A deleted test cell comes back from the source instead of leaving an empty score.
c.OverwriteCells.add_missing_cells = True

# Execution limits for plain nbgrader runs (the sandboxed grader has its own). nbgrader's
# Execute always continues after a failing cell (its allow_errors is fixed, not
# configurable), so it is not set here.
c.Execute.timeout = 120

# nbgrader zeroes a test cell with any stderr output; a numpy RuntimeWarning from an
# otherwise correct answer must not do that.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w+Warning: "
