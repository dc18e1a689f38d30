"""The instructor CLI. Every subcommand has ``--help``; errors are one line, exit 2."""

from __future__ import annotations

import argparse
import sys

from .course import Course, CourseError, source_assignments

__all__ = ["main"]


def _course_args(p):
    p.add_argument("--course", default="course", metavar="DIR",
                   help="course directory (default: ./course)")
    p.add_argument("--db", metavar="URL", default=None,
                   help="gradebook database URL (default: sqlite:///<course>/gradebook.db; "
                        "e.g. postgresql://user@host/dbname)")


def _open(args, create=False):
    course = Course(args.course, args.db, create=create)
    if args.db:
        course.check_database()
    return course


def _cmd_release(args):
    from .release import release
    course = _open(args, create=True)
    names = args.assignments or source_assignments()
    release(course, names, due=args.due)
    if args.publish:
        from .release import publish
        publish(course, names, args.publish)
    return 0


def _cmd_collect(args):
    from .collect import collect
    course = _open(args)
    collect(course, args.assignment, args.source, args.pattern, args.skip_unmatched,
            args.overwrite)
    return 0


def _cmd_feedback(args):
    from .feedback import feedback
    feedback(_open(args), args.assignments or None, args.student or None)
    return 0


def _cmd_export(args):
    from .export import export
    # stdout carries the CSV alone (so it can be piped); the log goes to stderr.
    out = export(_open(args), log=lambda msg: print(msg, file=sys.stderr))
    print((out / "grades.csv").read_text(encoding="utf-8"), end="")
    return 0


def _cmd_report(args):
    from .report import report
    report(_open(args))
    return 0


def _cmd_grade(args):
    from .grading import grade
    from .sandbox import Limits, sandbox_available
    course = _open(args)
    sandbox = not args.unsafe_no_sandbox
    if sandbox:
        ok, reason = sandbox_available()
        if not ok:
            raise CourseError(f"cannot sandbox student code: {reason}. Install bubblewrap, or "
                              "pass --unsafe-no-sandbox to run student code with your own "
                              "permissions (never for untrusted submissions)")
    else:
        print("warning: --unsafe-no-sandbox: student code runs unsandboxed with your "
              "permissions", file=sys.stderr)
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                    memory_mb=args.memory_mb)
    results = grade(course, args.assignments or None, args.student or None, args.workers,
                    args.force, sandbox, limits, args.dask_scheduler, progress=not args.quiet)
    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to grade")
    for r in sorted(results, key=lambda r: (r["assignment"], r["student"])):
        if r["status"] in ("failed", "error"):
            print(f"  {r['status']}: {r['assignment']}/{r['student']}: {r['reason']}")
    return 1 if counts.get("error") else 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Run the RNN course on nbgrader: release, collect, grade, feedback, "
                    "export, report.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", help="generate student versions of assignments",
                       description="Generate the student versions of the source assignments "
                                   "in solutions/ with nbgrader (solutions stripped, hidden "
                                   "tests removed), check that nothing leaked, and zip each.")
    _course_args(p)
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignments to release (default: all in solutions/)")
    p.add_argument("--due", metavar="DATETIME",
                   help="due date recorded in the gradebook, e.g. '2026-12-01 23:59 UTC' "
                        "(submissions with a later timestamp.txt are marked late)")
    p.add_argument("--publish", metavar="DIR",
                   help="also copy the student notebooks and zips into DIR (the book uses "
                        "book/assignments); unchanged files are left untouched")
    p.set_defaults(func=_cmd_release)

    from .collect import CANVAS_PATTERN
    p = sub.add_parser(
        "collect", help="import submissions from an LMS zip download or a folder",
        description="Import submissions into <course>/submitted/<student>/<assignment>/. "
                    "SOURCE is an LMS zip download (file names parsed with --pattern, by "
                    "default Canvas's <name>_[LATE_]<user id>_<submission id>_<file>) or a "
                    "folder with one sub-folder per student. Nothing is imported if a file "
                    "name does not match, unless --skip-unmatched.")
    _course_args(p)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("source", metavar="SOURCE", help="zip file or folder")
    p.add_argument("--pattern", default=CANVAS_PATTERN, metavar="REGEX",
                   help="file-name pattern with (?P<student_id>...) and (?P<file_id>...) "
                        "groups (default: Canvas)")
    p.add_argument("--skip-unmatched", action="store_true",
                   help="import the files that match and report the others")
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing submissions of the same students")
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser(
        "grade", help="autograde submissions in the sandbox, in parallel",
        description="Autograde submitted notebooks with nbgrader, each kernel in a bubblewrap "
                    "sandbox, the hidden tests judged against rnn_ref outside the kernel. "
                    "Already graded submissions are skipped unless --force or the files "
                    "changed, so an interrupted run can simply be started again.")
    _course_args(p)
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignments to grade (default: all)")
    p.add_argument("--student", action="append", metavar="ID",
                   help="grade only this student (repeatable)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="parallel worker processes (default: number of cores)")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions that already have a result")
    p.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="send grading tasks to this Dask scheduler (tcp://host:8786); "
                        "workers must see the course directory and the database")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code without bubblewrap (only for trusted notebooks)")
    p.add_argument("--cell-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="wall-clock limit per cell (default: 30)")
    p.add_argument("--notebook-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="wall-clock limit per notebook (default: 300)")
    p.add_argument("--memory-mb", type=int, default=2048, metavar="MB",
                   help="memory limit of the student's kernel: the address space of each "
                        "process and, when grading as root, the whole sandbox with its /tmp "
                        "and working copy (default: 2048)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser(
        "feedback", help="write per-student HTML feedback",
        description="Write feedback/<student>/<assignment>/<assignment>.html for every "
                    "graded submission: each test's points and verdict with its reason, "
                    "runtime faults and integrity notes. Hidden tests and reference "
                    "outputs are never shown.")
    _course_args(p)
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", metavar="ID")
    p.set_defaults(func=_cmd_feedback)

    p = sub.add_parser(
        "export", help="write grades CSV for the LMS, plus per-cell detail",
        description="Write exports/grades.csv (Canvas-style gradebook import; failed or "
                    "missing submissions are left empty, never 0), exports/submissions.csv "
                    "(status, failure reason, late penalty, faults, integrity flags) and "
                    "exports/grade_cells.csv (per test cell), and print grades.csv.")
    _course_args(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "report", help="write an HTML report with score and fail-rate plots",
        description="Write reports/report.html with, per assignment, a histogram of the "
                    "scores and the fail rate of every test cell.")
    _course_args(p)
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CourseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
