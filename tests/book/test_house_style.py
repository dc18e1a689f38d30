"""The chapters follow the house style written down in CONTRIBUTING.md ("House style")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[2] / "book"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.md"))
GREEK_WORDS = {"alpha", "beta", "gamma", "delta", "eta", "lambda", "mu", "nu", "rho",
               "sigma", "tau", "theta", "omega"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_learning_goals_box(chapter):
    text = chapter.read_text()
    assert re.search(r":::\{admonition\} Learning goals\n:class: tip\n\nAfter this chapter "
                     r"you can\n\n- ", text), (
        f"{chapter.name}: learning goals must be a tip admonition opening with "
        "'After this chapter you can' and a list")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_questions_then_hidden_answers(chapter):
    text = chapter.read_text()
    if "## Check your understanding" not in text:
        pytest.skip("no questions in this chapter")
    section = text.split("## Check your understanding", 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    boxes = re.findall(r"^:::+\{admonition\} (.*?)\n(:class: (\S+)\n)?", section, re.M)
    kinds = [(title, cls) for title, _, cls in boxes]
    assert kinds, f"{chapter.name}: questions are not in admonitions"
    for k in range(0, len(kinds), 2):
        question, answer = kinds[k], kinds[k + 1] if k + 1 < len(kinds) else None
        assert re.fullmatch(r"Question \d+", question[0]) and question[1] == "", (
            f"{chapter.name}: expected a plain 'Question N' box, got {question}")
        assert answer == ("Answer", "dropdown"), (
            f"{chapter.name}: {question[0]} must be followed by an 'Answer' dropdown, "
            f"got {answer}")
    numbers = [int(t.split()[1]) for t, _ in kinds[::2]]
    assert numbers == list(range(1, len(numbers) + 1)), f"{chapter.name}: questions {numbers}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_demo_control_labels(chapter):
    """Labels read 'word \\(symbol\\)': "radius \\(\\rho\\)", never "rho" or "radius ρ"."""
    text = chapter.read_text()
    labels = re.findall(r'description=r?"([^"]*)"', text)
    for label in labels:
        words = set(re.sub(r"\\\(.*?\\\)", " ", label).split())
        assert not words & GREEK_WORDS, f"{chapter.name}: spell {label!r} as '\\(\\rho\\)'"
        assert not re.search(r"[\u0370-\u03ff]", label), (
            f"{chapter.name}: {label!r} has a Greek letter outside \\( \\)")
        assert not re.fullmatch(r".*\b[A-Za-z]\b.*", re.sub(r"\\\(.*?\\\)", "", label)), (
            f"{chapter.name}: a one-letter symbol in {label!r} belongs in \\( \\)")
        assert re.search(r"[a-z]{3,}", label), f"{chapter.name}: {label!r} needs a word"
