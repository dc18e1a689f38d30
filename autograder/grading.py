"""``grade``: autograde submissions in parallel, in the sandbox, without losing a grade.

One submission is graded by :func:`grade_one`, a plain function of picklable
arguments so that it runs the same in a local process pool or on a Dask worker:

1. skip it if the ledger already has a result for exactly these files (unless
   ``force``);
2. read the submission defensively (:mod:`autograder.intake`); a file that cannot be
   graded gets a ``failed`` ledger row with the reason, never a silent zero;
3. stage a normalized copy (the submitted files are never modified) and run
   nbgrader's ``Autograde`` converter on it with our preprocessors
   (:mod:`autograder.preprocessors`): audit, sandboxed execution, trusted verdicts;
4. read the scores back from the gradebook and write the ledger row in one
   transaction.

A failure of the database, the disk or the course folder (:mod:`autograder.infra`) is
retried with backoff and, if it persists, leaves the submission ungraded: never a
"failed" row, never a message in a student's feedback.

:func:`grade` plans the work, runs it with ``workers`` processes (which die with it) or
on a Dask cluster, shows a progress bar with done/total, failures and the ETA, and stops
starting new work once the infrastructure keeps failing (:class:`GradingStopped`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path

import nbformat
from traitlets.config import Config

from .course import Course, CourseError
from .infra import InfraError, classify, health, watch_database
from .intake import IntakeError, read_submission, submission_digest
from .ledger import Ledger
from .sandbox import Limits

__all__ = ["grade", "grade_one", "plan", "autograde_config", "GradingStopped"]


def autograde_config(record, staging, sandbox, limits, release_dir, prestart=False):
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,
                                        DeduplicateIds, IgnorePattern, LimitOutput,
                                        OverwriteCells, OverwriteKernelspec)

    from .execute import SandboxedExecute, UnsandboxedExecute
    from .preprocessors import AuditSubmission, InjectChallenges, JudgeChallenges, SaveTrustedGrades

    execute = SandboxedExecute if sandbox else UnsandboxedExecute
    c = Config()
    c.CourseDirectory.submitted_directory = str(staging)
    c.Autograde.sanitize_preprocessors = [AuditSubmission, ClearOutput, DeduplicateIds,
                                          OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
    c.Autograde.autograde_preprocessors = [InjectChallenges, execute, JudgeChallenges,
                                           IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                           SaveTrustedGrades, AssignLatePenalties,
                                           CheckCellMetadata]
    for name in ("AuditSubmission", "InjectChallenges", "JudgeChallenges", "SaveTrustedGrades"):
        c[name].record_key = record.key
    c.AuditSubmission.release_dir = str(release_dir)
    c[execute.__name__].limits = limits
    c[execute.__name__].release_dir = str(release_dir)
    c[execute.__name__].prestart = prestart
    return c


def _stage(nb, staging, student, assignment):
    """Write the normalized notebook, alone, into ``staging``.

    Its name comes from the assignment, never from the submission. Other submitted
    files stay in ``submitted/`` for the instructor (listed as flags by
    :func:`autograder.intake.extra_files`): the kernel's working copy holds the
    course's own files (see :mod:`autograder.execute`).
    """
    target = staging / student / assignment
    target.mkdir(parents=True)
    nbformat.write(nb, str(target / f"{assignment}.ipynb"))


def _scores(course, assignment, student):
    out = {}
    with course.gradebook() as gb:
        sub = gb.find_submission_notebook(assignment, assignment, student)
        for g in sub.grades:
            out[g.name] = {"score": g.score, "max": g.max_score,
                           "auto": g.auto_score, "manual": g.manual_score}
        total = gb.find_submission(assignment, student)
        return out, total.score, total.max_score


RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)


def grade_one(course_root, db_url, assignment, student, force=False, sandbox=True,
              limits=None, retry_delays=RETRY_DELAYS, prestart=False):
    """Grade one submission; return a summary dict.

    ``status`` is ``graded``, ``failed`` (the student's file cannot be graded; stored
    with its reason), ``skipped`` (already graded), ``infra`` (the database, the disk or
    the course folder failed ``len(retry_delays) + 1`` times in a row: nothing was
    stored, the submission stays ungraded) or ``error`` (a bug in the grader).
    ``prestart``: this worker will grade more, so start the next kernel meanwhile
    (:mod:`autograder.prestart`).
    """
    attempts = len(retry_delays) + 1
    for attempt in range(attempts):
        try:
            return _grade_once(course_root, db_url, assignment, student, force, sandbox,
                               limits, prestart)
        except InfraError as e:
            if attempt + 1 == attempts:
                return {"assignment": assignment, "student": student, "status": "infra",
                        "reason": f"{e} (tried {attempts} times)"}
            time.sleep(retry_delays[attempt])


def _grade_once(course_root, db_url, assignment, student, force, sandbox, limits,
                prestart=False):
    from . import speedups
    from .preprocessors import GradingRecord

    speedups.install()                       # per-process caches under nbgrader
    course = None
    ledger = None
    try:
        course = Course(course_root, db_url)
        ledger = Ledger(course.db_url)
        folder = course.path("submitted", student, assignment)
        digest = submission_digest(folder)
        if not force and ledger.is_current(assignment, student, digest):
            return {"assignment": assignment, "student": student, "status": "skipped"}
        try:
            nb, intake_flags = read_submission(folder, assignment,
                                               course.path("release", assignment))
        except IntakeError as e:
            ledger.store(assignment, student, "failed", digest, reason=str(e))
            return {"assignment": assignment, "student": student, "status": "failed",
                    "reason": str(e)}
        record = GradingRecord(student, assignment)
        record.flags.extend(intake_flags)
        staging = Path(tempfile.mkdtemp(prefix="rnngrade-stage-"))
        try:
            _stage(nb, staging, student, assignment)
            limits = Limits(**limits) if isinstance(limits, dict) else (limits or Limits())
            config = autograde_config(record, staging, sandbox, limits,
                                      course.path("release", assignment), prestart)
            with watch_database() as db_errors:
                result = course.api(config).autograde(assignment, student, force=True,
                                                      create=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            record.close()
        if not result["success"]:
            # nbgrader reports every failure the same way; a database error it caught, or
            # a course folder it could not write, is ours, not the student's.
            problem = db_errors[0] if db_errors else health(course)
            if problem:
                raise InfraError(problem)
            reason = _last_error(result)
            ledger.store(assignment, student, "failed", digest, reason=reason,
                         details=record.as_dict())
            return {"assignment": assignment, "student": student, "status": "failed",
                    "reason": reason}
        if db_errors:
            raise InfraError(db_errors[0])
        cells, score, max_score = _scores(course, assignment, student)
        details = record.as_dict()
        details["cells"] = cells
        ledger.store(assignment, student, "graded", digest, score=score,
                     max_score=max_score, details=details)
        return {"assignment": assignment, "student": student, "status": "graded",
                "score": score, "max_score": max_score,
                "flags": len(record.flags), "faults": len(record.faults)}
    except InfraError:
        raise
    except CourseError as e:
        return {"assignment": assignment, "student": student, "status": "error",
                "reason": str(e)}
    except Exception as e:  # noqa: BLE001 -- report, keep grading the others
        problem = classify(e)
        if problem:
            raise InfraError(problem) from None
        tb = traceback.format_exc(limit=3).strip().splitlines()[-1]
        return {"assignment": assignment, "student": student, "status": "error",
                "reason": f"grader error: {type(e).__name__}: {e} ({tb})"}
    finally:
        if ledger is not None:
            try:
                ledger.dispose()
            except Exception:  # noqa: BLE001 -- disposing a dead pool may fail; harmless
                pass


_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_.]*(Error|Exception|Exit)[A-Za-z_]*): (.+)$")


def _last_error(result):
    """The exception behind a failed nbgrader run, as one line."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    found = [m for m in map(_EXCEPTION_LINE.match, text.splitlines())
             if m and "NbGraderException" not in m.group(1)]
    if found:
        m = found[0]
        return f"nbgrader could not grade the notebook: {m.group(1)}: {m.group(3)[:300]}"
    return "nbgrader could not grade the notebook (no error message)"


