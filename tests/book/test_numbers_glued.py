"""Numbers in the prose cannot drift: every one is glued, or allowed here with a reason.

A chapter that quotes a result of its own computations ("the loss is 1.5", "cosine
0.92", "a factor of about 10^9") must take it from the code with MyST-NB's ``glue`` and
``{glue:text}`key:format``` (or ``{glue:md}`key:myst``` for a power of ten), so the text
says what the code computed on the last build. ``prose_numbers`` reads the decimals,
percentages and powers of ten a reader sees in each chapter's prose; every one of them
must be

* written by a glue role (then it is not in the source at all), or
* a *setting* the page's code chooses: inline math that only names a value, such as
  ``$\\mu = 0.9$``, whose number also appears in the chapter's code, or an entry of
  ``ALLOWED`` below of kind ``setting`` (checked the same way), or
* an entry of ``ALLOWED`` of another kind, each checked as far as a machine can:
  ``arithmetic`` (closed-form arithmetic in the text; the expression is evaluated and
  must round to the quoted number), ``asserted`` (a bound that a cell of the page
  asserts; the literal must appear in an ``assert`` line), ``lecture`` (a value printed
  on the lecture slides in ../shared/seeds), ``fact`` (a property of the method or of
  the world, not of this page's computation).

An entry covers every occurrence of its number in that chapter. Stale entries (the
number no longer occurs) fail too, so the list stays short. Integers and numbers in
words are not scanned (see ``prose_numbers``).
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from book_site import REPO  # noqa: E402
from prose_numbers import code_text, quoted_numbers  # noqa: E402

CHAPTERS = sorted((REPO / "book").glob("[0-9][0-9]_*.md"))

ALLOWED: dict[str, dict[str, tuple[str, str]]] = {
    "01_sequences.md": {
        "44.1": ("fact", "the audio sampling rate of a CD, 44.1 kHz"),
        "0.95": ("setting", "the spectral radius the state model is scaled to"),
    },
    "03_narx.md": {
        "1.5": ("setting", "the feedback weight w_y = 1.5 of the third curve"),
        "0.05": ("setting", "standard deviation of the innovations of the data"),
        "0.9": ("setting", "the feedback weight w_y = 0.9"),
        "0.1": ("setting", "the step of the slider values stored in the site"),
    },
    "04_jordan.md": {
        "10^-10": ("fact", "rounding noise of central differences with eps = 1e-6 "
                           "(rnn_ref.gradcheck)"),
        "0.9": ("setting", "the decay mu = 0.9"),
        "0.35": ("arithmetic", "0.9 ** 10"),
        "0.05": ("setting", "the step of the decay slider"),
    },
    "06_rnn.md": {
        "0.5": ("arithmetic", "1 / (1 + math.exp(0))"),
    },
    "07_bptt.md": {
        "10^-12": ("asserted", "< 1e-12"),
        "10^-7": ("asserted", "< 1e-7"),
        "10^-6": ("fact", "the step eps = 1e-6 of rnn_ref.gradcheck"),
        "10^-10": ("fact", "rounding noise of central differences with eps = 1e-6"),
        "1.2": ("setting", "the smallest spectral radius of the explosion range shown"),
    },
    "12_seq2seq.md": {
        # The hand-worked beam example: its table is given in the prose (the same case is
        # decoded by rnn_ref in tests/ref/test_seq2seq.py), the products are arithmetic.
        "0.5": ("fact", "a probability of the hand-worked example's table"),
        "0.4": ("fact", "a probability of the hand-worked example's table"),
        "0.9": ("fact", "a probability of the hand-worked example's table"),
        "0.25": ("arithmetic", "0.5 * 0.5"),
        "0.36": ("arithmetic", "0.4 * 0.9"),
    },
    "08_brnn.md": {
        "10^-3": ("fact", "the size of error a wrong gradient formula typically gives"),
    },
    "09_vanishing.md": {
        "0.9": ("setting", "the example factor w = 0.9 (also beta_1 = 0.9 of Adam)"),
        "0.005": ("arithmetic", "0.9 ** 50"),
        "1.1": ("fact", "the example factor w = 1.1 of the opening arithmetic"),
        "0.58": ("arithmetic", "1 / math.sqrt(3)"),
        "0.4": ("setting", "the short example gradient (0.4, 0.5) of the clipping figure"),
        "0.5": ("setting", "example values: the short gradient, the matrix of question 3"),
        "0.1": ("setting", "learning rate of the clipping demonstration"),
        "0.999": ("setting", "the threshold for a saturated unit"),
        "0.002": ("arithmetic", "1 - 0.999 ** 2"),
        "1.386": ("arithmetic", "math.log(4)"),
        "0.03": ("setting", "Adagrad learning rate"),
        "10^-8": ("fact", "the epsilon of rnn_ref.optim.Adagrad and Adam"),
        "0.003": ("fact", "Adam learning rate of runs described in the note, not run here"),
        "0.8": ("setting", "the recurrent weight w = 0.8 of question 1"),
        "1.2e-3": ("arithmetic", "0.8 ** 30"),
        "0.2": ("fact", "the largest slope of the logistic function, rounded up from 1/4"),
        "10^-21": ("arithmetic", "0.2 ** 30"),
        "4.06": ("arithmetic", "numpy.linalg.norm([[0.5, 4], [0, 0.5]], 2)"),
        "4.02": ("arithmetic", "numpy.linalg.norm(numpy.linalg.matrix_power("
                               "[[0.5, 4], [0, 0.5]], 2), 2)"),
        "3.01": ("arithmetic", "numpy.linalg.norm(numpy.linalg.matrix_power("
                               "[[0.5, 4], [0, 0.5]], 3), 2)"),
        "2.00": ("arithmetic", "numpy.linalg.norm(numpy.linalg.matrix_power("
                               "[[0.5, 4], [0, 0.5]], 4), 2)"),
        "0.01": ("fact", "the learning rate eta = 0.01 given in question 4"),
        "0.05": ("arithmetic", "0.01 * 5"),
        "0.001": ("arithmetic", "0.01 * 5 / 50"),
        "0.02": ("arithmetic", "0.01 * 2"),
    },
    "10_gated.md": {
        "0.95": ("arithmetic", "1 / (1 + math.exp(-3))"),
        "0.5": ("arithmetic", "1 / (1 + math.exp(0))"),
        "90%": ("fact", "a target to try with the widget"),
        "0.05": ("setting", "the input leak of the memory demonstration"),
        "10^-17": ("arithmetic", "1 / (1 + math.exp(40))"),
        "0.73": ("arithmetic", "1 / (1 + math.exp(-1))"),
        "0.03": ("setting", "Adagrad learning rate"),
        "25%": ("arithmetic", "100 / 4"),
        "95%": ("arithmetic", "100 / (1 + math.exp(-3))"),
        "5%": ("arithmetic", "100 - 100 / (1 + math.exp(-3))"),
        "0.99": ("setting", "the forget gate f = 0.99 of question 1"),
        "0.37": ("arithmetic", "0.99 ** 100"),
        "4e-5": ("arithmetic", "0.99 ** 1000"),
        "0.99995": ("arithmetic", "1 / (1 + math.exp(-10))"),
        "5e-5": ("arithmetic", "math.exp(-10)"),
    },
    "11_char_lm.md": {
        "0.936534": ("lecture", "Gurari's hidden state after 'he'"),
        "0.949104": ("lecture", "Gurari's hidden state after 'he'"),
        "0.762341": ("lecture", "Gurari's hidden state after 'he'"),
        "1.906": ("lecture", "Gurari's logits, rounded"),
        "1.138": ("lecture", "Gurari's logits, rounded"),
        "0.957": ("lecture", "Gurari's logits, rounded"),
        "1.274": ("lecture", "Gurari's logits, rounded"),
        "10^-6": ("asserted", "atol=2e-6"),
        "0.419748": ("lecture", "Gurari's softmax probabilities"),
        "0.194682": ("lecture", "Gurari's softmax probabilities"),
        "0.162429": ("lecture", "Gurari's softmax probabilities"),
        "0.223141": ("lecture", "Gurari's softmax probabilities"),
        "0.42": ("lecture", "Gurari's probability of 'h', rounded"),
        "0.19": ("lecture", "Gurari's probability of 'e', rounded"),
        "0.16": ("lecture", "Gurari's probability of 'l', rounded"),
        "0.22": ("lecture", "Gurari's probability of 'o', rounded"),
        "0.005": ("setting", "Adam learning rate"),
        "0.3": ("setting", "a sampling temperature"),
        "1.0": ("setting", "a sampling temperature"),
        "1.5": ("setting", "a sampling temperature"),
        "4.22": ("arithmetic", "math.log(68)"),
        "6.09": ("arithmetic", "math.log2(68)"),
    },
}
KINDS = {"setting", "arithmetic", "asserted", "lecture", "fact"}


def _literal_in_code(number: str, code: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(number)}(?![\d])", code) is not None


def _rounds_to(value: float, quoted: str) -> bool:
    """Whether ``value`` written at the precision of ``quoted`` gives ``quoted``."""
    if quoted.startswith("10^"):
        return value > 0 and round(math.log10(value)) == int(quoted[3:])
    if "e" in quoted:
        mantissa, exponent = quoted.split("e")
        return _rounds_to(value / 10 ** int(exponent), mantissa)
    if quoted.endswith("%"):
        return abs(value - int(quoted[:-1])) <= 0.5
    decimals = len(quoted.split(".")[1]) if "." in quoted else 0
    return abs(value - float(quoted)) <= 0.5 * 10 ** -decimals + 1e-12


def test_every_quoted_number_is_glued_or_allowed():
    assert CHAPTERS, "no chapters found under book/"
    unexplained = []
    for path in CHAPTERS:
        code = code_text(path)
        allowed = ALLOWED.get(path.name, {})
        for q in quoted_numbers(path):
            if q.number in allowed or (q.setting and _literal_in_code(q.number, code)):
                continue
            unexplained.append(f"{q.file}:{q.line}: {q.number}  in  {q.text}")
    assert not unexplained, (
        "numbers quoted in the prose that no glue role writes; glue them from the cell "
        "that computes them ({glue:text}`key:format`), or add them to ALLOWED in "
        f"{Path(__file__).name} with a reason:\n" + "\n".join(unexplained))


def test_allowed_numbers_are_current_and_checked():
    import numpy  # noqa: F401  (arithmetic expressions may use it)

    problems = []
    for name, entries in ALLOWED.items():
        path = REPO / "book" / name
        if not path.exists():
            problems.append(f"{name}: no such chapter")
            continue
        quoted = {q.number for q in quoted_numbers(path)}
        code = code_text(path)
        for number, (kind, detail) in entries.items():
            where = f"{name}: {number} ({kind})"
            if kind not in KINDS:
                problems.append(f"{where}: unknown kind, expected one of {sorted(KINDS)}")
            if number not in quoted:
                problems.append(f"{where}: no longer quoted; remove the entry")
            if kind == "setting" and not _literal_in_code(number, code):
                problems.append(f"{where}: a setting, but the chapter's code never uses it")
            if kind == "asserted" and not any(
                    detail in line for line in code.splitlines()
                    if line.lstrip().startswith(("assert", "np.testing.assert"))):
                problems.append(f"{where}: no assert line of the chapter contains {detail!r}")
            if kind == "arithmetic":
                value = float(eval(detail, {"math": math, "numpy": numpy}))  # noqa: S307
                if not _rounds_to(value, number):
                    problems.append(f"{where}: {detail} = {value:.6g} does not round to it")
    assert not problems, "\n".join(problems)


def test_every_glue_role_has_a_glue_call():
    problems = []
    for path in CHAPTERS:
        source = path.read_text()
        code = code_text(path)
        # Keys glued in the code; f-string keys become patterns ("echo_{mu_}" -> "echo_.+").
        patterns = [re.escape(k) for k in re.findall(r'glue\(\s*"([^"{}]+)"', code)]
        patterns += [re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(k))
                     for k in re.findall(r'glue(?:_power)?\(\s*f"([^"]+)"', code)]
        patterns += [re.escape(k) for k in re.findall(r'glue_power\(\s*"([^"]+)"', code)]
        glued = re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")
        for key in re.findall(r"\{glue(?::\w+)?\}`([^`:]+)", source):
            if not glued.fullmatch(key):
                problems.append(f"{path.name}: {{glue}} role for {key!r}, but no cell glues it")
    assert not problems, "\n".join(problems)
