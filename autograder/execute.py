"""Execute a submission in the sandbox, surviving whatever the student's code does.

:class:`SandboxedExecute` replaces nbgrader's ``Execute`` preprocessor in the
autograde pass. Differences:

* the kernel runs in :class:`autograder.sandbox.Sandbox`, in a temporary copy of the
  submission's files (the challenge inputs are written there, the answers read back);
* a per-cell *and* a per-notebook wall-clock limit; after a timeout the kernel must
  answer within a few seconds or it is restarted;
* output is capped per cell (the rest is dropped and the cut is noted);
* the kernel of the next submission starts while this one runs
  (:mod:`autograder.prestart`): a fresh :class:`Prepared` sandbox per submission,
  never reused;
* when the kernel dies (``os._exit``, a segfault, the memory or CPU limit) or stops
  answering, it is restarted, the earlier cells are replayed (except those that
  killed it) and execution continues with the next cell, so the honest parts of a
  notebook still run. At most ``max_restarts`` restarts.

Every such event is recorded as a one-line *fault* in ``resources['rnngrade']``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Instance, Unicode

from nbgrader.preprocessors import Execute

from . import prestart
from .answers import AnswerReader, AnswerRefused, exception_name
from .sandbox import Limits, Sandbox

__all__ = ["SandboxedExecute", "UnsandboxedExecute"]

# Where the collector finds the challenge inputs (read-only) and writes its answers,
# as seen from inside the sandbox.
SANDBOX_IN, SANDBOX_OUT = "/rnngrade/in", "/rnngrade/out"
_PROBE_TIMEOUT = 5


# iopub messages whose content ends up in the notebook or its metadata.
_COUNTED = frozenset({"stream", "error", "display_data", "execute_result",
                      "update_display_data", "comm_open", "comm_msg"})
_KEPT = 1024            # what is kept of an error or stderr output past the budget


def _size(content):
    return len(json.dumps(content, default=str))


def _truncation_note(dropped):
    return NotebookNode(output_type="stream", name="stdout",
                        text=f"\n[output truncated by the grader: {dropped // 1024} KB more "
                             "were dropped]\n")


class _KernelStartError(RuntimeError):
    """The kernel died or did not answer while starting, twice in a row."""


def _not_run(cell, reason):
    """An error output on a test cell that never ran, so that nbgrader scores it 0."""
    cell.outputs.append(NotebookNode(output_type="error", ename="NotRun", evalue=reason,
                                     traceback=[f"NotRun: {reason}"]))


class _GradingExecute(Execute):
    """nbgrader's Execute with our cell loop: deadlines, output caps, kernel restarts."""

    limits = Instance(Limits, allow_none=True).tag(config=True)
    release_dir = Unicode("", help="The assignment's release folder: the course's own "
                          "files for the working copy.").tag(config=True)
    prestart = Bool(False, help="Start the next submission's kernel (in a sandbox of its "
                    "own) while this one runs.").tag(config=True)

    def _limits(self):
        return self.limits or Limits()

    # -- output cap ----------------------------------------------------------------------
    def process_message(self, msg, cell, cell_index):
        """Count every message that adds to the notebook against the cell's budget."""
        if msg["msg_type"] in _COUNTED:
            msg = self._within_budget(msg, cell_index)
            if msg is None:
                return None
        return super().process_message(msg, cell, cell_index)

    def _within_budget(self, msg, cell_index):
        """``msg`` if it fits the cell's output budget, a trimmed copy, or None.

        Everything is counted: stream text, error names and tracebacks, the data *and*
        metadata of displays and results, display updates and widget messages. What
        scores a test cell survives the cut: its first error and its first stderr
        output are kept, trimmed, even past the budget.
        """
        budget = self._limits().output_kb * 1024
        kind, content = msg["msg_type"], msg.get("content", {})
        size = _size(content)
        used = self._bytes_out.get(cell_index, 0)
        if used + size <= budget:
            self._bytes_out[cell_index] = used + size
            if kind == "error" or (kind == "stream" and content.get("name") == "stderr"):
                self._scored.setdefault(cell_index, set()).add(kind)
            return msg
        kept = None
        room = max(0, budget - used)
        scored = self._scored.setdefault(cell_index, set())
        if kind == "error":
            if "error" not in scored:
                scored.add("error")
                kept = {"ename": str(content.get("ename", ""))[:100],
                        "evalue": str(content.get("evalue", ""))[:_KEPT],
                        "traceback": [str(t)[:_KEPT] for t in content.get("traceback", [])[-1:]]}
        elif kind == "stream":
            text = str(content.get("text", ""))
            stderr = content.get("name") == "stderr"
            if stderr and "stream" not in scored:
                room = max(room, _KEPT)
            if room > 0:
                if stderr:
                    scored.add("stream")
                kept = {"name": "stderr" if stderr else "stdout", "text": text[:room]}
        if kept is None:
            self._bytes_out[cell_index] = used + size
            self._dropped[cell_index] = self._dropped.get(cell_index, 0) + size
            return None
        kept_size = _size(kept)
        self._bytes_out[cell_index] = used + kept_size
        self._dropped[cell_index] = self._dropped.get(cell_index, 0) + max(0, size - kept_size)
        return {**msg, "content": kept}

    # -- timeouts ---------------------------------------------------------------------------
    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def _timeout_for(self, cell):
        remaining = self._deadline - time.monotonic()
        return max(1, int(min(self._limits().cell_timeout, remaining)))

    def _kernel_responds(self):
        """After a timeout: does the kernel answer a kernel_info request promptly?"""
        try:
            msg_id = run_sync(lambda: ensure_async(self.kc.kernel_info()))()
            deadline = time.monotonic() + _PROBE_TIMEOUT
            while time.monotonic() < deadline:
                reply = run_sync(self.kc.get_shell_msg)(
                    timeout=max(0.1, deadline - time.monotonic()))
                if reply["parent_header"].get("msg_id") == msg_id:
                    return True
        except Exception:      # noqa: BLE001 -- no reply, dead channel: not responding
            return False
        return False

    # -- kernel lifecycle --------------------------------------------------------------------
    def _start(self):
        """A fresh kernel that answered kernel_info; one retry, else _KernelStartError.

        Whatever ends a kernel while it starts (a fork bomb that left the sandbox
        without free processes, the memory limit) is a recorded fault of this
        notebook, never an exception that fails the whole submission.
        """
        # The working copy is thrown away afterwards: no need for a graceful shutdown.
        self.shutdown_kernel = "immediate"
        booted = None
        if getattr(self, "_prepared_for", None) is not None:
            booted, self._prepared_for.km = self._prepared_for.km, None   # now ours to stop
        if booted is not None:
            # Started before this submission was known; if it died meanwhile, the two
            # attempts below are still this notebook's own.
            try:
                self._start_once(booted)
                return
            except Exception:  # noqa: BLE001 -- same as below
                self._stop()
        for _ in range(2):
            try:
                self._start_once()
                return
            except Exception:  # noqa: BLE001 -- died, timed out, refused: all the same here
                self._stop()
        raise _KernelStartError()

    def _start_once(self, booted=None):
        if booted is not None:
            self.km = booted
        else:
            self.km = self.create_kernel_manager()
            # The kernel's own console chatter is not the student's output: discard it.
            self.start_new_kernel(cwd=str(self._workdir), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.start_new_kernel_client()
        info = self.wait_for_reply(self.kc.kernel_info())
        if info is None:
            raise RuntimeError("no kernel_info reply")
        language = info["content"].get("language_info")
        if isinstance(language, dict) and _size(language) < 4096:
            self.nb.metadata["language_info"] = language
        self._connected()
        self._baseline = self._process_count()

    def _connected(self):
        """Called once the grader is connected to a new kernel."""

    def _process_count(self):
        """Processes in the sandbox, or None where we cannot tell."""
        return None

    def _role(self, cell):
        """``("prelude", None)`` or ``("collector", grade_id)`` for a cell the grader
        injected (known by the ids it gave them), None for the notebook's own cells."""
        return self.resources.get("rnngrade", {}).get("injected", {}).get(cell.get("id"))

    def _label(self, index):
        """How the student finds a cell: its position among their cells, from 1."""
        mine = sum(1 for c in self.nb.cells[:index] if self._role(c) is None)
        return f"cell {mine + 1}"

    def _strays(self):
        baseline = getattr(self, "_baseline", None)
        now = self._process_count()
        return 0 if baseline is None or now is None else max(0, now - baseline)

    def _stop(self):
        if getattr(self, "km", None) is not None:
            try:
                self._cleanup_kernel()
            except Exception:  # noqa: BLE001 -- a dead kernel may fail to clean up
                self.km = None
                self.kc = None

    def _restart(self, upto, skip):
        """New kernel; replay code cells before ``upto`` except those in ``skip``."""
        self._stop()
        self._start()
        for i in range(upto):
            cell = self.nb.cells[i]
            role = self._role(cell)
            if cell.cell_type != "code" or i in skip or (role and role[0] == "collector"):
                continue            # collectors' answers were harvested the first time
            replay = copy.deepcopy(cell)
            self._timed_out = False
            self.execute_cell(replay, i, store_history=False)
            if self._timed_out and not self._kernel_responds():
                return False
        return True

    # -- the loop ------------------------------------------------------------------------------
    def _run_cells(self, faults):
        limits = self._limits()
        self._deadline = time.monotonic() + limits.notebook_timeout
        self.timeout_func = self._timeout_for
        self._bytes_out, self._dropped, self._scored = {}, {}, {}
        skip, restarts = set(), 0
        index, not_run = 0, None
        try:
            try:
                self._start()
            except _KernelStartError:
                faults.append("the kernel could not start (it died or did not answer twice); "
                              "no cell was run and every test scores 0")
                not_run = (0, "the kernel could not start")
                return
            while index < len(self.nb.cells):
                cell = self.nb.cells[index]
                if cell.cell_type != "code":
                    index += 1
                    continue
                if time.monotonic() >= self._deadline:
                    faults.append(f"notebook time limit ({limits.notebook_timeout:.0f} s) reached "
                                  f"at {self._label(index)}; the remaining cells were not run")
                    not_run = (index, "the notebook time limit was reached before this cell")
                    break
                self._timed_out = False
                try:
                    self.execute_cell(cell, index, store_history=True)
                    dead = self._timed_out and not self._kernel_responds()
                    if self._timed_out:
                        faults.append(f"{self._label(index)} ran longer than {limits.cell_timeout:.0f} s "
                                      "and was interrupted")
                except CellTimeoutError:
                    # Interrupted, but the kernel never went idle: it ignores interrupts.
                    dead = True
                    faults.append(f"{self._label(index)} ran longer than {limits.cell_timeout:.0f} s "
                                  "and ignored the interrupt")
                except DeadKernelError:
                    dead = True
                    faults.append(f"{self._label(index)} ended the kernel (exit, crash, or the memory or "
                                  "CPU limit)")
                    cell.outputs.append(NotebookNode(
                        output_type="error", ename="KernelDied", evalue="the kernel died here",
                        traceback=["KernelDied: the grader restarted the kernel after this cell"]))
                if not dead and (strays := self._strays()):
                    dead = True
                    faults.append(f"{self._label(index)} left {strays} process(es) running; the kernel "
                                  "was restarted")
                meta = cell.metadata.get("nbgrader", {})
                role = self._role(cell)
                if not meta.get("grade") and role is None:
                    for out in cell.outputs:
                        if out.get("output_type") == "error" and out.get("ename") != "KernelDied":
                            # The class name only: the message is text the kernel chose.
                            name = exception_name(str(out.get("ename", "")).encode()[:100])
                            faults.append(f"{self._label(index)} raised {name}")
                            break
                if role and role[0] == "collector":
                    self._harvest(role[1])
                if self._dropped.get(index):
                    cell.outputs.append(_truncation_note(self._dropped[index]))
                    faults.append(f"{self._label(index)} printed more than {limits.output_kb} KB; "
                                  "the rest was dropped")
                if dead:
                    skip.add(index)
                    restarts += 1
                    try:
                        again = restarts <= limits.max_restarts and self._restart(index, skip)
                    except _KernelStartError:
                        faults.append(f"the kernel could not be restarted after {self._label(index)}")
                        again = False
                    if not again:
                        faults.append(f"gave up after {restarts} kernel restarts; the cells after "
                                      f"{self._label(index)} were not run")
                        not_run = (index + 1, "the grader gave up restarting the kernel")
                        break
                index += 1
        finally:
            self._stop()
            if not_run is not None:
                for cell in self.nb.cells[not_run[0]:]:
                    meta = cell.metadata.get("nbgrader", {})
                    if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                        _not_run(cell, not_run[1])

    def _execute_in(self, nb, resources, prepared, io_names):
        """Run the notebook in ``prepared``; ``io_names`` are its challenge I/O folders
        as the kernel sees them."""
        self.nb = nb
        self.resources = resources
        self.reset_execution_trackers()
        self._workdir = prepared.workdir
        self._prepared_for = prepared
        grading = resources.setdefault("rnngrade", {})
        for rel, data in grading.get("inputs", {}).items():
            target = prepared.inputs / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            # A kernel started before the inputs existed, as another uid: let it read
            # them (the grader's own files, in a folder bound read-only).
            target.parent.chmod(0o755)
            target.chmod(0o644)
        for cell in nb.cells:
            if (self._role(cell) or ("",))[0] == "prelude":
                cell.source = (cell.source.replace("__RNNGRADE_IN__", repr(io_names[0]))
                               .replace("__RNNGRADE_OUT__", repr(io_names[1])))
        self._outputs = grading.setdefault("outputs", {})
        self._cases = grading.get("counts", {})
        faults = grading.setdefault("faults", [])
        self._answers = prepared.answers
        self._run_cells(faults)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _prepared(self, sandboxed):
        """This submission's fresh :class:`Prepared`: the spare started while the previous
        submission ran, if it was prepared for the same release and limits, else a new
        one. With ``prestart``, the next submission's spare starts now."""
        key = _prepare_key(self.release_dir, self._limits(), sandboxed)
        prepared = prestart.take(key)
        if prepared is None:
            prepared = Prepared(key, self.release_dir, self._limits(), sandboxed)
        if self.prestart:
            try:
                prestart.keep(Prepared(key, self.release_dir, self._limits(), sandboxed))
            except Exception:  # noqa: BLE001 -- only an optimisation; the next one starts then
                pass
        return prepared

    def _harvest(self, grade_id):
        """Take a challenge's answers as soon as its collector has run: the expected
        files only, through :class:`autograder.answers.AnswerReader`. Each case gets
        ``("npz", bytes)``, ``("err", exception name)`` or ``("refused", phrase)``."""
        for k in range(self._cases.get(grade_id, 0)):
            key = f"{grade_id}/{k}"
            for ext in ("npz", "err"):
                try:
                    raw = self._answers.read(grade_id, f"answer{k:02d}.{ext}")
                except AnswerRefused as e:
                    self._outputs[key] = ("refused", str(e))
                    break
                if raw is not None:
                    self._outputs[key] = ("npz", raw) if ext == "npz" else ("err", exception_name(raw))
                    break


def _io_dirs():
    """``base`` with ``in/`` (challenge inputs) and ``out/`` (answers). Only ``in`` and
    ``out`` are bound into the sandbox, so the kernel can change what is inside them
    but not replace the folders themselves, which the grader opens by their path."""
    base = Path(tempfile.mkdtemp(prefix="rnngrade-io-"))
    (base / "in").mkdir()
    (base / "out").mkdir()
    return base, (base / "in", base / "out")


def _working_copy(release_dir):
    """A fresh temporary folder with the course's own files for this assignment.

    Only what the release gives every student (``rnncheck.py``, data files): nothing
    the student handed in besides the notebook reaches the kernel, so a ``numpy.py``
    or ``ipykernel_launcher.py`` next to the notebook cannot run before its cells.
    (The extra files stay in ``submitted/`` and are listed in the instructor's flags.)
    """
    work = Path(tempfile.mkdtemp(prefix="rnngrade-work-"))
    if release_dir:
        for f in sorted(Path(release_dir).iterdir()):
            if f.is_file() and f.suffix != ".ipynb":
                shutil.copyfile(f, work / f.name)
    return work


def _prepare_key(release_dir, limits, sandboxed):
    """What a spare must have been prepared for: the release's files (names, sizes,
    times) as well as its folder, so that a re-release is never served a stale copy."""
    h = hashlib.sha256(f"{release_dir}\0{limits.to_json()}\0{sandboxed}".encode())
    if release_dir and Path(release_dir).is_dir():
        for f in sorted(Path(release_dir).iterdir()):
            if f.is_file() and f.suffix != ".ipynb":
                st = f.stat()
                h.update(f"\0{f.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


class Prepared:
    """Everything one submission runs in, made before its notebook is known.

    A fresh working copy of the release's files, empty challenge folders (the answers
    folder opened here, before any kernel exists: the kernel can change what is inside
    it, never which folder the grader reads from), with ``sandboxed`` a new
    :class:`autograder.sandbox.Sandbox`, and a kernel process started in it (``km``,
    None if it could not be started: the executor then starts one itself). Used by
    exactly one submission, then closed.
    """

    def __init__(self, key, release_dir, limits, sandboxed):
        self.key = key
        self.thread = threading.get_ident()
        self.workdir = _working_copy(release_dir)
        self.base, (self.inputs, self.outputs) = _io_dirs()
        self.sandbox = self.km = self.answers = None
        try:
            if sandboxed:
                # (As root, this mounts the bounded tmpfs the answers are written to.)
                self.sandbox = Sandbox(self.workdir, limits, ro_binds=[(self.inputs, SANDBOX_IN)],
                                       rw_binds=[(self.outputs, SANDBOX_OUT)])
            self.answers = AnswerReader(self.outputs)
            self._boot()
        except BaseException:
            self.close()
            raise

    def _boot(self):
        from jupyter_client.manager import AsyncKernelManager
        km = (self.sandbox.kernel_manager() if self.sandbox is not None
              else AsyncKernelManager(kernel_name="python3"))
        try:
            # Only the process is started here; the executor connects to it and waits
            # for its first reply (nbclient's start_new_kernel_client).
            run_sync(km.start_kernel)(cwd=str(self.workdir), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL,
                                      extra_arguments=["--HistoryManager.hist_file=:memory:"])
        except Exception:  # noqa: BLE001 -- the executor starts its own, with its retries
            return
        self.km = km

    def close(self):
        km, self.km = self.km, None
        if km is not None:
            try:
                if self.thread == threading.get_ident():
                    run_sync(km.shutdown_kernel)(now=True)
                else:                       # another thread's event loop: kill it plainly
                    km.provisioner.process.kill()
            except Exception:  # noqa: BLE001 -- already gone; the sandbox ends the rest
                pass
        if self.answers is not None:
            self.answers.close()
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None
        shutil.rmtree(self.workdir, ignore_errors=True)
        shutil.rmtree(self.base, ignore_errors=True)


class SandboxedExecute(_GradingExecute):
    """nbgrader's Execute, run inside bubblewrap (see module docstring)."""

    def create_kernel_manager(self):
        self.km = self._sandbox.kernel_manager()
        return self.km

    def _connected(self):
        self._sandbox.seal_ipc()

    def _process_count(self):
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return self._sandbox.process_count(process.pid if process else None)

    def preprocess(self, nb, resources=None, km=None):
        prepared = self._prepared(sandboxed=True)
        try:
            self._sandbox = prepared.sandbox
            return self._execute_in(nb, resources, prepared, (SANDBOX_IN, SANDBOX_OUT))
        finally:
            prepared.close()


class UnsandboxedExecute(_GradingExecute):
    """The same loop with an ordinary local kernel (``grade --unsafe-no-sandbox``)."""

    kernel_name = "python3"

    def preprocess(self, nb, resources=None, km=None):
        prepared = self._prepared(sandboxed=False)
        try:
            return self._execute_in(nb, resources, prepared,
                                    (str(prepared.inputs), str(prepared.outputs)))
        finally:
            prepared.close()
