"""One lock for every command that writes: a scheduled run, an analyst's preview and a manual
``helpers site`` must never interleave.

The lock is ``build/.run.lock``, held with ``flock`` (released by the system when a process
dies, so a killed run never leaves a stale lock). It is re-entrant within one process: the
quarterly run holds it while it publishes earlier quarters first (``--backfill``). Whoever
takes it first also clears what a killed run left half-written (scratch folders and files),
which no other run can be using then.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from .paths import ProjectPaths

log = logging.getLogger("helpers.lock")

_held: dict[Path, int] = {}
_guard = threading.Lock()


class RunLocked(RuntimeError):
    """Another process holds the project's lock."""


def leftovers(paths: ProjectPaths) -> list[Path]:
    """Scratch folders and files that only a run killed mid-write leaves behind."""
    found: list[Path] = []
    if paths.processed.exists():
        found += [p for p in paths.processed.glob(".*") if p.name.startswith((".canonical-", ".FY"))]
        found += list(paths.processed.rglob(".*.tmp"))
    if paths.build.exists():
        found += list(paths.build.rglob(".*.tmp"))
        found += list(paths.build.rglob("*.running.ipynb"))
    return sorted(found)


def clear_leftovers(paths: ProjectPaths) -> None:
    for path in leftovers(paths):
        log.info("removing %s, left half-written by a run that was stopped", path)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def project_lock(paths: ProjectPaths) -> Iterator[None]:
    """Hold the project's lock (raise ``RunLocked`` at once when another process has it)."""
    path = (paths.build / ".run.lock").resolve()
    with _guard:
        if _held.get(path):
            _held[path] += 1
            handle = None
        else:
            paths.build.mkdir(parents=True, exist_ok=True)
            handle = path.open("w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise RunLocked(
                    "Another report run is in progress (build/.run.lock is held). "
                    "Wait for it to finish, then run again."
                ) from None
            _held[path] = 1
    try:
        if handle is not None:
            clear_leftovers(paths)
        yield
    finally:
        with _guard:
            _held[path] -= 1
            if not _held[path]:
                del _held[path]
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
