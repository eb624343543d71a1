"""Where the project keeps its files.

Every stage takes a ``ProjectPaths`` instead of building paths itself, so tests can point a whole
pipeline at a temporary folder and nothing reads or writes outside the folders named here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .periods import FiscalQuarter

ROOT_MARKERS = ("_quarto.yml", "params/plan.yml")


@dataclass(frozen=True)
class ProjectPaths:
    """The folders of one report project (a clone of this repository, or a test fixture).

    ``params_dir`` and ``processed_dir`` override the usual locations; notebooks pass them as
    papermill parameters so an analyst can point a notebook at another copy of the data.
    """

    root: Path
    params_dir: Path | None = None
    processed_dir: Path | None = None

    @property
    def params(self) -> Path:
        return self.params_dir or self.root / "params"

    @property
    def quarters(self) -> Path:
        return self.params / "quarters"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.processed_dir or self.root / "data" / "processed"

    @property
    def canonical(self) -> Path:
        """Validated, pseudonymised source tables: internal, never published."""
        return self.processed / "canonical"

    @property
    def ingest_record(self) -> Path:
        """What ingest validated and wrote (``records.IngestRecord``), with its cache key."""
        return self.canonical / "_ingest.json"

    def quarter_file(self, quarter: FiscalQuarter) -> Path:
        """The analysts' parameters of one quarter: statuses and updates."""
        return self.quarters / f"{quarter.id}.yml"

    def quarter_dir(self, quarter: FiscalQuarter) -> Path:
        """Privacy-gated measure tables and download CSVs of one reporting quarter."""
        return self.processed / quarter.id

    def publication(self, quarter: FiscalQuarter) -> Path:
        """What a quarter's tables publish (``records.Publication``)."""
        return self.quarter_dir(quarter) / "publication.json"

    def measures_cache(self, quarter: FiscalQuarter) -> Path:
        return self.quarter_dir(quarter) / "_cache_key.json"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def build(self) -> Path:
        return self.root / "build"

    def build_quarter(self, quarter: FiscalQuarter) -> Path:
        return self.build / quarter.id

    def manifest(self, quarter: FiscalQuarter) -> Path:
        """The record of the latest run for a quarter (``records.RunManifest``)."""
        return self.build_quarter(quarter) / "manifest.json"

    def executed_notebooks(self, quarter: FiscalQuarter) -> Path:
        """The executed notebooks of every edition (``Edition.executed_notebooks`` for one)."""
        return self.build_quarter(quarter) / "notebooks"

    @property
    def site_record(self) -> Path:
        """What the published site was built from; kept beside the build, never published."""
        return self.build / "published-site.json"

    @property
    def archive_ledger(self) -> Path:
        """The checksum of each archived quarter's manifest, kept outside the site."""
        return self.build / "archive-ledger.json"

    @property
    def diagnostics(self) -> Path:
        """Failed notebooks and logs: private, never copied into the site."""
        return self.build / "diagnostics"

    @property
    def site(self) -> Path:
        """The published site; the latest quarter at its root, earlier ones under archive/."""
        return self.root / "_site"

    def archived_with(self, name: str) -> list[FiscalQuarter]:
        """The published quarters whose frozen copy holds ``name`` (a path from the site's root,
        such as ``es/measures/calls_911.html``), oldest first."""
        from .periods import quarters_named

        folder = self.site / "archive"
        if not folder.exists():
            return []
        return quarters_named(child.name for child in folder.iterdir() if (child / name).exists())

    @property
    def previous_site(self) -> Path:
        """The site before the latest publish: the fallback, kept until the next one is live."""
        return self.root / "_site.previous"

    @property
    def outgoing_site(self) -> Path:
        """The live site during the moment a new one replaces it."""
        return self.root / "_site.outgoing"

    @property
    def site_assets(self) -> Path:
        """Hand-written site files (styles, accessibility fixes, static pages) copied into each render."""
        return self.root / "site"

    @property
    def quarto_config(self) -> Path:
        return self.root / "_quarto.yml"

    @classmethod
    def discover(cls, start: Path | None = None) -> ProjectPaths:
        """Find the project root from ``DURHAM_REPORT_ROOT`` or by walking up from ``start``.

        Notebooks run with their own folder as working directory, so walking up is what lets the
        same helper calls work from JupyterLab, papermill and the command line.
        """
        env = os.environ.get("DURHAM_REPORT_ROOT")
        if env:
            return cls(Path(env).resolve())
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if all((candidate / marker).exists() for marker in ROOT_MARKERS):
                return cls(candidate)
        raise FileNotFoundError(
            f"No report project found at or above {here}: expected {' and '.join(ROOT_MARKERS)}. "
            "Run the command from inside the repository, or set DURHAM_REPORT_ROOT."
        )
