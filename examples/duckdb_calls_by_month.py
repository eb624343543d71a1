"""The processed stage on another engine: 911 calls per month, per city, with DuckDB.

The report's canonical tables are plain Parquet (``data/processed/canonical/<source>.parquet``,
one row per record, person keys already pseudonymised). A region that pools many cities' exports
can lay each city's tables out side by side and let an engine that streams Parquet do the
counting, without loading the rows into memory:

    region/city=durham/cad_events.parquet
    region/city=raleigh/cad_events.parquet
    ...

Run it on this project's own tables (after ``make report``) or on such a folder:

    .venv/bin/python examples/duckdb_calls_by_month.py                  # this project
    .venv/bin/python examples/duckdb_calls_by_month.py 'region/city=*/cad_events.parquet'

It prints the count of calls received per city and month: the same figure as the report's
``calls_911`` measure before its privacy gate and process limits, which stay the report's own
stage (``helpers.measures``) because they decide what may be published.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "processed" / "canonical" / "cad_events.parquet"

QUERY = """
SELECT
    coalesce(city, 'durham') AS city,
    strftime(received_at, '%Y-%m') AS month,
    count(*) AS calls
FROM read_parquet(?, hive_partitioning = true, union_by_name = true)
GROUP BY ALL
ORDER BY city, month
"""


def calls_by_month(pattern: str, memory_limit: str = "1GB") -> list[tuple[str, str, int]]:
    """(city, month, calls) for every city and month in the Parquet files ``pattern`` names.
    DuckDB streams the files in parallel and spills to disk past ``memory_limit``."""
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        files = con.execute("SELECT count(*) FROM glob(?)", [pattern]).fetchone()
        if not files or files[0] == 0:
            raise SystemExit(f"No Parquet file matches {pattern}: run `make report` first.")
        query = QUERY
        if "city=" not in pattern:  # one city's folder has no city column to read
            query = QUERY.replace("coalesce(city, 'durham')", "'durham'").replace(
                ", hive_partitioning = true", ""
            )
        return [(city, month, int(n)) for city, month, n in con.execute(query, [pattern]).fetchall()]


def main() -> None:
    pattern = sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT)
    rows = calls_by_month(pattern)
    print(f"{'city':<12} {'month':<8} {'calls':>10}")
    for city, month, calls in rows:
        print(f"{city:<12} {month:<8} {calls:>10,}")


if __name__ == "__main__":
    main()
