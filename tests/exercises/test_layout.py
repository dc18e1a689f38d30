"""Every exercise is one folder, ``solutions/<name>/``, and is listed wherever students
and instructors look for it. Fast: nothing is executed.

* the folder holds ``<name>.md``, ``hidden.py`` and ``bugs.py``; nothing of an exercise
  is left in the places it used to live;
* the book's table of contents, the Exercises page and ``solutions/README.md`` list
  it, in book order, and the README's points are the notebook's;
* every autograded test cell has its hidden challenge, and every challenge its cell;
* the source reader rejects malformed cells with a message naming the cell.
"""

import re

import pytest
import yaml

from autograder.authoring import companion_files, load_bugs, source_notebook
from autograder.challenge import load as load_challenges
from autograder.course import REPO, SOLUTIONS, CourseError, source_assignments

ASSIGNMENTS = source_assignments()


def _points(nb, cell_type):
    return sum(c.metadata.nbgrader["points"] for c in nb.cells
               if c.cell_type == cell_type and c.metadata.get("nbgrader", {}).get("grade"))


def _toc_files():
    """Every ``file:`` of _toc.yml, in order."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(yaml.safe_load((REPO / "_toc.yml").read_text()))
    return found


def _readme_rows():
    rows = {}
    for line in (SOLUTIONS / "README.md").read_text().splitlines():
        m = re.match(r"\|\s*`(ex\w+)`\s*\|[^|]*\|\s*(\d+)\s*\|\s*(\d+)\s*\|", line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return rows


def test_there_are_exercises_in_book_order():
    assert len(ASSIGNMENTS) >= 11
    assert all(re.fullmatch(r"ex\d\d[a-z]?_[a-z0-9_]+", a) for a in ASSIGNMENTS), ASSIGNMENTS


def test_nothing_left_in_the_old_places():
    for old in ("autograder/challenges", "autograder/examples", "autograder/samples",
                "tests/exercises/bugs"):
        assert not (REPO / old).exists(), f"{old} should be gone: exercises live in solutions/"
    assert not list(SOLUTIONS.glob("*/*.ipynb")), "notebooks are built from the .md sources"
    for folder in SOLUTIONS.iterdir():
        if folder.is_dir() and folder.name != "__pycache__":
            assert folder.name in ASSIGNMENTS, f"{folder} has no {folder.name}.md"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_is_listed_everywhere(assignment):
    folder = SOLUTIONS / assignment
    for name in (f"{assignment}.md", "hidden.py", "bugs.py"):
        assert (folder / name).is_file(), f"{assignment}: missing {name}"
    assert len(load_bugs(assignment)) >= 2, f"{assignment}: bugs.py needs two variants or more"

    assert f"book/assignments/{assignment}" in _toc_files(), \
        f"_toc.yml lists no book/assignments/{assignment}"
    page = (REPO / "book" / "exercises.md").read_text()
    assert f"<assignments/{assignment}>" in page and f"<assignments/{assignment}.zip>" in page, \
        f"book/exercises.md links neither the notebook nor the zip of {assignment}"

    rows = _readme_rows()
    assert assignment in rows, f"solutions/README.md has no row for {assignment}"
    nb = source_notebook(assignment)
    assert rows[assignment] == (_points(nb, "code"), _points(nb, "markdown")), (
        f"solutions/README.md gives {assignment} {rows[assignment]} (autograded, written) "
        f"points; the notebook has {(_points(nb, 'code'), _points(nb, 'markdown'))}")
    assert companion_files(assignment)[0].name == "rnncheck.py"
    assert not {"hidden.py", "bugs.py"} & {f.name for f in companion_files(assignment)}


def test_lists_follow_book_order():
    toc = [f.rsplit("/", 1)[1] for f in _toc_files() if f.startswith("book/assignments/")]
    assert toc == ASSIGNMENTS
    assert list(_readme_rows()) == ASSIGNMENTS
    page = (REPO / "book" / "exercises.md").read_text()
    assert re.findall(r"\{doc\}`The notebook <assignments/(\w+)>`", page) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_test_cell_has_its_challenge(assignment):
    nb = source_notebook(assignment)
    cells = {c.metadata.nbgrader["grade_id"] for c in nb.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert set(load_challenges(assignment)) == cells


def _write(tmp_path, body):
    folder = tmp_path / "ex99_demo"
    folder.mkdir()
    (folder / "ex99_demo.md").write_text(
        "---\nkernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        + body)
    return tmp_path


def test_source_gets_full_metadata_and_the_hidden_call(tmp_path):
    root = _write(tmp_path, "```{code-cell}\n:nbgrader: {grade_id: t1, grade: true, "
                            "locked: true, points: 2}\nassert 1\n```\n")
    cell = source_notebook("ex99_demo", root).cells[0]
    assert cell.metadata.nbgrader == {"grade": True, "grade_id": "t1", "locked": True,
                                      "points": 2, "schema_version": 3, "solution": False,
                                      "task": False}
    assert cell.id == "t1"
    assert cell.source.endswith("check('ex99_demo', 't1', globals())\n### END HIDDEN TESTS")
    assert cell.source.startswith("import rnncheck  #")


@pytest.mark.parametrize("meta, message", [
    ("{grade_id: t1, grade: true, locked: true}", "needs points > 0"),
    ("{grade_id: t1, grade: yes please}", "must be true or false"),
    ("{grade_id: t1, graded: true}", "unknown nbgrader key"),
    ("{grade: true, points: 1}", "grade_id must be"),
    ("{grade_id: t1, solution: true}", "no ### BEGIN SOLUTION region"),
])
def test_malformed_cells_are_named(tmp_path, meta, message):
    root = _write(tmp_path, f"```{{code-cell}}\n:nbgrader: {meta}\nx = 1\n```\n")
    with pytest.raises(CourseError, match=message) as e:
        source_notebook("ex99_demo", root)
    assert "ex99_demo.md, cell 1" in str(e.value)


def _markdown_problems(text):
    """Lines that Markdown would misread in math-heavy text."""
    problems, lines, in_math = [], text.split("\n"), False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("$$"):
            if not in_math and i > 0 and lines[i - 1].strip():
                problems.append(f"$$ right after a text line: {lines[i - 1].strip()[:60]!r}")
            if stripped.count("$$") == 1:
                in_math = not in_math
        elif not in_math and re.match(r"\s*\+ ", line) and i > 0 and lines[i - 1].strip():
            problems.append(f"a wrapped line starting with '+ ' becomes a bullet: {stripped[:60]!r}")
    return problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_text_is_clean(assignment):
    nb = source_notebook(assignment)
    for cell in nb.cells:
        visible = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", cell.source,
                         flags=re.S)
        assert not re.search(r"\beq-[a-z]", visible), \
            f"{assignment}: raw equation label in {cell.id}; name the chapter instead"
        assert "rnn_ref" not in visible, f"{assignment}: {cell.id} mentions rnn_ref"
        assert "@expected(" not in visible
        if cell.cell_type == "markdown":
            assert _markdown_problems(cell.source) == [], (assignment, cell.id)


def test_expected_numbers_are_filled_in_at_release(tmp_path):
    root = _write(tmp_path, "```{code-cell}\n:nbgrader: {grade_id: t1, grade: true, locked: true, "
                            "points: 1}\ncheck_close('y', y, @expected(y))\n```\n")
    (root / "ex99_demo" / "hidden.py").write_text(
        "import numpy as np\nEXPECTED = {'y': lambda: np.array([[0.1, 1 / 3]])}\n")
    cell = source_notebook("ex99_demo", root).cells[0]
    assert "check_close('y', y, np.array([[0.1, 0.3333333333333333]]))" in cell.source
    (root / "ex99_demo" / "ex99_demo.md").write_text(
        (root / "ex99_demo" / "ex99_demo.md").read_text().replace("@expected(y)", "@expected(z)"))
    with pytest.raises(CourseError, match=r"@expected\(z\) is not in EXPECTED"):
        source_notebook("ex99_demo", root)
