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
from nbformat.v4 import new_code_cell, new_markdown_cell
from traitlets import Unicode

from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from .challenge import draw_cases, judge, load
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
    """Before nbgrader restores anything: report what changed, repair the structure,
    and scan the student's code.

    nbgrader's OverwriteCells restores the *content* of locked cells, but some of its
    code paths assume a well-formed notebook (every grade id known and unique, a
    deleted test cell preceded by a grade or solution cell) and crash otherwise. So
    here, after recording each change as a flag: cells carrying unknown grade ids lose
    their nbgrader metadata, only the last copy of a duplicated id keeps it, and
    deleted source cells are put back where the release has them.
    """

    release_dir = Unicode("").tag(config=True)

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        with Gradebook(meta["db_url"]) as gb:
            source = gb.find_notebook(meta["notebook"], meta["assignment"])
            cells = {c.name: c for c in source.source_cells}
            points = {c.name: c.max_score for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
            source_cells = {n: (c.locked, c.checksum, c.cell_type, c.source)
                            for n, c in cells.items()}
        released = self._released(self.release_dir, meta["notebook"])
        order = [gid for gid, _ in released] or list(source_cells)
        # Edits are judged against what the student received: the released cell (its
        # checksum differs from the source's, which still holds the hidden tests).
        received = {gid: checksum for gid, checksum in released if checksum}
        flags = self.record.flags
        seen = {}
        for index, cell in enumerate(nb.cells):
            nbmeta = cell.metadata.get("nbgrader")
            if nbmeta is None:
                continue
            gid = nbmeta.get("grade_id")
            if gid not in source_cells:
                if gid or nbmeta:
                    flags.append(f"cell {index + 1} carries the unknown grade id {gid!r} "
                                 "(nbgrader metadata changed); metadata removed")
                del cell.metadata["nbgrader"]
                continue
            seen.setdefault(gid, []).append(index)
            claimed = nbmeta.get("points")
            if gid in points and claimed not in (None, points[gid]):
                flags.append(f"cell {index + 1} ({gid}) claims {claimed} points instead of "
                             f"{points[gid]}; restored")
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
            if locked and utils.compute_checksum(cell) != received.get(gid, source_cells[gid][1]):
                flags.append(f"locked cell {gid!r} was edited; restored from the source")
            if cell.cell_type == "code":
                (given_code if locked else student_code).append((f"cell {index + 1}", _text(cell)))
        self._restore_missing(nb, order, source_cells, points, solutions, set(seen), flags)
        flags.extend(scan_cells(student_code, [src for _, src in given_code]))
        return nb, resources

    @staticmethod
    def _released(release_dir, notebook):
        """``(grade_id, checksum)`` of the released notebook's cells, in order."""
        import os
        path = os.path.join(release_dir, f"{notebook}.ipynb")
        try:
            with open(path, encoding="utf-8") as f:
                released = json.load(f)
        except (OSError, ValueError):
            return []
        metas = [c.get("metadata", {}).get("nbgrader") for c in released["cells"]]
        return [(m.get("grade_id"), m.get("checksum")) for m in metas if m]

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


_PRELUDE = r'''
def __rnngrade_collect__(grade_id):
    """Run the grader's hidden cases on this notebook's functions; save the answers."""
    import os as _os
    import numpy as _np
    folder = _os.path.join(__RNNGRADE_IN__, grade_id)
    answers = _os.path.join(__RNNGRADE_OUT__, grade_id)
    _os.makedirs(answers, exist_ok=True)
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
            _np.savez(_os.path.join(answers, "answer%%s.npz" %% k), **answer)
        except Exception as e:
            with open(_os.path.join(answers, "answer%%s.err" %% k), "w") as f:
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
                    inputs[f"{gid}/case{k:02d}.npz"] = _npz_bytes(case)
                cells.append(new_code_cell(f"__rnngrade_collect__({gid!r})",
                                           metadata={_MARK: {"collector": gid}}))
            else:
                cells.append(cell)
        prelude = _PRELUDE % {"kernels": json.dumps(kernels, indent=1)}
        cells.insert(0, new_code_cell(prelude, metadata={_MARK: {"prelude": True}}))
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
                base = f"{gid}/answer{k:02d}"
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

