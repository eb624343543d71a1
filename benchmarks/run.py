"""The whole quarterly build against the plain way, in one run. Prints figures.

    .venv/bin/python benchmarks/run.py [--workers N]

On a fresh copy of the project with the sample data (tables already built once, so every
variant starts from the same inputs):

  plain     every page of the site executed one after another with papermill, in every
            edition: each page notebook, the district notebook once per district and the
            measure template once per measure, each with its parameters; then one
            `quarto render --no-execute` per edition of the same staged site folders
  english   `python -m helpers run --force` with the English edition only (params/translations
            set aside): ingest, measures, every notebook (papermill), the Quarto render, every
            site check and the atomic publish
  cold      the same with both editions, English and Spanish (the project as it is)
  no-op     `python -m helpers run` again (every input unchanged)
  one       the same after editing objective 2.2's text in the quarter's params file and its
            Spanish translation (recorded as reviewed)
  preview   from an edit of one notebook (objective 2.1) to its rendered page,
            `python -m helpers preview --only 2.1`

Without Quarto the render is left out of both sides (notebook figures only) and the preview is
not measured. Goals: the whole bilingual cold build at most 0.33 x plain; no-op at most 2% of
cold; `one` re-executes and re-renders only objective 2.2's page, in both editions; preview
under 10 s.
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


def fresh_project(root: Path) -> None:
    for name in ("params", "notebooks", "site"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy2(REPO / "_quarto.yml", root / "_quarto.yml")
    (root / "data" / "raw").mkdir(parents=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    from helpers.core.cache import helpers_code_hash
    from helpers.core.paths import ProjectPaths
    from helpers.params.pages import report_pages
    from helpers.params.quarters import latest_quarter, load_quarter
    from helpers.params.settings import load_settings
    from helpers.run.runner import ensure_ingested, ensure_measures
    from helpers.sample.generate import generate
    from helpers.site.incremental import MANIFEST, kept_folder
    from helpers.site.quarto import find_quarto

    quarto = find_quarto()
    with tempfile.TemporaryDirectory(prefix="durham-run-bench-") as tmp:
        root = Path(tmp) / "project"
        fresh_project(root)
        paths = ProjectPaths(root)
        generate(paths)
        settings = load_settings(paths)
        quarter = latest_quarter(paths)
        ensure_ingested(settings, helpers_code_hash())
        ensure_measures(settings, quarter, load_quarter(paths, settings.plan, quarter), helpers_code_hash())
        run = [sys.executable, "-m", "helpers", "--root", str(root), "run", "--workers", str(args.workers)]
        if quarto is None:
            run.append("--no-site")
        timed([*run, "--force"], root)  # warm-up: disk caches, Quarto's first start

        # The plain way: papermill on every page, district, measure and edition, one after
        # another, then one Quarto render per edition.
        out = Path(tmp) / "papermill"
        out.mkdir()
        plain_notebooks, pages = 0.0, 0
        for edition in settings.editions():
            for spec in report_pages(settings.in_edition(edition)):
                parameters = {"quarter": quarter.id, "lang": edition.code, **spec.parameters}
                flags = [part for name, value in parameters.items() for part in ("-p", name, value)]
                target = out / f"{edition.code}-{spec.output.replace('/', '-')}.ipynb"
                command = [
                    sys.executable,
                    "-m",
                    "papermill",
                    "--no-progress-bar",
                    str(spec.notebook),
                    str(target),
                ]
                plain_notebooks += timed([*command, *flags], paths.notebooks)
                pages += 1
        plain_render = 0.0
        if quarto is not None:
            for edition in settings.editions():
                staged = Path(tmp) / f"staged-{edition.code}"
                shutil.copytree(kept_folder(edition.staging(paths, quarter)), staged)
                for leftover in ("_site", ".quarto", MANIFEST):
                    shutil.rmtree(staged / leftover, ignore_errors=True)
                (staged / MANIFEST).unlink(missing_ok=True)
                plain_render += timed([quarto, "render", str(staged), "--no-execute"], staged)
        plain = plain_notebooks + plain_render

        translations = paths.params / "translations"
        aside = Path(tmp) / "translations-aside"
        translations.rename(aside)
        english = timed([*run, "--force"], root)
        english_timings = json.loads(paths.manifest(quarter).read_text())["timings_seconds"]
        aside.rename(translations)
        timed([*run, "--force"], root)  # warm-up of the Spanish edition's first render
        cold = timed([*run, "--force"], root)
        timings = json.loads(paths.manifest(quarter).read_text())["timings_seconds"]
        noop = timed(run, root)
        for path, text in (
            (paths.quarter_file(quarter), "Run the October events, then two winter events."),
            (
                translations / "es" / "quarters" / f"{quarter.id}.yml",
                "Organizar los eventos de octubre y después dos eventos de invierno.",
            ),
        ):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            data["initiatives"]["2.21"]["whats_next"] = text
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        helpers = [sys.executable, "-m", "helpers", "--root", str(root)]
        timed([*helpers, "translations", "--reviewed"], root)  # the translator's review, recorded
        one = timed(run, root)
        manifest = json.loads(paths.manifest(quarter).read_text())
        rerun = sorted(e["page"] for e in manifest["notebooks"]["executed"])
        rendered = (manifest.get("site") or {}).get("checks", {}).get("rendered", {})
        preview = None
        if quarto is not None:
            command = [sys.executable, "-m", "helpers", "--root", str(root), "preview", "--only", "2.1"]
            timed(command, root)  # a first preview, so the edit below is the only change
            notebook = paths.notebooks / "objective-2-1.ipynb"
            notebook.write_text(notebook.read_text().replace("# Objective 2.1", "# Objective 2.1 (edited)"))
            preview = timed(command, root)

    site = "with the Quarto render" if quarto else "notebooks only: Quarto is not installed"
    print(f"whole build, {site}; workers: {args.workers}")
    print(f"plain way: papermill on {pages} pages, one after another  {plain_notebooks:6.1f} s")
    print(f"           + one quarto render per edition     {plain_render:6.1f} s   = {plain:.1f} s")
    print(f"English only (helpers run --force):      {english:6.1f} s   {english / plain:5.2f} x plain")
    print("  stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in english_timings.items()))
    print(f"English and Spanish (cold):  {cold:6.1f} s   {cold / plain:5.2f} x plain  (goal <= 0.33)")
    print("  stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    print(
        f"no-op run:                               {noop:6.2f} s   {noop / cold:6.1%} of cold  (goal <= 2%)"
    )
    again = ", ".join(rerun)
    print(
        f"after editing objective 2.2's text:      {one:6.1f} s   re-executed: {again}  (goal: 2.2, es/2.2)"
    )
    pages = "; ".join(f"{code}: {', '.join(p) if isinstance(p, list) else p}" for code, p in rendered.items())
    print(f"  re-rendered by Quarto: {pages or 'nothing'}  (goal: objective-2-2 in each edition)")
    if preview is None:
        print("preview after editing the 2.1 notebook:  not measured (Quarto is not installed)")
    else:
        print(f"preview after editing the 2.1 notebook:  {preview:6.1f} s   (goal < 10 s)")


if __name__ == "__main__":
    main()
