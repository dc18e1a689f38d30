"""Reading answer files the sandbox controls, and the collector that writes them.

Fast (no kernel): the hostile answer folders are built here, as a kernel could build
them. The grader must never follow a link, block on a FIFO, read past its bounds,
inflate an archive beyond the file's size, or return text it read.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from autograder.answers import (MAX_FILE, AnswerReader, AnswerRefused, decode_npz,
                                exception_name)
from autograder.preprocessors import _npz_bytes, _prelude
from hostile import PEAK_RSS_KB, zip_bomb

CANARY = "CANARY-d41d8cd98f00b204"


@pytest.fixture
def dirs(tmp_path):
    out = tmp_path / "out"
    (out / "g").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY)
    return out, secret


def _savez(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_reads_an_honest_answer_and_decodes_it_exactly(dirs):
    out, _ = dirs
    y = np.random.default_rng(0).standard_normal((3, 2, 4))
    (out / "g" / "answer00.npz").write_bytes(_savez(y=y, n=np.array(3.0)))
    (out / "g" / "answer01.err").write_text("ValueError")
    with AnswerReader(out) as reader:
        arrays = decode_npz(reader.read("g", "answer00.npz"))
        assert reader.read("g", "answer01.npz") is None
        assert exception_name(reader.read("g", "answer01.err")) == "ValueError"
        assert reader.read("other", "answer00.npz") is None
    assert set(arrays) == {"y", "n"}
    np.testing.assert_array_equal(arrays["y"], y)
    f = np.asfortranarray(y)
    assert decode_npz(_savez(f=f))["f"].tolist() == y.tolist()


def test_links_fifos_and_hard_links_are_refused(dirs):
    out, secret = dirs
    (out / "g" / "answer00.npz").symlink_to(secret)
    (out / "g" / "answer00.err").symlink_to(secret)
    os.mkfifo(out / "g" / "answer01.npz")            # would block an ordinary open()
    os.link(secret, out / "g" / "answer02.err")
    (out / "h").symlink_to(secret.parent)            # the folder itself swapped for a link
    with AnswerReader(out) as reader:
        for name, phrase in [("answer00.npz", "replaced by a link"),
                             ("answer00.err", "replaced by a link"),
                             ("answer01.npz", "not a regular file"),
                             ("answer02.err", "hard link")]:
            with pytest.raises(AnswerRefused, match=phrase) as e:
                reader.read("g", name)
            assert CANARY not in str(e.value)
        with pytest.raises(AnswerRefused, match="folder was replaced"):
            reader.read("h", "answer00.npz")


def test_names_come_from_the_grader_only(dirs):
    out, _ = dirs
    with AnswerReader(out) as reader:
        for gid, name in [("../x", "answer00.npz"), ("/etc", "answer00.npz"),
                          ("g", "../../secret.txt"), ("g", "answer00.txt")]:
            with pytest.raises(ValueError, match="not a grader-made answer name"):
                reader.read(gid, name)


def test_size_is_bounded_per_file_and_per_notebook(dirs):
    out, _ = dirs
    (out / "g" / "answer00.npz").write_bytes(b"x" * (MAX_FILE + 1))
    for k in range(1, 4):
        (out / "g" / f"answer{k:02d}.npz").write_bytes(b"y" * 1000)
    with AnswerReader(out, max_total=2500) as reader:
        with pytest.raises(AnswerRefused, match="over the size limit"):
            reader.read("g", "answer00.npz")
        assert len(reader.read("g", "answer01.npz")) == 1000
        assert len(reader.read("g", "answer02.npz")) == 1000
        with pytest.raises(AnswerRefused, match="over the size limit"):
            reader.read("g", "answer03.npz")


def _lying(shape, n_bytes):
    """A stored .npz whose array header declares ``shape`` over ``n_bytes`` of data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("y.npy", header.getvalue() + bytes(n_bytes))
    return buf.getvalue()


@pytest.mark.parametrize("build, phrase", [
    (lambda: zip_bomb(64 << 20), "compressed"),
    (lambda: np.savez_compressed(b := io.BytesIO(), y=np.zeros(10)) or b.getvalue(),
     "compressed"),
    (lambda: _savez(o=np.array([None, 1], dtype=object)), "other than numbers"),
    (lambda: _savez(s=np.array(["a", "b"])), "other than numbers"),
    (lambda: _savez(r=np.zeros(2, dtype=[("a", "f8")])), "other than numbers"),
    (lambda: b"not a zip at all", "not a numpy archive"),
    (lambda: _lying((9,), 32), "does not match its size"),
    (lambda: _lying((2**40, 2**30), 32), "does not match its size"),
    (lambda: _savez(**{f"a{i}": np.zeros(1) for i in range(65)}), "too many arrays"),
])
def test_hostile_archives_are_refused_from_their_headers(build, phrase):
    with pytest.raises(AnswerRefused, match=phrase):
        decode_npz(build())


