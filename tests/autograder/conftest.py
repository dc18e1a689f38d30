"""Shared fixtures: a PostgreSQL server on loopback, sample courses, the CLI."""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DUE = "2026-11-01 23:59 UTC"


def cli(*args, check=True, timeout=600, env=None):
    """Run ``python -m autograder ARGS``; return the CompletedProcess."""
    proc = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"autograder {' '.join(map(str, args))} failed "
                             f"({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


_SAMPLES = []


def samples_dir():
    """The demo submissions of ``make samples`` (ex02_tdnn, ex05_elman), written once per
    test session from a fresh release into a temporary folder."""
    if not _SAMPLES:
        from autograder.demo import write_samples
        out = Path(tempfile.mkdtemp(prefix="rnngrade-samples-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        _SAMPLES.append(write_samples(out, log=lambda *_: None))
    return _SAMPLES[0]


def make_course(root, db=None, assignments=("ex02_tdnn",), samples=True):
    """Release ``assignments`` into ``root`` and collect the demo submissions."""
    db_args = ["--db", db] if db else []
    cli("release", "--course", root, *db_args, "--due", DUE, *assignments)
    if samples:
        for a in assignments:
            cli("collect", "--course", root, *db_args, a, samples_dir() / a)
    return root


# -- PostgreSQL -----------------------------------------------------------------------------

def _pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed; run `make sysdeps` "
                           "(Debian package postgresql)")
    return found[-1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1; yields a function that creates
    databases and returns their URL."""
    # Not under pytest's tmp folders: they are 0700 and the postgres user must get in.
    base = Path(tempfile.mkdtemp(prefix="rnngrade-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    run_as = []
    if os.getuid() == 0:                      # postgres refuses to run as root
        user = pwd.getpwnam("postgres")
        for p in (base, sock):
            os.chown(p, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(run_as + [_pg_bin("initdb"), "-D", str(data), "-U", "postgres",
                             "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    log = base / "server.log"
    subprocess.run(run_as + [_pg_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                             f"-p {port} -h 127.0.0.1 -k {sock} -c max_connections=200",
                             "start"], check=True, capture_output=True)
    created = []

    def database(name):
        import psycopg
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"postgresql://postgres@127.0.0.1:{port}/{name}"

    try:
        yield database
    finally:
        subprocess.run(run_as + [_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def wait_for(predicate, timeout=120, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
