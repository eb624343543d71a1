"""Record the outputs of the `# NBVAL_CHECK_OUTPUT` cells on the sample data.

Committed notebooks carry no outputs, so the reference outputs nbval compares against live here,
in expected_outputs.json, and tests/test_notebooks.py puts them into temporary copies. Run this
after a deliberate change to the sample data or to a headline sentence:

    .venv/bin/python tests/notebooks/update_expected.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill as pm

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import QUARTERS, REPO, copy_project_skeleton

EXPECTED = Path(__file__).with_name("expected_outputs.json")


def main() -> None:
    from helpers.core.cache import helpers_code_hash
    from helpers.core.periods import FiscalQuarter
    from helpers.params.quarters import load_quarter
    from helpers.params.settings import load_settings
    from helpers.run.runner import ensure_ingested, ensure_measures
    from helpers.sample.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        paths = copy_project_skeleton(Path(tmp))
        generate(paths)
        settings = load_settings(paths)
        ensure_ingested(settings, helpers_code_hash())
        for quarter in map(FiscalQuarter.parse, QUARTERS):
            ensure_measures(
                settings, quarter, load_quarter(paths, settings.plan, quarter), helpers_code_hash()
            )
        expected: dict[str, dict[str, list]] = {}
        for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
            executed = Path(tmp) / f"{notebook.stem}.out.ipynb"
            pm.execute_notebook(
                str(paths.notebooks / notebook.name),
                str(executed),
                cwd=str(paths.notebooks),
                progress_bar=False,
                kernel_name="python3",
            )
            cells = nbformat.read(executed, as_version=4).cells
            checked = {
                c.id: c.outputs
                for c in cells
                if c.cell_type == "code" and c.source.startswith("# NBVAL_CHECK_OUTPUT")
            }
            if checked:
                expected[notebook.name] = checked
    EXPECTED.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {EXPECTED}")


if __name__ == "__main__":
    main()
