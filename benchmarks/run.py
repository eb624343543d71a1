"""The quarterly run's notebook stage against a plain baseline, in one run. Prints figures.

    .venv/bin/python benchmarks/run.py [--workers N]

On the sample data (tables already built, so every variant executes the same notebooks):
  baseline  each notebook executed one after another with `jupyter nbconvert --execute`
  cold      `python -m helpers run --no-site` with no executed notebooks yet (parallel papermill)
  no-op     the same command again (every input unchanged)
  one       the same command after editing one objective's text in the quarter's params file
  preview   with Quarto: from an edit of one notebook (objective 2.1) to its rendered preview,
            `python -m helpers preview --only 2.1`
Goals: cold at most 0.6 x baseline; no-op at most 5% of cold; `one` re-executes only that
objective's notebook; preview under 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    from helpers.paths import ProjectPaths
    from helpers.periods import FiscalQuarter
    from helpers.quarters import latest_quarter, load_quarter
    from helpers.runner import ensure_ingested, ensure_measures, helpers_code_hash
    from helpers.sample import generate
    from helpers.settings import load_settings
    from helpers.site import find_quarto

    with tempfile.TemporaryDirectory(prefix="durham-run-bench-") as tmp:
        root = Path(tmp) / "project"
        for name in ("params", "notebooks", "site"):
            shutil.copytree(REPO / name, root / name)
        shutil.copy2(REPO / "_quarto.yml", root / "_quarto.yml")
        paths = ProjectPaths(root)
        (root / "data" / "raw").mkdir(parents=True)
        generate(paths)
        settings = load_settings(paths)
        quarter = FiscalQuarter.parse(latest_quarter(paths))
        ensure_ingested(settings, helpers_code_hash())
        ensure_measures(
            settings, quarter, load_quarter(paths, settings.plan, quarter.id), helpers_code_hash()
        )
        notebooks = sorted(paths.notebooks.glob("*.ipynb"))
        out = Path(tmp) / "nbconvert"
        out.mkdir()
        jupyter = str(Path(sys.executable).parent / "jupyter")
        baseline = sum(
            timed(
                [jupyter, "nbconvert", "--to", "notebook", "--execute", "--output-dir", str(out), str(nb)],
                paths.notebooks,
            )
            for nb in notebooks
        )
        run = [
            sys.executable,
            "-m",
            "helpers",
            "--root",
            str(root),
            "run",
            "--no-site",
            "--workers",
            str(args.workers),
        ]
        cold = timed(run, root)
        noop = timed(run, root)
        path = paths.quarters / f"{quarter.id}.yml"
        data = yaml.safe_load(path.read_text())
        data["initiatives"]["2.21"]["whats_next"] = "Run the October events, then two winter events."
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        one = timed(run, root)
        manifest = json.loads((paths.build_quarter(quarter.id) / "manifest.json").read_text())
        rerun = sorted(e["page"] for e in manifest["notebooks"]["executed"])
        preview = None
        if find_quarto() is not None:
            command = [sys.executable, "-m", "helpers", "--root", str(root), "preview", "--only", "2.1"]
            timed(command, root)  # a first preview, so the edit below is the only change
            notebook = paths.notebooks / "objective-2-1.ipynb"
            notebook.write_text(notebook.read_text().replace("# Objective 2.1", "# Objective 2.1 (edited)"))
            preview = timed(command, root)

    print(f"notebooks: {len(notebooks)}  workers: {args.workers}")
    print(f"baseline (nbconvert, one after another): {baseline:6.1f} s")
    print(
        f"cold run (papermill, parallel):          {cold:6.1f} s   {cold / baseline:5.2f} x baseline"
        "  (goal <= 0.60)"
    )
    print(
        f"no-op run:                               {noop:6.2f} s   {noop / cold:6.1%} of cold  (goal <= 5%)"
    )
    print(
        f"after editing objective 2.2's text:      {one:6.1f} s   re-executed: {', '.join(rerun)}"
        "  (goal: 2.2 only)"
    )
    if preview is None:
        print("preview after editing the 2.1 notebook:  not measured (Quarto is not installed)")
    else:
        print(f"preview after editing the 2.1 notebook:  {preview:6.1f} s   (goal < 10 s)")


if __name__ == "__main__":
    main()
