"""Store one student's upload on disk, unpacking archives, with bounded cost.

An upload is hostile input. :func:`store` copies it into the student's own folder and,
if it is an archive (zip, tar, tar.gz/tgz/bz2/xz, gz), unpacks it there, nested
archives included, up to :data:`MAX_DEPTH` levels. Nothing inside an upload is ever
read as an LMS file name: whatever an archive contains can only become files of the
same student. Every byte is streamed through a :class:`Budget` that caps the total size,
the number of files and the expansion ratio, so a zip bomb stops after a few megabytes
of memory and a bounded amount of disk. Links, devices and entries that would land
outside the folder are skipped and reported; a file that claims to be an archive but
is not raises :class:`UploadError` with a one-line reason.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

__all__ = ["UploadError", "Budget", "store", "MAX_BYTES", "MAX_FILES", "MAX_RATIO", "MAX_DEPTH"]

MAX_BYTES = 100 * 1024 * 1024    # everything one student's upload may expand to
MAX_FILES = 500
MAX_RATIO = 100                  # unpacked bytes per archive byte (zip bombs reach 1000s)
MAX_DEPTH = 3
_CHUNK = 1 << 16
_IGNORED = {".DS_Store", "Thumbs.db", "__MACOSX"}


class UploadError(Exception):
    """This upload cannot be imported; the message is the one-line reason."""


class Budget:
    def __init__(self, max_bytes=MAX_BYTES, max_files=MAX_FILES):
        self.max_bytes, self.max_files = max_bytes, max_files
        self.bytes = 0
        self.files = 0
        self.notes = []

    def add_file(self):
        self.files += 1
        if self.files > self.max_files:
            raise UploadError(f"more than {self.max_files} files")

    def add_bytes(self, n):
        self.bytes += n
        if self.bytes > self.max_bytes:
            raise UploadError(f"unpacks to more than {self.max_bytes // 2**20} MB")


def _copy(src, dest, budget, limit=None, what=""):
    """Stream ``src`` into the new file ``dest``; ``limit`` bounds this file's size."""
    written = 0
    with open(dest, "xb") as out:
        while True:
            try:
                chunk = src.read(_CHUNK)
            except (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile) as e:
                raise UploadError(f"{what}: corrupt data ({type(e).__name__})") from None
            if not chunk:
                break
            written += len(chunk)
            if limit is not None and written > limit:
                raise UploadError(f"{what} expands more than {MAX_RATIO} times (a zip bomb?)")
            budget.add_bytes(len(chunk))
            out.write(chunk)
    return written


def _safe_parts(name):
    """Relative path parts of an archive member, or None if it must be skipped."""
    path = PurePosixPath(name.replace("\\", "/"))
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts or path.is_absolute() or ".." in parts or any(p in _IGNORED for p in parts):
        return None
    if any(len(p.encode()) > 200 or "\0" in p for p in parts):
        return None
    return parts


def _kind(name):
    low = name.lower()
    if low.endswith(".zip"):
        return "zip"
    if low.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")):
        return "tar"
    if low.endswith((".gz", ".bz2", ".xz")):
        return "compressed"
    return None


def _target(folder, parts, budget, label):
    dest = folder.joinpath(*parts)
    if dest.exists() or dest.is_symlink():
        budget.notes.append(f"{label}: {'/'.join(parts)} appears twice; kept the first")
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


def _strip_common_top(members):
    """Drop a single top folder shared by every member (a zipped folder)."""
    tops = {m[0][0] for m in members if len(m[0]) > 1} | {
        "" for m in members if len(m[0]) == 1}
    if len(tops) == 1 and "" not in tops:
        return [(parts[1:], *rest) for parts, *rest in members]
    return members