def test_a_zip_bomb_answer_keeps_the_grader_small(tmp_path):
    """2 MB that inflate to 2 GB: refused before decoding, peak RSS far below 500 MB."""
    bomb = tmp_path / "bomb.npz"
    bomb.write_bytes(zip_bomb(2 << 30))
    assert bomb.stat().st_size < 4 * 2**20
    code = textwrap.dedent(f"""
        from autograder.answers import AnswerRefused, decode_npz
        try:
            decode_npz(open({str(bomb)!r}, "rb").read())
        except AnswerRefused as e:
            print("refused:", e)
        print({PEAK_RSS_KB})
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    refused, rss_kb = proc.stdout.strip().splitlines()
    assert refused.startswith("refused: the answer file is compressed")
    assert int(rss_kb) < 500 * 1024


def test_exception_names_are_identifiers_only():
    assert exception_name(b"ZeroDivisionError") == "ZeroDivisionError"
    assert exception_name(CANARY.encode()) == "an exception"
    assert exception_name(b"Error: see /etc/passwd") == "an exception"
    assert exception_name(b"\xff\xfe") == "an exception"


def test_collector_ignores_what_the_student_bound_to_builtin_names(tmp_path):
    """The collector runs the kernel code with the real builtins and numpy, and takes
    only the functions under test from the notebook."""
    (tmp_path / "in" / "g").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    for k, n in enumerate((3, 4)):
        (tmp_path / "in" / "g" / f"case{k:02d}.npz").write_bytes(
            _npz_bytes({"x": np.arange(float(n)), "k": 2}))
    kernel = "answer = dict(y=scale(x, k), n=np.array(len(sorted(x))))"
    prelude = (_prelude({"g": [kernel, 2]})
               .replace("__RNNGRADE_IN__", repr(str(tmp_path / "in")))
               .replace("__RNNGRADE_OUT__", repr(str(tmp_path / "out"))))
    user = {"__name__": "__main__"}
    exec(prelude, user)
    exec("import numpy\n"
         "dict = sorted = str = len = np = open = print = compile = exec = globals = 0\n"
         "range = isinstance = type = float = os = k = x = answer = env = code = None\n"
         "def scale(x, k):\n    return numpy.asarray(x) * k\n", user)
    exec('__rnngrade_collect__("g")', user)
    with AnswerReader(tmp_path / "out") as reader:
        for k, n in enumerate((3, 4)):
            got = decode_npz(reader.read("g", f"answer{k:02d}.npz"))
            assert got["y"].tolist() == [2.0 * i for i in range(n)] and got["n"] == n
    exec("def scale(x, k):\n    raise KeyError('" + CANARY + "')\n", user)
    exec('__rnngrade_collect__("g")', user)
    assert (tmp_path / "out" / "g" / "answer00.err").read_text() == "KeyError"


def test_the_course_float64_check_becomes_the_graders_own_hint(tmp_path):
    from autograder.cases import float64_guard
    from autograder.preprocessors import _answer
    (tmp_path / "in" / "g").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "in" / "g" / "case00.npz").write_bytes(_npz_bytes({"x": np.ones(3)}))
    kernel = float64_guard("y = half(x)\nanswer = {'y': y}")
    prelude = (_prelude({"g": [kernel, 1]})
               .replace("__RNNGRADE_IN__", repr(str(tmp_path / "in")))
               .replace("__RNNGRADE_OUT__", repr(str(tmp_path / "out"))))
    user = {"__name__": "__main__"}
    exec(prelude, user)
    exec("import numpy as np\ndef half(x):\n    return (x / 2).astype(np.float32)\n", user)
    exec('__rnngrade_collect__("g")', user)
    with AnswerReader(tmp_path / "out") as reader:
        name = exception_name(reader.read("g", "answer00.err"))
    assert name == "Float32Answer"
    assert _answer(("err", name), None).startswith("returned float32 numbers")
    assert _answer(("err", "KeyError"), None) == "raised KeyError"
