"""Chapter 12's measured results still say what its text says about them.

The chapter trains three encoder-decoders in the build and glues their accuracies into
the prose: the reversal model gets most strings right, the beam does at least as well as
greedy decoding ("the beam raised the accuracy"), and a larger summary reverses longer
strings (the bottleneck). The numbers are read from the build's jupyter-cache when it
holds a fresh run of the chapter, else the chapter is executed here (see
``test_char_lm.py``, whose helpers this test shares).
"""

from __future__ import annotations

import pytest

from test_char_lm import executed_chapter, glued_value

DOCNAME = "book/12_seq2seq"
ACCURACY_FLOOR = 60.0      # % of test strings reversed exactly, greedy; observed 79.5


@pytest.mark.slow
def test_seq2seq_chapter_results(paths, built_site):
    executed, origin = executed_chapter(paths, DOCNAME)

    value = {name: glued_value(executed, name) for name in (
        "s2s_acc_greedy", "s2s_acc_beam", "s2s_beam_better", "s2s_acc8_5", "s2s_acc32_5",
        "s2s_acc8_8", "s2s_acc32_8")}
    where = f"{value} (from {origin})"
    print(where)
    assert value["s2s_acc_greedy"] > ACCURACY_FLOOR, f"the reversal model no longer learns: {where}"
    assert value["s2s_acc_beam"] >= value["s2s_acc_greedy"], \
        f"the text says the beam raises the accuracy: {where}"
    assert value["s2s_beam_better"] > 0, f"the beam never found a more probable output: {where}"
    assert value["s2s_acc32_5"] > value["s2s_acc8_5"] and \
        value["s2s_acc32_8"] > value["s2s_acc8_8"], \
        f"the text says a larger summary reverses longer strings: {where}"
