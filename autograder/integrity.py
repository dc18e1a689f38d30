"""Static integrity scan of the code a student submitted.

Flags are *reasons for an instructor to look*, not penalties: the score never depends
on them (the sandbox and the trusted verdicts already make these tricks useless).
Each flag is one line: ``cell 7: replaces numpy.allclose``.

The scan parses every code cell the student could edit (IPython syntax is translated
first) and looks for:

* imports of the trusted packages (``rnn_ref``, ``autograder``, ``solutions``,
  ``nbgrader``), and of any module outside the allowed set: the standard library
  (less the modules flagged below), the packages of the kernel's environment that
  exercises may use (:data:`KERNEL_PACKAGES`), and whatever the course's own released
  notebooks and files import or are (``rnncheck``) -- so ``import torch`` is flagged,
  ``from collections import deque`` is not;
* changes to modules and builtins: assignments to attributes of numpy, ``builtins``,
  ``sys``, the test helpers (``rnncheck``); ``setattr``/``delattr`` on them; writes
  to ``sys.modules``; rebinding builtin names such as ``AssertionError``; redefining
  the test helpers;
* processes and the outside world: ``os.system``, ``subprocess``, ``ctypes``,
  ``os.fork``/``os._exit``/``os.kill``, ``signal``, sockets and HTTP clients;
* files outside the working directory: absolute or ``..`` paths given to file
  functions, and names of the grader's files (gradebook, solutions, .rnngrade);
* frame and garbage-collector walking: ``sys._getframe``, ``inspect`` frames,
  ``gc.get_objects``/``get_referrers``, ``f_back``/``f_globals``/``tb_frame``;
* dynamic code: ``exec``, ``eval``, ``compile``, ``__import__``, ``importlib``;
* IPython hooks: ``get_ipython()``.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
import sys

__all__ = ["scan_code", "scan_cells", "imported_modules", "KERNEL_PACKAGES"]

TRUSTED = {"rnn_ref", "autograder", "solutions", "nbgrader"}
GUARDED_MODULES = {"numpy", "builtins", "sys", "rnncheck", "math", "inspect", "gc"}
TEST_HELPERS = {"check_shape", "check_close", "numerical_gradient", "gradient_error",
                "check_gradient", "first_failure", "rel_error"}
DANGEROUS = {
    "os.system": "runs a shell command", "os.popen": "runs a shell command",
    "os.fork": "forks processes", "os.forkpty": "forks processes",
    "os._exit": "exits the interpreter", "os.kill": "sends signals",
    "os.killpg": "sends signals", "os.execv": "replaces the process",
    "os.execl": "replaces the process", "os.execvp": "replaces the process",
    "os.spawnl": "starts processes", "os.spawnv": "starts processes",
    "sys.exit": "exits the interpreter", "exit": "exits the interpreter",
    "quit": "exits the interpreter", "shutil.rmtree": "deletes folders",
    "os.remove": "deletes files", "os.unlink": "deletes files", "os.rmdir": "deletes folders",
    "os.chmod": "changes permissions", "sys._getframe": "walks interpreter frames",
    "inspect.currentframe": "walks interpreter frames", "inspect.stack": "walks interpreter frames",
    "inspect.getouterframes": "walks interpreter frames", "gc.get_objects": "walks the heap",
    "gc.get_referrers": "walks the heap", "gc.get_referents": "walks the heap",
    "exec": "runs dynamically built code", "eval": "runs dynamically built code",
    "compile": "compiles dynamically built code", "__import__": "imports dynamically",
}
# get_ipython() methods that matter; %timeit and friends are harmless.
IPYTHON_CALLS = {"system": "runs a shell command (!)", "getoutput": "runs a shell command (!!)",
                 "run_cell": "runs code through IPython", "events": "registers IPython hooks",
                 "set_custom_exc": "installs an exception handler",
                 "register_magic_function": "defines a magic"}
SHELL_MAGICS = {"system", "sx", "bash", "sh", "script", "writefile", "run", "load", "capture"}
DANGEROUS_MODULES = {
    "subprocess": "starts processes", "ctypes": "calls native code (ctypes)",
    "socket": "opens network connections", "urllib": "opens network connections",
    "http": "opens network connections", "requests": "opens network connections",
    "signal": "handles signals", "importlib": "imports dynamically",
    "multiprocessing": "starts processes", "pty": "starts processes",
}
FILE_FUNCS = {"open", "io.open", "os.listdir", "os.scandir", "os.walk", "glob.glob",
              "numpy.load", "numpy.save", "numpy.savez", "numpy.loadtxt", "numpy.savetxt",
              "numpy.genfromtxt", "numpy.fromfile", "pathlib.Path", "Path", "os.open",
              "shutil.copy", "shutil.copyfile", "shutil.move", "os.rename", "os.replace"}
GRADER_WORDS = ("gradebook", "solutions", ".rnngrade", "autograded", "submitted",
                "nbgrader", "rnn_ref")
FRAME_ATTRS = {"f_back", "f_globals", "f_locals", "tb_frame", "gi_frame", "cr_frame",
               "__globals__", "__closure__", "__code__", "__subclasses__"}
BUILTIN_NAMES = set(dir(builtins))
# Third-party packages of the kernel's environment that a solution may use.
KERNEL_PACKAGES = {"numpy", "matplotlib", "IPython", "ipywidgets"}
_STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


def _to_python(source):
    """IPython cell source -> Python (magics, shell escapes). Cached for cells of
    ordinary size: the course's own cells, and many a student's, are the same text in
    every submission."""
    if len(source) > 16 * 1024:
        return _transform(source)
    return _transform_cached(source)


@functools.lru_cache(maxsize=2048)
def _transform_cached(source):
    return _transform(source)


def _transform(source):
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 -- fall back to the raw text
        return source


# Names the course's notebooks bind before any student code runs.
DEFAULT_ALIASES = {"np": "numpy"}


class _Scanner(ast.NodeVisitor):
    def __init__(self, aliases=None, allowed=None):
        self.aliases = dict(DEFAULT_ALIASES if aliases is None else aliases)
        self.allowed = allowed
        self.imports = set()
        self.flags = []

    def flag(self, node, reason):
        self.flags.append((getattr(node, "lineno", 0), reason))

    # -- names ---------------------------------------------------------------------
    def dotted(self, node):
        """'np.testing.assert_allclose' -> 'numpy.testing.assert_allclose'."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(self.aliases.get(node.id, node.id))
            return ".".join(reversed(parts))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "get_ipython":
            return ".".join(["get_ipython()"] + list(reversed(parts)))
        return None

    @staticmethod
    def root(name):
        return name.split(".")[0] if name else None

    # -- imports ---------------------------------------------------------------------------
    def _import(self, node, module, names):
        top = module.split(".")[0]
        if getattr(node, "level", 0) == 0 and top:
            self.imports.add(top)
        if top in TRUSTED:
            self.flag(node, f"imports {module} (trusted grader/reference code)")
        elif top in DANGEROUS_MODULES:
            self.flag(node, f"imports {module}: {DANGEROUS_MODULES[top]}")
        elif self.allowed is not None and top and top not in self.allowed:
            self.flag(node, f"imports {top}, which the exercises do not use (allowed: numpy, "
                            "matplotlib, the course's files and the standard library)")
        elif getattr(node, "level", 0) and self.allowed is not None:
            self.flag(node, "imports a module relative to the notebook (only the course's "
                            "files are next to it)")

    def visit_Import(self, node):
        for a in node.names:
            self._import(node, a.name, None)
            self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._import(node, module, [a.name for a in node.names])
        for a in node.names:
            full = f"{module}.{a.name}" if module else a.name
            self.aliases[a.asname or a.name] = full
            if self.root(full) in DANGEROUS_MODULES:
                self._import(node, full, None)
        self.generic_visit(node)

    # -- assignments ------------------------------------------------------------------------
    def _target(self, node, target):
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._target(node, t)
            return
        if isinstance(target, ast.Attribute):
            name = self.dotted(target)
            if name and self.root(name) in GUARDED_MODULES | {"__builtins__"}:
                self.flag(node, f"replaces {name}")
            elif target.attr in FRAME_ATTRS:
                self.flag(node, f"rewrites {target.attr}")
        elif isinstance(target, ast.Subscript):
            name = self.dotted(target.value)
            if name in ("sys.modules", "__builtins__", "builtins.__dict__") or \
                    (name and name.endswith("__dict__")):
                self.flag(node, f"writes to {name}")
        elif isinstance(target, ast.Name):
            if target.id in BUILTIN_NAMES and target.id[0].isupper():
                self.flag(node, f"rebinds the builtin {target.id}")
            if target.id in TEST_HELPERS:
                self.flag(node, f"replaces the test helper {target.id}")

    def visit_Assign(self, node):
        for t in node.targets:
            self._target(node, t)
            if isinstance(t, ast.Name) and isinstance(node.value, ast.Call) \
                    and self.dotted(node.value.func) == "get_ipython":
                self.aliases[t.id] = "get_ipython()"
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node, node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._target(node, node.target)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self._target(node, t)
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node.name in TEST_HELPERS:
            self.flag(node, f"redefines the test helper {node.name}")
        if node.name in BUILTIN_NAMES and node.name[0].isupper():
            self.flag(node, f"rebinds the builtin {node.name}")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        if node.name in BUILTIN_NAMES:
            self.flag(node, f"rebinds the builtin {node.name}")
        self.generic_visit(node)

    # -- calls and attributes ------------------------------------------------------------------
    def visit_Call(self, node):
        name = self.dotted(node.func)
        if name:
            if name in DANGEROUS:
                self.flag(node, f"calls {name}: {DANGEROUS[name]}")
            elif self.root(name) in DANGEROUS_MODULES:
                self.flag(node, f"calls {name}: {DANGEROUS_MODULES[self.root(name)]}")
            elif name.startswith("get_ipython()."):
                method = name.split(".")[1]
                if method in IPYTHON_CALLS:
                    self.flag(node, IPYTHON_CALLS[method])
                elif method in ("run_line_magic", "run_cell_magic") and node.args and \
                        isinstance(node.args[0], ast.Constant) and node.args[0].value in SHELL_MAGICS:
                    self.flag(node, f"runs the %{node.args[0].value} magic")
            if name in ("setattr", "delattr") and node.args:
                obj = self.dotted(node.args[0])
                if obj and self.root(obj) in GUARDED_MODULES | {"__builtins__"}:
                    self.flag(node, f"{name} on {obj}")
            if name.startswith("sys.modules.") and name.split(".")[-1] in (
                    "pop", "update", "setdefault", "clear", "__setitem__"):
                self.flag(node, f"changes sys.modules ({name.split('.')[-1]})")
            if name in FILE_FUNCS or name.endswith(".open"):
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        path = arg.value
                        if path.startswith(("/", "~")) or ".." in path.split("/"):
                            self.flag(node, f"accesses {path!r} outside the working directory")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in FRAME_ATTRS and isinstance(node.ctx, ast.Load):
            self.flag(node, f"reads {node.attr} (interpreter internals)")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            low = node.value.lower()
            for word in GRADER_WORDS:
                if word in low and ("/" in low or low.strip() == word):
                    self.flag(node, f"mentions the grader's files ({node.value[:40]!r})")
                    break
            path = node.value.strip()
            if "\n" not in path and (re.match(r"^(/|~/)[\w.-]+/", path) or "../" in path):
                self.flag(node, f"refers to {path[:60]!r}, outside the working directory")


