"""Jobs for the tests: each leaves a trace in a file, so that a worker process (which shares no
memory with the test) shows what it ran, when, and in which process."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from contactcenter.core.jobs import job


def _append(path: str, line: str) -> None:
    # O_APPEND: lines written by several processes at once never interleave.
    with open(path, "a", encoding="utf-8") as trace:
        trace.write(line + "\n")


@job(retries=0)
def record(path: str, key: str, pause: float = 0.0) -> str:
    """Write ``key``, the time and this process's id to ``path``."""
    if pause:
        time.sleep(pause)
    _append(path, f"{key} {time.time():.3f} {os.getpid()}")
    return key


@job(retries=0)
def slow_the_first_time(path: str) -> str:
    """The first run marks that it started and takes a minute (long enough to be killed in the
    middle); a later run finds the mark and finishes at once."""
    started = Path(f"{path}.started")
    if not started.exists():
        started.write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(60)
    _append(path, f"done {os.getpid()}")
    return "done"


@job(retries=2, backoff=timedelta(seconds=1))
def fails_twice(path: str) -> str:
    """Fails on its first two attempts, succeeds on the third."""
    trace = Path(path)
    attempts = len(trace.read_text(encoding="utf-8").splitlines()) if trace.exists() else 0
    _append(path, f"attempt {attempts + 1} {time.time():.3f}")
    if attempts < 2:
        raise RuntimeError(f"attempt {attempts + 1} fails")
    return "third time lucky"


@job(retries=1, backoff=timedelta(seconds=1))
def always_fails(path: str) -> str:
    _append(path, f"attempt {time.time():.3f}")
    raise RuntimeError("never works")
