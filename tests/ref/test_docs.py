"""rnn_ref's docstrings and the book say the same thing.

Every docstring names the book equation it implements (``eq-rnn-layer``...). Each such
label must be defined in a chapter (``$$ ... $$ (eq-rnn-layer)``), so a renamed or
deleted equation cannot leave the library pointing at nothing.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ["tdnn", "narx", "jordan", "elman", "rnn", "brnn", "lstm", "gru", "losses",
           "optim", "data", "gradcheck", "seqmodel", "seq2seq", "activations"]
LABEL = re.compile(r"\beq-[a-z0-9]+(?:-[a-z0-9]+)*")


def book_labels():
    labels = set()
    for md in (REPO / "book").glob("*.md"):
        labels |= set(re.findall(r"\$\$\s*\((eq-[a-z0-9-]+)\)", md.read_text(encoding="utf-8")))
    return labels


def test_every_cited_equation_exists_in_the_book():
    defined = book_labels()
    cited = {}
    for path in sorted((REPO / "rnn_ref").glob("*.py")):
        for label in LABEL.findall(path.read_text(encoding="utf-8")):
            cited.setdefault(label, path.name)
    assert cited, "rnn_ref cites no equation at all"
    missing = {label: where for label, where in cited.items() if label not in defined}
    assert not missing, f"labels cited in rnn_ref but not defined in book/*.md: {missing}"


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_have_docstrings(name):
    module = importlib.import_module(f"rnn_ref.{name}")
    assert module.__doc__ and len(module.__doc__) > 80, f"rnn_ref.{name} has no module docstring"
    for attr in getattr(module, "__all__", []):
        obj = getattr(module, attr)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__doc__, f"rnn_ref.{name}.{attr} has no docstring"
