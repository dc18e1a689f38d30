"""Hostile answer files shared by the answer-reading tests and the adversarial suite."""

from __future__ import annotations

import io
import zipfile

import numpy as np


def zip_bomb(n_bytes, level=6):
    """A deflated ``.npz`` whose one array declares ``n_bytes`` of float64 zeros and
    inflates to them: a few hundred bytes per MB of claimed data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (n_bytes // 8,)})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        with z.open("y.npy", "w", force_zip64=True) as f:
            f.write(header.getvalue())
            zeros = bytes(1 << 20)
            for _ in range(n_bytes >> 20):
                f.write(zeros)
    return buf.getvalue()


# A process's own peak memory, for code run in a fresh Python by the memory tests.
# Not ru_maxrss: Linux carries the high-water mark of the parent's memory across fork
# and exec, so a child of a large pytest process would report the parent's peak.
# VmHWM belongs to the address space that exec created.
PEAK_RSS_KB = ("int(next(l for l in open('/proc/self/status') "
               "if l.startswith('VmHWM:')).split()[1])")
