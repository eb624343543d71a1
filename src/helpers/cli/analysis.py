"""``python -m helpers spc``: process limits and the Making Data Count rules for any series in a
CSV file, for analysts' own questions (the same method the report's measures use)."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

from .exits import EXIT_OK, BadArgument


def _number(text: str, where: str) -> float:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise BadArgument(f"{where}: '{text[:30]}' is not a number") from None
    if math.isinf(value):
        raise BadArgument(f"{where}: '{text[:30]}' is not a finite number")
    return value


def read_series(args: argparse.Namespace) -> tuple[list[str], dict[str, list[float]]]:
    """The periods and the numeric columns of the file, in its order; an empty cell is a gap."""
    path = Path(args.file)
    if not path.is_file():
        raise BadArgument(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        wanted = {"--period": args.period, "--value": args.value}
        if args.chart != "xmr":
            wanted.update({"--numerator": args.numerator, "--denominator": args.denominator})
        for option, column in wanted.items():
            if not column:
                raise BadArgument(f"a {args.chart} chart needs {option} COLUMN")
            if column not in header:
                raise BadArgument(
                    f"{path}, row 1, column '{column}' ({option}): no such column "
                    f"(the columns are {', '.join(header) or 'none'})"
                )
        periods: list[str] = []
        numbers: dict[str, list[float]] = {k: [] for k in ("value", "numerator", "denominator")}
        for row_number, row in enumerate(reader, start=2):
            periods.append((row.get(args.period) or "").strip())
            for key, column in (
                ("value", args.value),
                ("numerator", args.numerator),
                ("denominator", args.denominator),
            ):
                if not column or (key != "value" and args.chart == "xmr"):
                    continue
                text = (row.get(column) or "").strip()
                where = f"{path}, row {row_number}, column '{column}'"
                numbers[key].append(_number(text, where) if text else math.nan)
    if sum(not math.isnan(v) for v in numbers["value"]) < 2:
        raise BadArgument(
            f"{path}, column '{args.value}': fewer than two points; process limits need at least two"
        )
    return periods, numbers


def cmd_spc(args: argparse.Namespace) -> int:
    from ..measures.spc import PROCESS_COLUMNS, assurance, process

    periods, numbers = read_series(args)
    segment, segments = 0, []
    rebase = list(dict.fromkeys(args.rebase or []))
    for period in rebase:
        if period not in periods:
            raise BadArgument(
                f"{args.file}, column '{args.period}': --rebase {period} is not a period of the file"
            )
    for period in periods:
        segment += period in rebase
        segments.append(segment)
    values = numbers["value"]
    result = process(
        values,
        direction=args.direction,
        segments=segments,
        chart=args.chart,
        numerators=numbers["numerator"] or None,
        denominators=numbers["denominator"] or None,
        screen=not args.no_screen,
        scale=args.scale,
    )
    if args.summary:
        latest = result.latest
        summary: dict[str, Any] = {
            "variation": result.variation,
            "assurance": assurance(result, args.target, args.direction),
            "points": int(result.judged.sum()),
            "segment": int(result.segment[latest]) + 1 if latest is not None else None,
            "trial_limits": bool(result.trial[latest]) if latest is not None else None,
            "process_mean": _json(result.mean[latest]) if latest is not None else None,
            "lower_process_limit": _json(result.lower[latest]) if latest is not None else None,
            "upper_process_limit": _json(result.upper[latest]) if latest is not None else None,
        }
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["period", "value", *PROCESS_COLUMNS])
    for i, period in enumerate(periods):
        drawn = not math.isnan(result.mean[i]) and not math.isnan(values[i])
        writer.writerow(
            [
                period,
                _full(values[i]),
                result.chart if drawn else "",
                result.segment[i] + 1 if drawn else "",
                *(_full(a[i]) if drawn else "" for a in (result.mean, result.lower, result.upper)),
                *(_full(a[i]) if drawn else "" for a in (result.near_lower, result.near_upper)),
                ("true" if result.trial[i] else "false") if drawn else "",
                ";".join(result.rules[i]),
                result.point_type[i],
            ]
        )
    return EXIT_OK


def _full(value: float) -> str:
    """A number at full precision (limits are never clipped here: clipping is for display)."""
    return "" if math.isnan(value) else repr(float(value))


def _json(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def add_spc(add: Any) -> None:
    spc = add(
        "spc",
        cmd_spc,
        "Process limits and the Making Data Count rules for a series in a CSV file (rows in their "
        "order): prints a CSV with each point's limits, the rules that flagged it and its point "
        "type, or with --summary the variation and assurance as JSON.",
    )
    spc.add_argument("file", metavar="FILE.csv", help="the series, one row per point, with a header row")
    spc.add_argument("--value", required=True, metavar="COL", help="the column of values")
    spc.add_argument("--period", required=True, metavar="COL", help="the column naming each point's period")
    spc.add_argument(
        "--direction",
        choices=["increase", "decrease", "neutral"],
        default="neutral",
        help="which way is better (default neutral)",
    )
    spc.add_argument("--target", type=float, help="a target, for the assurance of --summary")
    spc.add_argument(
        "--rebase", action="append", metavar="PERIOD", help="a new segment starts at this period (repeatable)"
    )
    spc.add_argument(
        "--no-screen", action="store_true", help="keep outlying moving ranges (as the MDC Excel tools)"
    )
    spc.add_argument("--summary", action="store_true", help="print the variation and assurance as JSON")
    spc.add_argument(
        "--chart",
        choices=["xmr", "p_prime", "u_prime"],
        default="xmr",
        help="xmr (default), or Laney's p_prime / u_prime with --numerator and --denominator",
    )
    spc.add_argument(
        "--numerator", metavar="COL", help="p_prime/u_prime: the counts (e.g. calls answered in 15 s)"
    )
    spc.add_argument("--denominator", metavar="COL", help="p_prime/u_prime: the totals (e.g. calls received)")
    spc.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="p_prime/u_prime: the values are numerator/denominator x SCALE",
    )
