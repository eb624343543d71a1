"""One skip-if-unchanged mechanism for every stage (OWID's ``is_dirty`` discipline).

A stage states its inputs as a key: checksums of the files it reads, its settings, the code.
When the key recorded after the last build equals the key now, and the outputs are there, the
stage is skipped; otherwise it builds, then records the key (atomically: a run killed between
the two leaves the stage dirty, never wrongly clean).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from .records import write_json


def digest(payload: Any) -> str:
    """SHA-256 of a JSON-able payload: a short key for a slice of the settings."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


_code_hashes: dict[tuple[tuple[str, int, int], ...], str] = {}


def helpers_code_hash() -> str:
    """SHA-256 over the helpers package source: a code change invalidates every cache. A run
    asks for it once per page; the files are read again only when one of them has changed."""
    package = Path(__file__).parents[1]  # the whole helpers package
    files = sorted(package.rglob("*.py"))
    stamp = tuple((p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    if stamp not in _code_hashes:
        sha = hashlib.sha256()
        for path in files:
            sha.update(path.relative_to(package).as_posix().encode())
            sha.update(path.read_bytes())
        _code_hashes.clear()
        _code_hashes[stamp] = sha.hexdigest()
    return _code_hashes[stamp]


def code_version(root: Path) -> str:
    """``<package version>+<git commit>[-dirty]``, or the code hash outside a git checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
        return f"{__version__}+{commit}{'-dirty' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return f"{__version__}+code.{helpers_code_hash()[:12]}"


@dataclass(frozen=True)
class StepCache:
    """Where a stage keeps the key of its last build: a file, or one field of its record."""

    path: Path
    field: str | None = None

    def stored(self) -> Any:
        if not self.path.exists():
            return None
        data = json.loads(self.path.read_text())
        return data.get(self.field) if self.field else data

    def is_current(self, key: Any, *outputs: Path) -> bool:
        """Built from exactly ``key``, and every output still there."""
        return all(p.exists() for p in outputs) and self.stored() == json.loads(json.dumps(key, default=str))

    def store(self, key: Any) -> None:
        if self.field:
            raise ValueError(f"{self.path} holds the key in its '{self.field}' field: the stage writes it")
        write_json(self.path, key)