def plan(course, assignments=None, students=None):
    """(assignment, student) pairs with a submission folder, in a stable order."""
    names = assignments or course.assignments()
    for a in names:
        course.check_assignment(a)
    submitted = course.path("submitted")
    pairs = []
    if submitted.is_dir():
        for sdir in sorted(p for p in submitted.iterdir() if p.is_dir()):
            if students and sdir.name not in students:
                continue
            for a in names:
                if (sdir / a).is_dir():
                    pairs.append((a, sdir.name))
    if students:
        missing = sorted(set(students) - {s for _, s in pairs})
        if missing:
            raise CourseError("no submission from " + ", ".join(missing)
                              + f" in {submitted}; import them with `collect` first")
    return pairs


class GradingStopped(Exception):
    """Grading stopped early: the grader's database, disk or folder kept failing."""

    def __init__(self, reason, results, planned):
        super().__init__(reason)
        self.reason, self.results, self.planned = reason, results, planned


def _worker_init(grader_pid):
    """Runs first in every pool worker: die as soon as the grader that started us does.

    A worker's parent is the forkserver, not the grader, so the parent-death signal
    alone is not enough when the grader is killed with ``kill -9``; a thread also
    watches the grader itself through a pidfd. The sandboxes a worker starts die with
    it (their launcher arms the same signal).
    """
    import ctypes
    import select
    import signal
    import threading
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    try:
        fd = os.pidfd_open(grader_pid)
    except (OSError, AttributeError):                   # already gone, or no pidfd
        if not _alive(grader_pid):
            os._exit(1)
        return

    def watch():
        select.select([fd], [], [])                      # readable once the grader exits
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="grader-watch", daemon=True).start()


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _prestarting(args, slots, enabled):
    """``args`` with grade_one's ``prestart`` flag: on, except for the last ``slots``
    tasks (after them, a worker would only start a kernel to throw it away)."""
    last = len(args) - slots
    return [(*a, enabled and k < last) for k, a in enumerate(args)]


