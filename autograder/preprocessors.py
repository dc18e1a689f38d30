"""nbgrader preprocessors of the sandboxed grader.

They slot into nbgrader's ``Autograde`` converter (see :func:`autograder.grading.
autograde_config`):

sanitize pass   ``AuditSubmission`` -> nbgrader's ClearOutput, DeduplicateIds,
                OverwriteKernelspec, OverwriteCells, CheckCellMetadata
autograde pass  ``InjectChallenges`` -> ``SandboxedExecute`` -> ``JudgeChallenges`` ->
                nbgrader's IgnorePattern, ClearMetadataPreprocessor, LimitOutput ->
                ``SaveTrustedGrades`` -> nbgrader's AssignLatePenalties, CheckCellMetadata

A :class:`GradingRecord`, passed through the config, collects what they find (flags,
faults, verdicts) for the caller, who stores it in the ledger in one transaction.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import re
import uuid

import numpy as np
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell
from traitlets import Unicode

from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from .challenge import draw_cases, judge, load
from .answers import AnswerRefused, decode_npz
from .integrity import imported_modules, scan_cells

__all__ = ["GradingRecord", "AuditSubmission", "InjectChallenges", "JudgeChallenges",
           "SaveTrustedGrades", "HIDDEN_PLACEHOLDER"]

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)
HIDDEN_PLACEHOLDER = "# Hidden tests: run by the grader outside this notebook (verdict below)."


_RECORDS = {}


class GradingRecord:
    """What the preprocessors found while grading one submission.

    traitlets copies config values, so the preprocessors receive the record's ``key``
    and find the one shared instance in this process's registry.
    """

    def __init__(self, student, assignment):
        self.key = f"{assignment}/{student}/{id(self)}"
        _RECORDS[self.key] = self
        self.student = student
        self.assignment = assignment
        self.flags = []          # integrity: static scan, edited/deleted cells, discrepancies
        self.faults = []         # runtime: timeouts, kernel deaths, truncated output
        self.verdicts = {}       # grade_id -> Verdict
        self.cases = {}          # grade_id -> list of case dicts (kept for judging)
        self.graded = None       # grade ids of the course's graded cells (from the gradebook)

    def close(self):
        _RECORDS.pop(self.key, None)

    def as_dict(self):
        return {"flags": self.flags, "faults": self.faults,
                "verdicts": {g: {"passed": v.passed, "reason": v.reason}
                             for g, v in self.verdicts.items()}}


class _UsesRecord(NbGraderPreprocessor):
    record_key = Unicode("").tag(config=True)

    @property
    def record(self):
        return _RECORDS.get(self.record_key)


def _text(cell):
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


# nbgrader metadata the student's copy must carry exactly as released.
_NBGRADER_KEYS = ("grade", "solution", "locked", "task", "points")
# Tags that make nbclient skip a cell or accept its error: the grader runs every cell.
_STEERING_TAGS = ("skip-execution", "raises-exception")


def _expected_meta(gid, source_cells, points, solutions, tasks, checksum):
    locked, _, _, _ = source_cells[gid]
    meta = {"grade": gid in points, "grade_id": gid, "locked": locked, "schema_version": 3,
            "solution": gid in solutions, "task": gid in tasks, "checksum": checksum}
    if gid in points:
        meta["points"] = points[gid]
    return meta


def _changed(claimed, expected):
    """``grade: True instead of False``-style phrases for the keys that differ."""
    out = []
    for key in _NBGRADER_KEYS:
        want = expected.get(key, False if key != "points" else None)
        got = claimed.get(key, False if key != "points" else None)
        if key == "points" and want is not None and got is not None:
            try:
                if float(got) == float(want):
                    continue
            except (TypeError, ValueError):
                pass
        if got != want and not (key == "points" and want is None):
            out.append(f"{key}: {got!r} instead of {want!r}")
    return out


def _fingerprint(folder):
    """Names, sizes and modification times of the release folder's files: readings of
    the release are reused, from one submission to the next, only while it is unchanged."""
    try:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns)
                            for e in os.scandir(folder) if e.is_file()))
    except (OSError, TypeError):
        return None


@functools.lru_cache(maxsize=32)
def _course_modules_of(folder, fingerprint):
    return frozenset(AuditSubmission._course_modules_uncached(folder))


@functools.lru_cache(maxsize=32)
def _released_cells(release_dir, notebook, fingerprint):
    return AuditSubmission._released_uncached(release_dir, notebook)


class AuditSubmission(_UsesRecord):
    """Before nbgrader restores anything: report what changed, repair the structure,
    and scan the student's code.

    Everything the grader acts on comes from the course, matched by ``grade_id``: the
    nbgrader metadata of every known cell (grade, solution, locked, task, points) is
    restored from the gradebook's copy of the source, and the whole metadata of locked
    cells from the release, each change flagged; tags asking to skip a cell are
    removed. nbgrader's OverwriteCells then restores the *content* of locked cells,
    but some of its code paths assume a well-formed notebook (every grade id known and
    unique, a deleted test cell preceded by a grade or solution cell) and crash
    otherwise. So here, after recording each change as a flag: cells carrying unknown
    grade ids lose their nbgrader metadata, only the last copy of a duplicated id keeps
    it, and deleted source cells are put back where the release has them.
    """

    release_dir = Unicode("").tag(config=True)

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        with Gradebook(meta["db_url"]) as gb:
            source = gb.find_notebook(meta["notebook"], meta["assignment"])
            cells = {c.name: c for c in source.source_cells}
            points = {c.name: c.max_score for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
            tasks = {c.name for c in source.task_cells}
            source_cells = {n: (c.locked, c.checksum, c.cell_type, c.source)
                            for n, c in cells.items()}
        released = self._released(self.release_dir, meta["notebook"])
        order = [gid for gid, _ in released] or list(source_cells)
        # Edits are judged against what the student received: the released cell (its
        # checksum differs from the source's, which still holds the hidden tests).
        released_meta = dict(released)
        flags = self.record.flags
        seen = {}
        for index, cell in enumerate(nb.cells):
            self._drop_steering_tags(cell, index, flags)
            nbmeta = cell.metadata.get("nbgrader")
            if nbmeta is None:
                continue
            gid = nbmeta.get("grade_id") if isinstance(nbmeta, dict) else None
            if gid not in source_cells:
                if gid or nbmeta:
                    flags.append(f"cell {index + 1} carries the unknown grade id {gid!r} "
                                 "(nbgrader metadata changed); metadata removed")
                del cell.metadata["nbgrader"]
                continue
            seen.setdefault(gid, []).append(index)
            received = released_meta.get(gid) or {}
            expected = _expected_meta(gid, source_cells, points, solutions, tasks,
                                      received.get("checksum", source_cells[gid][1]))
            claimed = nbmeta.get("points")
            if gid in points and claimed is not None and _changed(
                    {"points": claimed}, {"points": points[gid]}):
                flags.append(f"cell {index + 1} ({gid}) claims {claimed} points instead of "
                             f"{points[gid]}; restored")
            changes = [c for c in _changed(nbmeta, expected) if not c.startswith("points")]
            if changes:
                flags.append(f"cell {index + 1} ({gid}): nbgrader metadata changed ("
                             + "; ".join(changes) + "); restored from the release")
            if expected["locked"] and received.get("metadata"):
                cell.metadata = NotebookNode(copy.deepcopy(received["metadata"]))
            cell.metadata["nbgrader"] = NotebookNode(expected)
        for gid, where in seen.items():
            if len(where) > 1:
                flags.append(f"grade id {gid!r} appears {len(where)} times (cells "
                             + ", ".join(str(i + 1) for i in where) + "); only the last is graded")
                for i in where[:-1]:
                    del nb.cells[i].metadata["nbgrader"]
        student_code, given_code = [], []
        for index, cell in enumerate(nb.cells):
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            locked = gid in source_cells and source_cells[gid][0]
            received = (released_meta.get(gid) or {}).get("checksum", None)
            if locked and utils.compute_checksum(cell) != (received or source_cells[gid][1]):
                flags.append(f"locked cell {gid!r} was edited; restored from the source")
            if cell.cell_type == "code":
                (given_code if locked else student_code).append((f"cell {index + 1}", _text(cell)))
        self._restore_missing(nb, order, source_cells, points, solutions, set(seen), flags)
        self.record.graded = set(points)
        flags.extend(scan_cells(student_code, [src for _, src in given_code],
                                allowed=self._course_modules(released_meta)))
        return nb, resources

    def _course_modules(self, released_meta):
        """Modules the course itself uses: the released notebooks' imports and the
        Python files released with them (``rnncheck``)."""
        folder = self.release_dir
        return set(_course_modules_of(folder, _fingerprint(folder)))

    @staticmethod
    def _released(release_dir, notebook):
        """``(grade_id, {"checksum", "metadata"})`` of the released notebook's cells
        (shared between submissions: read, never modify)."""
        return _released_cells(release_dir, notebook, _fingerprint(release_dir))

    @staticmethod
    def _course_modules_uncached(folder):
        names = set()
        if folder and os.path.isdir(folder):
            for entry in sorted(os.listdir(folder)):
                if entry.endswith(".py"):
                    names.add(entry[:-3])
                elif entry.endswith(".ipynb"):
                    names |= imported_modules(
                        AuditSubmission._code_cells(os.path.join(folder, entry)))
        return names

    @staticmethod
    def _code_cells(path):
        try:
            with open(path, encoding="utf-8") as f:
                nb = json.load(f)
        except (OSError, ValueError):
            return []
        return ["".join(c["source"]) if isinstance(c.get("source"), list) else c.get("source", "")
                for c in nb.get("cells", []) if c.get("cell_type") == "code"]

    @staticmethod
    def _drop_steering_tags(cell, index, flags):
        tags = cell.metadata.get("tags")
        if not isinstance(tags, list):
            return
        bad = [t for t in tags if t in _STEERING_TAGS]
        if bad:
            cell.metadata["tags"] = [t for t in tags if t not in _STEERING_TAGS]
            flags.append(f"cell {index + 1} is tagged {', '.join(map(repr, bad))}; tag removed "
                         "(the grader runs every cell)")

    @staticmethod
    def _released_uncached(release_dir, notebook):
        path = os.path.join(release_dir, f"{notebook}.ipynb")
        try:
            with open(path, encoding="utf-8") as f:
                released = json.load(f)
        except (OSError, ValueError):
            return []
        out = []
        for c in released["cells"]:
            m = c.get("metadata", {})
            if m.get("nbgrader"):
                out.append((m["nbgrader"].get("grade_id"),
                            {"checksum": m["nbgrader"].get("checksum"), "metadata": m}))
        return out

    @staticmethod
    def _restore_missing(nb, order, source_cells, points, solutions, present, flags):
        for pos, gid in enumerate(order):
            if gid is None or gid in present or gid not in source_cells:
                continue
            locked, checksum, cell_type, source = source_cells[gid]
            if not (locked or gid in points):
                continue            # a deleted free-form answer stays deleted
            flags.append(f"cell {gid!r} was deleted or its nbgrader metadata was changed; "
                         "restored from the source")
            nbmeta = {"grade": gid in points, "grade_id": gid, "locked": locked,
                      "schema_version": 3, "solution": gid in solutions, "task": False,
                      "checksum": checksum}
            if gid in points:
                nbmeta["points"] = points[gid]
            make = new_code_cell if cell_type == "code" else new_markdown_cell
            cell = make(source, metadata={"nbgrader": nbmeta})
            insert_at = 0
            for prev in reversed(order[:pos]):
                idx = next((i for i, c in enumerate(nb.cells)
                            if c.metadata.get("nbgrader", {}).get("grade_id") == prev), None)
                if idx is not None:
                    insert_at = idx + 1
                    break
            nb.cells.insert(insert_at, cell)
            present.add(gid)


_PRELUDE = r"""import builtins as _rnngrade_builtins
_rnngrade_private = {"__name__": "rnngrade_collector",
                     "__builtins__": dict(vars(_rnngrade_builtins))}