def _unpack_zip(path, folder, budget, depth, label):
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise UploadError(f"{label} is not a readable zip archive ({e})") from None
    with zf:
        members = []
        for info in zf.infolist():
            mode = info.external_attr >> 16
            if info.is_dir():
                continue
            if stat.S_ISLNK(mode):
                budget.notes.append(f"{label}: link {info.filename!r} skipped")
                continue
            if info.flag_bits & 0x1:
                raise UploadError(f"{label} is encrypted")
            parts = _safe_parts(info.filename)
            if parts is None:
                budget.notes.append(f"{label}: entry {info.filename!r} skipped (unsafe name)")
                continue
            members.append((parts, info))
        for parts, info in _strip_common_top(members):
            if not parts:
                continue
            budget.add_file()
            dest = _target(folder, parts, budget, label)
            if dest is None:
                continue
            limit = max(MAX_RATIO * max(info.compress_size, 1), 1 << 20)
            try:
                with zf.open(info) as src:
                    _copy(src, dest, budget, limit, f"{label}/{'/'.join(parts)}")
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as e:
                raise UploadError(f"{label}: cannot read {info.filename!r} ({e})") from None
            _maybe_nested(dest, folder, budget, depth, label)


def _unpack_tar(path, folder, budget, depth, label):
    size = path.stat().st_size
    try:
        tf = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as e:
        raise UploadError(f"{label} is not a readable tar archive ({type(e).__name__})") from None
    limit = max(MAX_RATIO * size, 1 << 20)
    total = 0
    with tf:
        members = []
        try:
            for m in tf:
                if m.isdir():
                    continue
                if not m.isreg():
                    budget.notes.append(f"{label}: {m.name!r} skipped (not a regular file)")
                    continue
                parts = _safe_parts(m.name)
                if parts is None:
                    budget.notes.append(f"{label}: entry {m.name!r} skipped (unsafe name)")
                    continue
                members.append((parts, m))
                budget.add_file()
        except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as e:
            raise UploadError(f"{label} is a damaged tar archive ({type(e).__name__})") from None
        for parts, m in _strip_common_top(members):
            if not parts:
                continue
            dest = _target(folder, parts, budget, label)
            if dest is None:
                continue
            src = tf.extractfile(m)
            total += _copy(src, dest, budget, limit - total, f"{label}/{'/'.join(parts)}")
            _maybe_nested(dest, folder, budget, depth, label)


def _unpack_compressed(path, folder, budget, depth, label):
    low = path.name.lower()
    opener = gzip.open if low.endswith(".gz") else bz2.open if low.endswith(".bz2") else lzma.open
    inner = path.name.rsplit(".", 1)[0]
    dest = _target(folder, [inner], budget, label)
    if dest is None:
        return
    limit = max(MAX_RATIO * path.stat().st_size, 1 << 20)
    try:
        with opener(path, "rb") as src:
            _copy(src, dest, budget, limit, label)
    except UploadError as e:
        if "corrupt" in str(e):
            raise UploadError(f"{label} is not a valid {low.rsplit('.', 1)[1]} file") from None
        raise
    except (OSError, EOFError) as e:
        raise UploadError(f"{label} is not a valid {low.rsplit('.', 1)[1]} file "
                          f"({type(e).__name__})") from None
    budget.add_file()
    _maybe_nested(dest, folder, budget, depth, label)


def _maybe_nested(path, folder, budget, depth, label):
    kind = _kind(path.name)
    if kind is None:
        return
    if depth + 1 >= MAX_DEPTH:
        budget.notes.append(f"{label}: {path.name} not unpacked (archives nested more than "
                            f"{MAX_DEPTH} deep)")
        return
    _unpack(kind, path, path.parent, budget, depth + 1, f"{label}/{path.name}")
    path.unlink()


def _unpack(kind, path, folder, budget, depth, label):
    {"zip": _unpack_zip, "tar": _unpack_tar, "compressed": _unpack_compressed}[kind](
        path, folder, budget, depth, label)


def store(src, name, folder, budget, spool_dir):
    """Copy the upload ``name`` (a readable binary stream ``src``) into ``folder``.

    Archives are spooled into ``spool_dir`` (bounded like any file), then unpacked
    into ``folder``. Raises UploadError; the caller then discards ``folder``.
    """
    parts = _safe_parts(name)
    if parts is None:
        raise UploadError(f"{name!r} is not a usable file name")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    budget.add_file()
    kind = _kind(parts[-1])
    if kind is None:
        dest = _target(folder, parts, budget, name)
        if dest is not None:
            _copy(src, dest, budget, None, name)
        return
    spool = Path(spool_dir) / parts[-1]
    try:
        _copy(src, spool, budget, None, name)
        _unpack(kind, spool, folder, budget, 0, parts[-1])
    finally:
        if spool.exists():
            spool.unlink()
