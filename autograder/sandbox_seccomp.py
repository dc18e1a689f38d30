"""The seccomp filter of the grading sandbox, compiled to BPF with libseccomp.

A numpy kernel reads and writes files, maps memory, starts threads and a few
processes, and talks to the grader over Unix sockets. It never needs to debug other
processes, mount file systems, create namespaces, load kernel modules, use the kernel
keyring, BPF or perf, or change the clock. Those system calls fail with ``EPERM``;
``clone3`` fails with ``ENOSYS`` because its flags sit in memory where a filter
cannot read them, which makes the C library fall back to ``clone``, whose
namespace flags the filter does see. Everything else is allowed: a deny list keeps
numpy, matplotlib and ipykernel working across kernel and library versions, and the
other layers (an unprivileged uid, no capabilities, namespaces, read-only mounts)
stay in force behind it.

System calls of other architectures (32-bit ``int 0x80`` on x86-64) kill the
process: libseccomp's default for a foreign architecture.
"""

from __future__ import annotations

import errno
import os
import tempfile

__all__ = ["DENIED", "seccomp_available", "compile_filter"]

DENIED = (
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    # mounts and namespaces
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "name_to_handle_at", "open_by_handle_at",
    # the kernel itself
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog",
    "iopl", "ioperm", "vhangup", "uselib", "lookup_dcookie", "nfsservctl", "_sysctl",
    # keyring, BPF, perf, userfaultfd, io_uring, fanotify: large attack surfaces
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "fanotify_init",
    # the clock
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
)

# clone(2) flags that create namespaces (CLONE_NEWNS .. CLONE_NEWNET).
_CLONE_NEW = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
              0x40000000)


def _binding():
    """libseccomp's Python binding: Debian's ``seccomp`` or ``pyseccomp`` (same API)."""
    try:
        import seccomp
        return seccomp
    except ImportError:
        pass
    try:
        import pyseccomp
    except (ImportError, RuntimeError) as e:     # RuntimeError: libseccomp.so missing
        raise RuntimeError(f"libseccomp's Python binding is unavailable ({e}); install "
                           "the Python package pyseccomp (requirements.txt) and the "
                           "Debian package libseccomp2") from e
    return pyseccomp


def seccomp_available():
    """``(True, "")`` if a filter can be compiled here, else ``(False, reason)``."""
    try:
        compile_filter()
    except (RuntimeError, OSError, ValueError) as e:
        return False, str(e)
    return True, ""


_CACHE = {}


def compile_filter():
    """The BPF program (bytes) that bubblewrap loads with ``--seccomp FD``."""
    if "bpf" in _CACHE:
        return _CACHE["bpf"]
    sc = _binding()
    native = sc.Arch.NATIVE
    f = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        number = sc.resolve_syscall(native, name)
        if isinstance(number, int) and number >= 0:      # not every call exists everywhere
            f.add_rule(sc.ERRNO(errno.EPERM), number)
    clone3 = sc.resolve_syscall(native, "clone3")
    if isinstance(clone3, int) and clone3 >= 0:
        f.add_rule(sc.ERRNO(errno.ENOSYS), clone3)
    for flag in _CLONE_NEW:
        f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.flush()
        os.lseek(out.fileno(), 0, os.SEEK_SET)
        bpf = out.read()
    if not bpf:
        raise RuntimeError("libseccomp exported an empty seccomp filter")
    _CACHE["bpf"] = bpf
    return bpf
