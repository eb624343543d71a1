"""Where the project keeps its files.

Every stage takes a ``ProjectPaths`` instead of building paths itself, so tests can point a whole
pipeline at a temporary folder and nothing reads or writes outside the folders named here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

    def quarter_dir(self, quarter: str) -> Path:
        """Privacy-gated measure tables and download CSVs of one reporting quarter."""
        return self.processed / quarter

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def build(self) -> Path:
        return self.root / "build"

    def build_quarter(self, quarter: str) -> Path:
        return self.build / quarter

    @property
    def diagnostics(self) -> Path:
        """Failed notebooks and logs: private, never copied into the site."""
        return self.build / "diagnostics"

    @property
    def site(self) -> Path:
        """The published site; the latest quarter at its root, earlier ones under archive/."""
        return self.root / "_site"

    @property
    def previous_site(self) -> Path:
        return self.root / "_site.previous"

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