def grade(course, assignments=None, students=None, workers=None, force=False, sandbox=True,
          limits=None, dask_scheduler=None, progress=True, log=print,
          retry_delays=RETRY_DELAYS, prestart=True):
    """Grade everything planned; return the list of per-submission summaries.

    When the database, the disk or the course folder keeps failing after the retries,
    no new submission is started, those already running finish, and
    :class:`GradingStopped` is raised with what failed and the summaries so far; the
    submissions not graded stay ungraded for the next run.

    With ``prestart``, each worker starts its next kernel while it grades (a fresh
    sandbox per submission all the same), except for the last submissions, which no
    worker will follow up.
    """
    from tqdm.auto import tqdm

    with course.gradebook() as gb:
        known = {a.name for a in gb.assignments}
    tasks = plan(course, assignments, students)
    unreleased = sorted({a for a, _ in tasks} - known)
    if unreleased:
        raise CourseError(f"assignment {unreleased[0]} was never released in this course; "
                          f"run `python -m autograder release --course {course.root} "
                          f"{unreleased[0]}` first")
    Ledger(course.db_url).dispose()          # create the ledger table once, up front
    if sandbox:
        from .sandbox import sweep_stale
        sweep_stale()                          # sandboxes orphaned by a killed earlier run
    workers = workers or os.cpu_count() or 1
    limits = asdict(limits or Limits())
    args = [(str(course.root), course.db_url, a, s, force, sandbox, limits,
             tuple(retry_delays)) for a, s in tasks]
    results = []
    failed = 0
    stop = []
    bar = tqdm(total=len(args), desc="grading", unit="nb", disable=not progress,
               dynamic_ncols=True)

    def done(summary):
        nonlocal failed
        if summary["status"] == "infra":
            if not stop:
                stop.append(summary["reason"])
            return
        results.append(summary)
        if summary["status"] in ("failed", "error"):
            failed += 1
        bar.set_postfix(failed=failed, refresh=False)
        bar.update(1)

    try:
        if dask_scheduler:
            from distributed import Client, as_completed as dask_completed
            try:
                client = Client(dask_scheduler, timeout="10s")
            except (OSError, TimeoutError) as e:
                raise CourseError(f"cannot reach the Dask scheduler at {dask_scheduler}: {e}; "
                                  "start one with `dask scheduler` or check the address") from None
            with client:
                slots = sum(client.nthreads().values()) or 1
                futures = [client.submit(grade_one, *a, pure=False)
                           for a in _prestarting(args, slots, prestart)]
                for fut in dask_completed(futures):
                    done(fut.result())
                    if stop:
                        client.cancel([f for f in futures if not f.done()])
                        break
        elif workers == 1:
            from . import prestart as spares
            try:
                for a in _prestarting(args, 1, prestart):
                    done(grade_one(*a))
                    if stop:
                        break
            finally:
                spares.discard()
        else:
            with ProcessPoolExecutor(max_workers=workers,
                                     mp_context=get_context("forkserver"),
                                     initializer=_worker_init,
                                     initargs=(os.getpid(),)) as pool:
                futures = [pool.submit(grade_one, *a)
                           for a in _prestarting(args, workers, prestart)]
                for fut in as_completed(futures):
                    if fut.cancelled():
                        continue
                    done(fut.result())
                    if stop:
                        for f in futures:
                            f.cancel()
    finally:
        bar.close()
    if stop:
        raise GradingStopped(stop[0], results, len(args))
    return results
