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


def _cmd_release(args):
    from .release import release
    course = Course(args.course, args.db, create=True)
    names = args.assignments or source_assignments()
    release(course, names)
    return 0


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
    p.set_defaults(func=_cmd_release)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CourseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