exec(compile(%(source)s, "<rnngrade collector>", "exec"), _rnngrade_private)
__rnngrade_collect__ = _rnngrade_private["make_collector"](
    globals(), __RNNGRADE_IN__, __RNNGRADE_OUT__, %(kernels)s)
del _rnngrade_builtins, _rnngrade_private
"""


def _prelude(kernels):
    """The first cell of the graded notebook: the collector, set up in a private
    namespace before any student code runs (see :mod:`autograder.collector`)."""
    from . import collector
    with open(collector.__file__, encoding="utf-8") as f:
        source = f.read()
    return _PRELUDE % {"source": repr(source), "kernels": json.dumps(kernels)}


def _npz_bytes(case):
    buf = io.BytesIO()
    arrays = {}
    for k, v in case.items():
        if not isinstance(v, (np.ndarray, int, float, bool, str, np.integer, np.floating)):
            raise TypeError(f"challenge input {k!r} is a {type(v).__name__}; use arrays or numbers")
        arrays[k] = np.asarray(v)
    np.savez(buf, **arrays)
    return buf.getvalue()


def _fresh_id(taken):
    while True:
        new = uuid.uuid4().hex
        if new not in taken:
            taken.add(new)
            return new


class InjectChallenges(_UsesRecord):
    """Swap each hidden-test block for a collector cell and write the challenge inputs.

    The test cells are the course's graded cells that have a challenge (by grade id,
    never by what the submission's metadata claims). The grader remembers its own
    cells by fresh random ids in ``resources['rnngrade']['injected']``: nothing a
    submission can write marks a cell as the grader's.
    """

    def preprocess(self, nb, resources):
        record = self.record
        challenges = load(record.assignment)
        grading = resources.setdefault("rnngrade", {})
        inputs = grading.setdefault("inputs", {})
        injected = grading.setdefault("injected", {})
        counts = grading.setdefault("counts", {})
        taken = {c.get("id") for c in nb.cells}
        cells = []
        kernels = {}
        graded = getattr(record, "graded", None)
        for cell in nb.cells:
            gid = _grade_id(cell)
            is_test = (cell.cell_type == "code" and gid in challenges
                       and (gid in graded if graded is not None
                            else cell.metadata.get("nbgrader", {}).get("grade")))
            cells.append(cell)
            if is_test and gid not in kernels:
                cell.source = HIDDEN.sub(HIDDEN_PLACEHOLDER + "\n", _text(cell)).rstrip()
                challenge = challenges[gid]
                cases = draw_cases(challenge, record.student, record.assignment)
                record.cases[gid] = cases
                kernels[gid] = [challenge.kernel, len(cases)]
                counts[gid] = len(cases)
                for k, case in enumerate(cases):
                    inputs[f"{gid}/case{k:02d}.npz"] = _npz_bytes(case)
                collector = new_code_cell(f"__rnngrade_collect__({gid!r})")
                collector["id"] = _fresh_id(taken)
                injected[collector["id"]] = ("collector", gid)
                cells.append(collector)
        prelude = new_code_cell(_prelude(kernels))
        prelude["id"] = _fresh_id(taken)
        injected[prelude["id"]] = ("prelude", None)
        cells.insert(0, prelude)
        nb.cells = cells
        return nb, resources


# Error names the collector reports for the course's own checks, with the grader's hint.
_ERROR_PHRASES = {"Float32Answer": "returned float32 numbers (compute in float64: float32 "
                                   "rounding is too coarse for the tests)"}


def _answer(entry, collector):
    """One case's answer for :func:`judge`: a dict of arrays, or a grader-made phrase."""
    if entry is None:
        return _missing_reason(collector)
    kind, value = entry
    if kind == "err":
        return _ERROR_PHRASES.get(value, f"raised {value}")
    if kind == "refused":
        return f"answer not used: {value}"
    try:
        return decode_npz(value)
    except AnswerRefused as e:
        return f"answer not used: {e}"