def _parse(source):
    return ast.parse(_to_python(source))


def imported_modules(sources):
    """Top-level names of the modules that ``sources`` (code cells) import."""
    scanner = _Scanner()
    for source in sources:
        try:
            scanner.visit(_parse(source))
        except SyntaxError:
            continue
    return scanner.imports


def allowed_modules(course_modules=()):
    """The modules a student may import without a flag."""
    return ((_STDLIB - set(DANGEROUS_MODULES)) | KERNEL_PACKAGES | set(course_modules)) - TRUSTED


def learn_aliases(sources, aliases=None):
    """Module aliases bound by the imports of ``sources`` (e.g. the locked setup cell)."""
    scanner = _Scanner(aliases)
    for source in sources:
        try:
            scanner.visit(_parse(source))
        except SyntaxError:
            continue
    return scanner.aliases


def scan_code(source, aliases=None, allowed=None):
    """Flags for one cell: a list of ``(line, reason)``. ``allowed`` is the set of
    modules that may be imported without a flag (None: do not check imports)."""
    try:
        tree = _parse(source)
    except SyntaxError as e:
        return [(e.lineno or 0, f"does not parse ({e.msg}); not scanned")]
    scanner = _Scanner(aliases, allowed)
    scanner.visit(tree)
    seen, out = set(), []
    for line, reason in scanner.flags:
        if reason not in seen:
            seen.add(reason)
            out.append((line, reason))
    return out


def scan_cells(cells, given=(), allowed=()):
    """``cells`` is a list of ``(label, source)`` of student code; ``given`` is the
    course's own code (whose imports student cells rely on); ``allowed`` names the
    modules the course itself uses besides those of :func:`allowed_modules`.
    Returns one-line flags."""
    aliases = learn_aliases(given)
    permitted = allowed_modules(set(allowed) | imported_modules(given))
    flags = []
    for label, source in cells:
        for line, reason in scan_code(source, aliases, permitted):
            flags.append(f"{label}, line {line}: {reason}")
    return flags
