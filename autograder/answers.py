"""Read the answers a sandboxed kernel wrote, as the untrusted files they are.

The kernel writes ``<out>/<grade_id>/answerNN.npz`` (or ``.err``) into a folder it can
change at any moment: it may swap a file for a symlink to a host file between two
system calls, put a FIFO or a device there, write a compressed archive that inflates
to gigabytes, or thousands of files. So:

* the grader opens the answers folder once, before the kernel starts, and reaches
  every file relative to that descriptor with ``O_NOFOLLOW | O_NONBLOCK`` (a symlink
  fails to open, a FIFO does not block), then checks type, link count and size with
  ``fstat`` on the descriptor it reads from;
* it opens only the names it expects (one per hidden case), reads at most
  :data:`MAX_FILE` bytes of each and :data:`MAX_TOTAL` per notebook;
* :func:`decode_npz` accepts only uncompressed (stored) members whose ``.npy`` header
  declares a plain numeric dtype and exactly as many bytes as the member holds, so
  decoding never allocates more than the file's own size;
* what reaches a verdict is a fixed phrase built here (or an exception class name
  checked to be an identifier), never text read from a file.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile

import numpy as np

__all__ = ["AnswerReader", "AnswerRefused", "decode_npz", "exception_name",
           "MAX_FILE", "MAX_TOTAL", "MAX_ARRAYS"]

MAX_FILE = 4 * 1024 * 1024        # one answer file; real answers are a few KB
MAX_TOTAL = 32 * 1024 * 1024      # all answer files of one notebook
MAX_ARRAYS = 64                   # arrays in one answer
_NUMERIC = "biuf"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}\Z")
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class AnswerRefused(Exception):
    """An answer file the grader will not use; the message is a fixed phrase."""


def exception_name(raw):
    """The exception class name in an ``.err`` file, or a neutral phrase."""
    text = raw.decode("ascii", "replace").strip()
    return text if _IDENTIFIER.match(text) else "an exception"


class AnswerReader:
    """Bounded, no-follow reads below one answers folder (see the module docstring).

    Create it before the kernel starts, from a path no sandbox can change; call
    :meth:`read` with names that come from the grader (grade ids of the course's
    challenges, file names made here), never from the sandbox.
    """

    def __init__(self, folder, max_file=MAX_FILE, max_total=MAX_TOTAL):
        self.fd = os.open(folder, _OPEN_DIR)
        self.max_file = max_file
        self.left = max_total

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def read(self, grade_id, name):
        """Bytes of ``<grade_id>/<name>``; None if absent; AnswerRefused if unusable."""
        if not _IDENTIFIER.match(grade_id) or not re.fullmatch(r"answer\d\d\.(npz|err)", name):
            raise ValueError(f"not a grader-made answer name: {grade_id}/{name}")
        try:
            folder = os.open(grade_id, _OPEN_DIR, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError:
            raise AnswerRefused("the answers folder was replaced (by a link or a file)") from None
        try:
            try:
                fd = os.open(name, _OPEN_FILE, dir_fd=folder)
            except FileNotFoundError:
                return None
            except OSError:
                raise AnswerRefused("the answer file was replaced by a link") from None
        finally:
            os.close(folder)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise AnswerRefused("the answer is not a regular file")
            if info.st_nlink != 1:
                raise AnswerRefused("the answer file has other names (a hard link)")
            limit = min(self.max_file, self.left)
            if info.st_size > limit:
                raise AnswerRefused("the answer file is over the size limit")
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:                      # it grew after fstat
                raise AnswerRefused("the answer file is over the size limit")
            self.left -= size
            return b"".join(chunks)
        finally:
            os.close(fd)


def _npy_member(archive, info, limit):
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise AnswerRefused("the answer has an unknown array format")
        if dtype.hasobject or dtype.fields is not None or dtype.kind not in _NUMERIC:
            raise AnswerRefused("the answer holds something other than numbers")
        count = 1
        for n in shape:
            count *= int(n)
        nbytes = count * dtype.itemsize
        if nbytes > limit or nbytes != info.file_size - f.tell():
            raise AnswerRefused("the answer's array header does not match its size")
        data = f.read(nbytes)
    if len(data) != nbytes:
        raise AnswerRefused("the answer file is truncated")
    return np.frombuffer(data, dtype=dtype, count=count).reshape(
        shape, order="F" if fortran else "C")


def decode_npz(raw):
    """The arrays of an answer written by ``np.savez``, decoded within ``len(raw)`` bytes.

    Raises :class:`AnswerRefused` for anything else (compressed or oversized members,
    object or structured arrays, pickles, a broken archive).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise AnswerRefused("the answer file is not a numpy archive") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ARRAYS:
            raise AnswerRefused("the answer holds too many arrays")
        if sum(m.file_size for m in members) > len(raw):
            raise AnswerRefused("the answer file is compressed (inflates beyond its size)")
        arrays = {}
        for info in members:
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                raise AnswerRefused("the answer file is compressed (inflates beyond its size)")
            if not info.filename.endswith(".npy") or info.filename[:-4] in arrays:
                raise AnswerRefused("the answer file is not a numpy archive")
            try:
                arrays[info.filename[:-4]] = _npy_member(archive, info, len(raw))
            except AnswerRefused:
                raise
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError):
                raise AnswerRefused("the answer file is not a numpy archive") from None
    return arrays