class JudgeChallenges(_UsesRecord):
    """In the trusted process: compare the collected answers with rnn_ref's."""

    def preprocess(self, nb, resources):
        record = self.record
        grading = resources.get("rnngrade", {})
        record.faults.extend(grading.get("faults", []))
        outputs = grading.get("outputs", {})
        injected = grading.get("injected", {})
        challenges = load(record.assignment)
        kept = []
        collectors = {}
        for cell in nb.cells:
            role = injected.get(cell.get("id"))
            if role is None:
                kept.append(cell)
            elif role[0] == "collector":
                collectors[role[1]] = cell
        nb.cells = kept
        for cell in nb.cells:
            gid = _grade_id(cell)
            if gid not in record.cases or gid in record.verdicts:
                continue
            cases = record.cases[gid]
            collector = collectors.get(gid)
            answers = []
            for k in range(len(cases)):
                answer = _answer(outputs.get(f"{gid}/{k}"), collector)
                if isinstance(answer, str) and answer.startswith("answer not used"):
                    record.faults.append(f"{gid}: hidden case {k + 1} {answer}")
                answers.append(answer)
            verdict = judge(challenges[gid], cases, answers)
            del answers
            record.verdicts[gid] = verdict
            visible_ok = not any(o.get("output_type") == "error" for o in cell.outputs)
            if visible_ok and not verdict.passed and cell.outputs is not None:
                record.flags.append(
                    f"{gid}: the visible tests passed in the kernel but the hidden challenge "
                    "failed (hard-coded or tampered results?)")
            cell.outputs.append(_verdict_output(verdict))
        return nb, resources


