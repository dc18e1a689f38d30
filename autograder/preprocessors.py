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

import io
import json
import re

import numpy as np
from nbformat.notebooknode import NotebookNode
from traitlets import Unicode

from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from .challenge import draw_cases, judge, load
from .execute import GRADING_DIR
from .integrity import scan_cells

__all__ = ["GradingRecord", "AuditSubmission", "InjectChallenges", "JudgeChallenges",
           "SaveTrustedGrades", "HIDDEN_PLACEHOLDER"]

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)
HIDDEN_PLACEHOLDER = "# Hidden tests: run by the grader outside this notebook (verdict below)."
_MARK = "rnngrade"


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


class AuditSubmission(_UsesRecord):
    """Before nbgrader restores anything: report changed cells and scan student code."""

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        with Gradebook(meta["db_url"]) as gb:
            source = gb.find_notebook(meta["notebook"], meta["assignment"])
            source_cells = {c.name: (c.locked, c.checksum, c.cell_type) for c in source.source_cells}
            points = {c.name: c.max_score for c in source.grade_cells}
        seen = {}
        student_code = []
        for index, cell in enumerate(nb.cells):
            gid = _grade_id(cell)
            label = f"cell {index}"
            if gid:
                seen.setdefault(gid, []).append(index)
                if gid not in source_cells:
                    self.record.flags.append(f"{label} carries the unknown grade id {gid!r} "
                                             "(nbgrader metadata changed)")
                elif gid in points and cell.metadata["nbgrader"].get("points") not in (None, points[gid]):
                    self.record.flags.append(f"{label} ({gid}) claims "
                                             f"{cell.metadata['nbgrader'].get('points')} points "
                                             f"instead of {points[gid]}; restored")
            locked = gid in source_cells and source_cells[gid][0]
            if cell.cell_type == "code" and not locked:
                student_code.append((label, _text(cell)))
        for gid, (locked, checksum, _) in source_cells.items():
            where = seen.get(gid, [])
            if not where:
                if locked or gid in points:
                    self.record.flags.append(f"cell {gid!r} was deleted or its nbgrader metadata "
                                             "was changed; restored from the source")
                continue
            if len(where) > 1:
                self.record.flags.append(f"grade id {gid!r} appears {len(where)} times (cells "
                                         + ", ".join(map(str, where)) + "); only the last is graded")
            if locked:
                cell = nb.cells[where[-1]]
                if utils.compute_checksum(cell) != checksum:
                    self.record.flags.append(f"locked cell {gid!r} was edited; restored from "
                                             "the source")
        self.record.flags.extend(scan_cells(student_code))
        return nb, resources


_PRELUDE = r'''
def __rnngrade_collect__(grade_id):
    """Run the grader's hidden cases on this notebook's functions; save the answers."""
    import os as _os
    import numpy as _np
    folder = _os.path.join(%(dir)r, grade_id)
    code = compile(__rnngrade_kernels__[grade_id], "<hidden test>", "exec")
    for name in sorted(_os.listdir(folder)):
        if not (name.startswith("case") and name.endswith(".npz")):
            continue
        k = name[4:-4]
        try:
            with _np.load(_os.path.join(folder, name), allow_pickle=False) as data:
                case = {key: (data[key].item() if data[key].ndim == 0 else data[key])
                        for key in data.files}
            env = dict(globals())
            env.update(case)
            exec(code, env)
            answer = {str(n): _np.asarray(v, dtype=float) for n, v in dict(env["answer"]).items()}
            _np.savez(_os.path.join(folder, "answer%%s.npz" %% k), **answer)
        except Exception as e:
            with open(_os.path.join(folder, "answer%%s.err" %% k), "w") as f:
                f.write(("%%s: %%s" %% (type(e).__name__, e))[:300])

__rnngrade_kernels__ = %(kernels)s
'''


def _npz_bytes(case):
    buf = io.BytesIO()
    arrays = {}
    for k, v in case.items():
        if not isinstance(v, (np.ndarray, int, float, bool, str, np.integer, np.floating)):
            raise TypeError(f"challenge input {k!r} is a {type(v).__name__}; use arrays or numbers")
        arrays[k] = np.asarray(v)
    np.savez(buf, **arrays)
    return buf.getvalue()


class InjectChallenges(_UsesRecord):
    """Swap each hidden-test block for a collector cell and write the challenge inputs."""

    def preprocess(self, nb, resources):
        record = self.record
        challenges = load(record.assignment)
        inputs = resources.setdefault("rnngrade", {}).setdefault("inputs", {})
        cells = []
        kernels = {}
        for cell in nb.cells:
            gid = _grade_id(cell)
            is_test = cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")
            if is_test and gid in challenges:
                cell.source = HIDDEN.sub(HIDDEN_PLACEHOLDER + "\n", _text(cell)).rstrip()
                cells.append(cell)
                challenge = challenges[gid]
                cases = draw_cases(challenge, record.student, record.assignment)
                record.cases[gid] = cases
                kernels[gid] = challenge.kernel
                for k, case in enumerate(cases):
                    inputs[f"{GRADING_DIR}/{gid}/case{k:02d}.npz"] = _npz_bytes(case)
                cells.append(NotebookNode(cell_type="code", source=f"__rnngrade_collect__({gid!r})",
                                          metadata={_MARK: {"collector": gid}}, outputs=[],
                                          execution_count=None))
            else:
                cells.append(cell)
        prelude = _PRELUDE % {"dir": GRADING_DIR, "kernels": json.dumps(kernels, indent=1)}
        cells.insert(0, NotebookNode(cell_type="code", source=prelude,
                                     metadata={_MARK: {"prelude": True}}, outputs=[],
                                     execution_count=None))
        nb.cells = cells
        return nb, resources


def _load_answer(data):
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


class JudgeChallenges(_UsesRecord):
    """In the trusted process: compare the collected answers with rnn_ref's."""

    def preprocess(self, nb, resources):
        record = self.record
        grading = resources.get("rnngrade", {})
        record.faults.extend(grading.get("faults", []))
        outputs = grading.get("outputs", {})
        challenges = load(record.assignment)
        kept = []
        collectors = {}
        for cell in nb.cells:
            mark = cell.metadata.get(_MARK, {})
            if mark.get("prelude"):
                continue
            if "collector" in mark:
                collectors[mark["collector"]] = cell
                continue
            kept.append(cell)
        nb.cells = kept
        for cell in nb.cells:
            gid = _grade_id(cell)
            if gid not in record.cases:
                continue
            cases = record.cases[gid]
            answers = []
            collector = collectors.get(gid)
            for k in range(len(cases)):
                base = f"{GRADING_DIR}/{gid}/answer{k:02d}"
                if base + ".npz" in outputs:
                    try:
                        answers.append(_load_answer(outputs[base + ".npz"]))
                    except Exception as e:  # noqa: BLE001 -- unreadable answer file
                        answers.append(f"unreadable answer ({type(e).__name__})")
                elif base + ".err" in outputs:
                    answers.append(outputs[base + ".err"].decode("utf-8", "replace"))
                else:
                    answers.append(_missing_reason(collector))
            verdict = judge(challenges[gid], cases, answers)
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
            return f"the hidden test could not run ({o.get('ename')})"
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

