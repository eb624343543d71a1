"""What the process limits cost the measures stage: every measure of the sample quarter computed
and gated with and without them, in the same process. Prints figures; it is not a timed test.

    .venv/bin/python benchmarks/limits.py [--root PROJECT] [--repeat 5]

PROJECT is a project whose data/raw holds exports (the sample data when it is this repository
after `make report`); the canonical tables are ingested first if needed. Budget: the limits add
under 1 s to the measures stage on the sample data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def main() -> None:
    from helpers.core.cache import helpers_code_hash
    from helpers.core.paths import ProjectPaths
    from helpers.measures import build
    from helpers.params.quarters import latest_quarter, load_quarter
    from helpers.params.settings import load_settings
    from helpers.run.runner import ensure_ingested

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings(ProjectPaths(args.root))
    ensure_ingested(settings, helpers_code_hash())
    quarter = latest_quarter(settings.paths)
    params = load_quarter(settings.paths, settings.plan, quarter)
    previous = build.previous_publication(settings, quarter)

    def once() -> float:
        started = time.perf_counter()
        build.compute_quarter(settings, quarter, params, previous)
        return time.perf_counter() - started

    once()  # warm: imports and the canonical tables' first read
    with_limits = [once() for _ in range(args.repeat)]
    with mock.patch.object(build, "add_process", lambda frame, plan: frame):
        without = [once() for _ in range(args.repeat)]
    a, b = statistics.median(with_limits), statistics.median(without)
    print(f"measures stage, {quarter.id}, median of {args.repeat}:")
    print(f"  without process limits  {b:6.2f} s")
    print(f"  with process limits     {a:6.2f} s  (+{a - b:.2f} s, {a / b:.2f}x; budget +1 s)")


if __name__ == "__main__":
    main()
