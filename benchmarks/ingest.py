"""Ingest plus every measure, at sample scale 1 and 10, against the floor of pyarrow reading the
same files. Prints figures; it is not a timed test.

    .venv/bin/python benchmarks/ingest.py            # scales 1 and 10 (scale 10 needs ~10 GB free
                                                      # RAM to generate and ~1.3 GB of disk)
    .venv/bin/python benchmarks/ingest.py --scales 1

The floor and the pipeline are run in turn (``--repeat`` times, 3 unless told) and the medians
reported: this machine's speed drifts by a third from hour to hour, and a ratio of two runs taken
at different moments drifts with it. Each floor is read twice and the second counted (see below).
Peak memory is the highest of the runs.

Generation and each measurement run in fresh processes, and peak memory is the worker's own
high-water mark (VmHWM): on Linux ru_maxrss survives exec, so a worker forked from a parent that
had just generated scale-10 data would report the parent's memory.
Goals at scale 10 (about 16 million CAD rows): ingest plus measures within 5x the pyarrow read
floor, peak memory under 2 GB and at most twice scale 1's (memory that does not grow with data).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def worker_floor(root: Path) -> dict:
    """Read every raw CSV and parquet file with pyarrow alone (all text, as ingest reads CSV)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    started = time.perf_counter()
    rows = 0
    for path in sorted((root / "data" / "raw").rglob("*")):
        if path.suffix == ".csv":
            with path.open(newline="") as handle:
                names = next(csv.reader(handle))
            table = pacsv.read_csv(
                path, convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names})
            )
            rows += table.num_rows
        elif path.suffix == ".parquet":
            rows += pq.read_table(path).num_rows
    return {"seconds": time.perf_counter() - started, "rows": rows}


def worker_pipeline(root: Path) -> dict:
    """Ingest from nothing, then every measure of the latest quarter, in this process."""
    from helpers.core.cache import helpers_code_hash
    from helpers.core.paths import ProjectPaths
    from helpers.measures.build import build_quarter
    from helpers.params.quarters import latest_quarter, load_quarter
    from helpers.params.settings import load_settings
    from helpers.run.runner import ensure_ingested

    paths = ProjectPaths(root)
    shutil.rmtree(paths.processed, ignore_errors=True)
    paths.processed.mkdir(parents=True)
    settings = load_settings(paths)
    started = time.perf_counter()
    _, record = ensure_ingested(settings, helpers_code_hash(), force=True)
    ingested = time.perf_counter()
    quarter = latest_quarter(paths)
    build_quarter(settings, quarter, load_quarter(paths, settings.plan, quarter))
    done = time.perf_counter()
    return {
        "ingest_seconds": ingested - started,
        "measures_seconds": done - ingested,
        "rows": sum(s.rows for s in record.sources.values()),
        "cad_rows": record.sources["cad_events"].rows,
    }


def peak_mb() -> float:
    """Peak resident memory of this process since it was exec'd, in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_generate(root: Path, scale: int) -> dict:
    from helpers.core.paths import ProjectPaths
    from helpers.sample.generate import generate

    started = time.perf_counter()
    generate(ProjectPaths(root), scale=scale)
    return {"seconds": time.perf_counter() - started}


def run_worker(kind: str, root: Path, *extra: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(root), *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def prepare(scale: int, base: Path) -> Path:
    root = base / f"scale-{scale}"
    shutil.copytree(REPO / "params", root / "params")
    shutil.copy2(REPO / "_quarto.yml", root / "_quarto.yml")
    (root / "data" / "raw").mkdir(parents=True)
    generated = run_worker("generate", root, str(scale))
    print(
        f"  scale {scale}: sample data generated in {generated['seconds']:.0f} s (not counted)",
        flush=True,
    )
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the floor and the pipeline, taken in turn; the medians are reported",
    )
    parser.add_argument("--worker", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, root, *extra = args.worker
        if kind == "generate":
            result = worker_generate(Path(root), int(extra[0]))
        else:
            result = {"floor": worker_floor, "pipeline": worker_pipeline}[kind](Path(root))
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="durham-bench-") as tmp:
        for scale in args.scales:
            root = prepare(scale, Path(tmp))
            floors, pipelines = [], []
            for _ in range(max(1, args.repeat)):  # in turn: a slow spell of the machine hits both
                # Right after a pipeline the kernel is still taking back its memory, which made the
                # floor's system time 0.6 -> 2.9 s: a first read settles that and is not counted.
                run_worker("floor", root)
                floors.append(run_worker("floor", root))
                pipelines.append(run_worker("pipeline", root))
            floor = {"seconds": statistics.median(f["seconds"] for f in floors)}
            pipeline = {
                **pipelines[0],
                "ingest_seconds": statistics.median(p["ingest_seconds"] for p in pipelines),
                "measures_seconds": statistics.median(p["measures_seconds"] for p in pipelines),
                "peak_mb": max(p["peak_mb"] for p in pipelines),
            }
            totals = [p["ingest_seconds"] + p["measures_seconds"] for p in pipelines]
            read = ", ".join(f"{f['seconds']:.1f}" for f in floors)
            done = ", ".join(f"{t:.1f}" for t in totals)
            print(f"  scale {scale}: floor {read} s; ingest + measures {done} s (medians below)", flush=True)
            total = statistics.median(totals)  # the median run's total, not the sum of two medians
            rows.append(
                (
                    scale,
                    pipeline["cad_rows"],
                    pipeline["rows"],
                    floor["seconds"],
                    pipeline["ingest_seconds"],
                    pipeline["measures_seconds"],
                    total,
                    pipeline["rows"] / total,
                    pipeline["peak_mb"],
                    total / floor["seconds"],
                )
            )
            shutil.rmtree(root)
    print()
    print(
        "scale  CAD rows    all rows    pyarrow read  ingest   measures  total    rows/s      "
        "peak MB  x floor"
    )
    for scale, cad, total_rows, floor, ingest, measures, total, rate, peak, ratio in rows:
        print(
            f"{scale:>5}  {cad:>10,}  {total_rows:>10,}  {floor:>10.1f} s  {ingest:>5.1f} s  "
            f"{measures:>6.1f} s  {total:>5.1f} s  {rate:>10,.0f}  {peak:>7,.0f}  {ratio:>6.1f}"
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(
            f"\nscale {last[0]}: {last[9]:.1f}x the read floor (goal 5x), peak {last[8]:,.0f} MB "
            f"(goal under 2,048), {last[8] / first[8]:.1f}x scale {first[0]}'s peak (goal 2x)"
        )


if __name__ == "__main__":
    main()