def _missing_reason(collector):
    if collector is None:
        return "the hidden test never ran"
    for o in collector.get("outputs", []):
        if o.get("output_type") == "error":
            return "the hidden test could not run"
    return "the hidden test produced no answer (the kernel stopped before it)"


def _verdict_output(verdict):
    if verdict.passed:
        return NotebookNode(output_type="stream", name="stdout",
                            text=f"Hidden tests: {verdict.reason}.\n")
    return NotebookNode(output_type="error", ename="HiddenTestFailed",
                        evalue=verdict.reason,
                        traceback=[f"HiddenTestFailed: {verdict.reason}"])


class SaveTrustedGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, except that challenge cells score by the verdict.

    Whatever the kernel printed or raised in a test cell, its autograde score is the
    cell's points if the trusted comparison passed and 0 otherwise. Manual scores
    are never touched (nbgrader keeps them, and flags the cell for review).
    """

    record_key = Unicode("").tag(config=True)

    @property
    def record(self):
        return _RECORDS.get(self.record_key)

    def _add_score(self, cell, resources):
        gid = _grade_id(cell)
        verdict = self.record.verdicts.get(gid) if self.record else None
        if verdict is None:
            return super()._add_score(cell, resources)
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id,
                                          self.student_id)
        _, max_score = utils.determine_grade(cell, self.log)
        grade.auto_score = float(max_score) if verdict.passed else 0.0
        grade.needs_manual_grade = grade.manual_score is not None
        self.gradebook.db.commit()

