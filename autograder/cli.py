"""The instructor CLI. Every subcommand has ``--help``; errors are one line, exit 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .course import Course, CourseError, check_database, source_assignments

__all__ = ["main"]


def _course_args(p):
    p.add_argument("--course", default="course", metavar="DIR",
                   help="course directory (default: ./course)")
    p.add_argument("--db", metavar="URL", default=None,
                   help="gradebook database URL, given to `release` when the course is "
                        "created (default: sqlite:///<course>/gradebook.db; e.g. "
                        "postgresql://user@host/dbname). The course remembers it in "
                        "course.toml; later commands need no --db, and another URL is "
                        "refused")


def _wait_arg(p):
    p.add_argument("--wait", action="store_true",
                   help="if another command holds the course, wait for it instead of "
                        "stopping")


def _open(args, create=False):
    if args.db and create:
        check_database(args.db)          # before the course folder is created
        return Course(args.course, args.db, create=True)
    if args.db and not Path(args.course).is_dir():
        check_database(args.db)          # a bad URL is the first thing to report
    course = Course(args.course, args.db, create=create)   # refuses another database
    if args.db:
        check_database(args.db)
    return course


def _cmd_release(args):
    from .deadlines import check_zone, parse_due
    from .release import release
    # Every argument is checked before the course folder is created or changed.
    if args.tz:
        check_zone(args.tz)
    due = parse_due(args.due, args.tz) if args.due is not None else None
    if args.tz and args.due is None:
        raise CourseError("--tz only applies to --due; pass --due as well")
    names = args.assignments or source_assignments()
    for name in names:
        if name not in source_assignments():
            raise CourseError(f"unknown assignment {name!r}; known assignments: "
                              + ", ".join(source_assignments()))
    course = _open(args, create=True)
    release(course, names, due=due)
    if due is not None:
        print(f"due date of {', '.join(names)}: {due:%Y-%m-%d %H:%M} UTC")
    if args.publish:
        from .release import publish
        publish(course, names, args.publish)
    return 0


def _cmd_collect(args):
    from .collect import collect
    from .lock import course_lock
    course = _open(args)
    with course_lock(course, "collect", args.wait, log=_err):
        collect(course, args.assignment, args.source, args.pattern, args.skip_unmatched,
                args.overwrite, times=args.times)
    return 0


def _cmd_feedback(args):
    from .feedback import feedback
    feedback(_open(args), args.assignments or None, args.student or None)
    return 0


def _cmd_export(args):
    from .export import export
    course = _open(args)
    columns = {}
    for item in args.canvas_column or []:
        name, sep, header = item.partition("=")
        if not sep or not name or not header:
            raise CourseError(f"--canvas-column {item!r}: use ASSIGNMENT=HEADER, e.g. "
                              "ex02_tdnn='Exercise 2: TDNN (123456)'")
        columns[name] = header
    # stdout carries the CSV alone (so it can be piped); the log goes to stderr.
    out = export(course, log=_err, canvas_columns=columns, pending=args.pending)
    print((out / "grades.csv").read_text(encoding="utf-8"), end="")
    return 0


def _cmd_report(args):
    from .report import report
    report(_open(args))
    return 0


def _cmd_late_policy(args):
    from .deadlines import LatePolicy
    course = _open(args)
    settings = course.section("late_policy")
    if args.none:
        course.settings["late_policy"] = LatePolicy().as_dict()
        course.save_settings()
    elif any(v is not None for v in (args.percent, args.per, args.cap, args.grace)):
        current = LatePolicy.from_dict(settings)
        policy = LatePolicy(
            percent=current.percent if args.percent is None else args.percent,
            per=current.per if args.per is None else args.per,
            cap=current.cap if args.cap is None else args.cap,
            grace_minutes=current.grace_minutes if args.grace is None else args.grace)
        course.settings["late_policy"] = policy.as_dict()
        course.save_settings()
    print("late policy: " + LatePolicy.from_dict(course.settings.get("late_policy", {}))
          .describe())
    return 0


def _cmd_extend(args):
    course = _open(args)
    ext = course.section("extensions")
    if args.assignment:
        course.check_assignment(args.assignment)
        if not args.student or args.hours is None:
            raise CourseError("give ASSIGNMENT STUDENT --hours H (0 removes the extension)")
        if args.hours < 0:
            raise CourseError(f"--hours {args.hours:g}: an extension cannot be negative")
        per = ext.setdefault(args.assignment, {})
        if args.hours:
            per[args.student] = float(args.hours)
        else:
            per.pop(args.student, None)
        course.save_settings()
    rows = [(a, s, h) for a, d in sorted(ext.items()) for s, h in sorted(d.items())]
    for a, s, h in rows:
        print(f"{a}\t{s}\t+{h:g} h")
    if not rows:
        print("no extensions")
    return 0


def _cmd_roster(args):
    from .roster import import_roster
    import_roster(_open(args), args.csv)
    return 0


def _err(msg):
    print(msg, file=sys.stderr)


STOPPED = 3


def _cmd_grade(args):
    from .grading import GradingStopped, grade
    from .lock import course_lock
    from .sandbox import Limits, sandbox_available
    if args.retries < 0:
        raise CourseError("--retries must be 0 or more")
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
    delays = tuple(min(2.0 ** k, 30.0) for k in range(args.retries))
    stopped = None
    with course_lock(course, "grade", args.wait, log=_err):
        try:
            results = grade(course, args.assignments or None, args.student or None,
                            args.workers, args.force, sandbox, limits, args.dask_scheduler,
                            progress=not args.quiet, retry_delays=delays)
        except GradingStopped as e:
            stopped, results = e, e.results
    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to grade")
    for r in sorted(results, key=lambda r: (r["assignment"], r["student"])):
        if r["status"] in ("failed", "error"):
            print(f"  {r['status']}: {r['assignment']}/{r['student']}: {r['reason']}")
    if stopped is not None:
        done = len(results)
        _err(f"stopped: {stopped.reason}. {done} done ({counts.get('graded', 0)} graded now, "
             f"{counts.get('skipped', 0)} already graded, {counts.get('failed', 0)} failed "
             f"to grade), {stopped.planned - done} left ungraded; fix the problem and run "
             "`grade` again to continue")
        return STOPPED
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
                   help="due date recorded in the gradebook: ISO 8601 with an offset "
                        "('2026-12-01T23:59-08:00') or an IANA zone ('2026-12-01 23:59 "
                        "America/Los_Angeles', '... UTC'); ambiguous dates such as "
                        "'01/12/2026', '1 Dec' or zone abbreviations like PST are refused")
    p.add_argument("--tz", metavar="ZONE",
                   help="IANA time zone of a --due without one, e.g. America/Los_Angeles")
    p.add_argument("--publish", metavar="DIR",
                   help="also copy the student notebooks and zips into DIR (the book uses "
                        "book/assignments); unchanged files are left untouched")
    p.set_defaults(func=_cmd_release)

    from .collect import CANVAS_PATTERN
    p = sub.add_parser(
        "collect", help="import submissions from an LMS zip download or a folder",
        description="Import submissions of a released assignment into "
                    "<course>/submitted/<student>/<assignment>/. SOURCE is an LMS zip "
                    "download (file names parsed with --pattern, by default Canvas's "
                    "<name>_[LATE_]<user id>_<submission id>_<file>; of a file uploaded "
                    "twice the newest is kept) or a folder with one sub-folder per student. "
                    "Archives are unpacked into their uploader's submission only, with "
                    "size limits; links are never followed; an upload that cannot be "
                    "unpacked is reported and skipped. Nothing is imported if a file name "
                    "does not match, unless --skip-unmatched.")
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
    p.add_argument("--times", metavar="CSV",
                   help="submission times from the LMS: a CSV with a student id column "
                        "(user_id, ID or student_id) and submitted_at (ISO 8601, e.g. "
                        "Canvas's API export); without it the times stored in the zip are "
                        "used")
    _wait_arg(p)
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser(
        "grade", help="autograde submissions in the sandbox, in parallel",
        description="Autograde submitted notebooks with nbgrader, each kernel in a bubblewrap "
                    "sandbox, the hidden tests judged against rnn_ref outside the kernel. "
                    "Already graded submissions are skipped unless --force or the files "
                    "changed, so an interrupted run can simply be started again. One run "
                    "per course at a time (a second one says who holds the course). If "
                    "the database, the disk or the course folder keeps failing, grading "
                    f"stops with exit code {STOPPED}; the submissions left stay ungraded.")
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
    p.add_argument("--retries", type=int, default=4, metavar="N",
                   help="when the database, the disk or the course folder fails, retry a "
                        "submission N times, waiting 1, 2, 4, ... s (default: 4); then stop "
                        f"with exit code {STOPPED}, leaving the rest ungraded for the next run")
    _wait_arg(p)
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
        "export", help="write grade CSVs for Canvas and Gradescope, plus per-cell detail",
        description="Write into <course>/exports/: grades.csv (Canvas gradebook import: "
                    "Student, ID, SIS User ID, SIS Login ID, Section, then one "
                    "'<assignment> (<Canvas id>)' column each), gradescope_<assignment>.csv "
                    "(Name, Email, SID, Score), submissions.csv (status graded/pending/"
                    "failed/not submitted, reason, late penalty, faults, flags) and "
                    "grade_cells.csv (one row per test cell); print grades.csv. Scores "
                    "include the course's late policy; failed and missing submissions "
                    "are left empty, never 0.")
    _course_args(p)
    p.add_argument("--canvas-column", action="append", metavar="ASSIGNMENT=HEADER",
                   help="Canvas column of an assignment, e.g. ex02_tdnn='Exercise 2 "
                        "(123456)' (remembered in course.toml; by default taken from the "
                        "imported roster's columns that name the assignment)")
    p.add_argument("--pending", choices=["partial", "empty"], default="partial",
                   help="scores of submissions whose written answers are not graded by "
                        "hand yet: export the automatic part (partial, the default; "
                        "listed on stderr) or leave them empty")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "report", help="write an HTML report with score and fail-rate plots",
        description="Write reports/report.html with, per assignment, a histogram of the "
                    "scores and the fail rate of every test cell.")
    _course_args(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "roster", help="import student names, emails and SIS ids from the LMS",
        description="Import a roster CSV into the gradebook (nbgrader's student records, so "
                    "formgrader and the exports show names). Accepts Canvas's gradebook "
                    "export (Student 'Last, First', ID, SIS User ID, SIS Login ID, Section) "
                    "and rosters with Name or First/Last Name, Email and SID columns. "
                    "The student id is the LMS user id (the ID column), as in `collect`.")
    _course_args(p)
    p.add_argument("csv", metavar="CSV", help="roster file")
    p.set_defaults(func=_cmd_roster)

    p = sub.add_parser(
        "late-policy", help="show or set the course's late penalty",
        description="Show the late policy, or set it: PERCENT off the score per started "
                    "hour or day after the due date (plus the student's extension), "
                    "after a grace period, at most CAP percent. Applied by `export` and "
                    "shown in the feedback.")
    _course_args(p)
    p.add_argument("--percent", type=float, metavar="P", help="percent off per unit late")
    p.add_argument("--per", choices=["hour", "day"], help="unit of lateness (default: day)")
    p.add_argument("--cap", type=float, metavar="C", help="largest penalty in percent "
                   "(default: 100)")
    p.add_argument("--grace", type=float, metavar="MINUTES",
                   help="lateness forgiven entirely (default: 0)")
    p.add_argument("--none", action="store_true", help="remove the late penalty")
    p.set_defaults(func=_cmd_late_policy)

    p = sub.add_parser(
        "extend", help="give a student more time on an assignment, or list extensions",
        description="Move one student's due date by --hours (0 removes the extension). "
                    "Without arguments, list every extension.")
    _course_args(p)
    p.add_argument("assignment", nargs="?", metavar="ASSIGNMENT")
    p.add_argument("student", nargs="?", metavar="STUDENT")
    p.add_argument("--hours", type=float, metavar="H", help="hours added to the due date")
    p.set_defaults(func=_cmd_extend)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CourseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 -- only infrastructure errors are handled here
        from .infra import classify
        problem = classify(e)
        if problem is None:
            raise
        print(f"error: {problem}; nothing was lost: fix it and run the command again",
              file=sys.stderr)
        return STOPPED
