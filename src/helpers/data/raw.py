"""The raw files every source reads, as ``params/sources.yml`` declares them: which files, their
checksums (the cache key of ingest), whether they are the bundled sample data, the key that
pseudonymises the people in them, and the folder swap every stage publishes its output with.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..core.cache import file_sha256
from ..core.config import fail
from ..core.paths import ProjectPaths
from ..core.records import IngestRecord, read_record
from ..params.sources import AreaSource, SourcesConfig, SourceSpec

SAMPLE_MARKER = "SAMPLE_DATA.json"


def raw_files(paths: ProjectPaths, spec: SourceSpec | AreaSource) -> list[Path]:
    return sorted(p for p in paths.raw.glob(spec.files) if p.is_file())


class PseudonymKeyMissing(RuntimeError):
    pass


def pseudonym_key(config: SourcesConfig, paths: ProjectPaths) -> tuple[bytes, bool]:
    """The HMAC key from the environment; the documented demo key only for sample data."""
    value = os.environ.get(config.pseudonymisation.key_env)
    if value:
        return value.encode("utf-8"), False
    if is_sample_data(paths):
        return config.pseudonymisation.demo_key.encode("utf-8"), True
    raise PseudonymKeyMissing(
        f"Person identifiers must be pseudonymised with a secret key, but the environment "
        f"variable {config.pseudonymisation.key_env} is not set. Set it to a long random value "
        "kept outside the repository (e.g. a CI secret) and keep using the same value every "
        "quarter, so that people can be followed across quarters without ever being named."
    )


def is_sample_data(paths: ProjectPaths) -> bool:
    return (paths.raw / SAMPLE_MARKER).exists()


def raw_fingerprint(paths: ProjectPaths, config: SourcesConfig) -> dict[str, str]:
    """SHA-256 of every raw file every source reads, plus the sample marker (files hashed in
    parallel threads: hashlib releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    specs = [*config.sources.values(), *config.areas.values()]
    files = [path for spec in specs for path in raw_files(paths, spec)]
    marker = paths.raw / SAMPLE_MARKER
    if marker.exists():
        files.append(marker)
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        digests = list(pool.map(file_sha256, files))
    return dict(sorted((path.relative_to(paths.raw).as_posix(), d) for path, d in zip(files, digests)))


def swap_directory(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames, so readers never see a half-written folder."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)


def read_ingest_record(paths: ProjectPaths) -> IngestRecord | None:
    return read_record(paths.ingest_record, IngestRecord)


def check_files_present(config: SourcesConfig, paths: ProjectPaths, sources_file: str) -> None:
    """A cheap pre-check used by ``helpers check``: every source matches at least one file."""
    for name, spec in config.sources.items():
        if not raw_files(paths, spec):
            raise fail(
                sources_file,
                f"sources.{name}.files",
                f"no file under data/raw matches '{spec.files}'",
                "copy the department's export there, or run `make sample-data`",
            )
