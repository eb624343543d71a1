"""Is the change real? Process limits and the rules of NHS England's *Making Data Count*.

A series of figures varies from period to period for no particular reason. Process limits say how
far that usual variation reaches; four rules say when a point is more than the usual ups and
downs (special-cause variation):

1. ``outside_limits``: a point above the upper or below the lower process limit;
2. ``shift``: 7 points in a row on the same side of the mean (a point on the mean breaks it);
3. ``trend``: 7 points in a row each strictly higher (or lower) than the one before (a tie breaks
   it); the trend's direction decides whether it is good or bad;
4. ``two_of_three``: 2 of 3 points in a row beyond the same 2-sigma line, all 3 on that side of the
   mean; points beyond 3 sigma count too, as the MDC team has counted them since November 2023.

Limits (per segment: a segment starts at a declared, lasting change in how the work is done):

- XmR: mean +/- 2.66 x the mean moving range; moving ranges of 3.267 x their mean or more are
  left out first (screening, as NHSRplotthedots does; ``screen=False`` follows the MDC Excel
  tools); the 2-sigma line is mean +/- 1.7733 x the mean moving range;
- Laney P' (shares) and U' (rates), for large denominators where plain P and U limits are far
  too narrow: centre = sum x / sum n; per point sigma_i = sqrt(p(1-p)/n_i) (or sqrt(u/n_i));
  z_i = (y_i - centre) / sigma_i; sigma_z = mean moving range of z / 1.128; limits centre +/-
  3 sigma_i sigma_z.

A point that is incomplete or hidden is not judged and takes no part in the limits. A segment
of fewer than 13 judged points has *trial* limits. When one point is flagged for improvement by
one rule and for concern by another, improvement wins (MDC). The variation of a measure is the
point type of its latest judged point; its assurance compares a target with the latest limits.
Sources: NHSRplotthedots 0.2.2 (R/ptd_spc_standard.R, R/ptd_calculate_point_type.R,
R/ptd_calculate_assurance_type.R), Laney (2002), MDC (2019, 2023).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Direction = Literal["increase", "decrease", "neutral"]
# What a judged point carries, in the gated tables and in `helpers spc`'s output, in this order.
PROCESS_COLUMNS = [
    "process_chart",
    "segment",
    "process_mean",
    "lower_process_limit",
    "upper_process_limit",
    "near_lower_limit",
    "near_upper_limit",
    "trial_limits",
    "rules",
    "point_type",
]
Chart = Literal["xmr", "p_prime", "u_prime"]
RULES = ("outside_limits", "shift", "trend", "two_of_three")
POINT_TYPES = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
)
LIMIT = 2.66  # 3 sigma in moving ranges: 3 / 1.128
NEAR = 2 * LIMIT / 3  # 2 sigma
SCREEN = 3.267  # moving ranges this many times their mean are screened out
D2 = 1.128
RUN = 7
TRIAL_BELOW = 13
# When a point is flagged by several rules and the measure has no better direction, the first
# of these decides whether it is high or low (NHSRplotthedots' order).
PRECEDENCE = ("outside_limits", "trend", "two_of_three", "shift")


@dataclass(frozen=True)
class Process:
    """The process limits and the verdict for every point of a series (NaN and empty where a
    point is not judged)."""

    chart: str
    segment: np.ndarray  # int, per point
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    near_lower: np.ndarray
    near_upper: np.ndarray
    judged: np.ndarray  # bool: complete points, in the limits and judged by the rules
    trial: np.ndarray  # bool: the point's segment has fewer than 13 judged points
    rules: tuple[tuple[str, ...], ...]  # the rules that flagged each point
    sides: tuple[tuple[int, ...], ...]  # +1 high / increasing, -1 low / decreasing, per rule
    point_type: tuple[str, ...]  # "" where not judged

    @property
    def latest(self) -> int | None:
        """The position of the latest judged point."""
        judged = np.flatnonzero(self.judged)
        return int(judged[-1]) if len(judged) else None

    @property
    def variation(self) -> str | None:
        """The point type of the latest judged point: the measure's variation icon."""
        latest = self.latest
        return None if latest is None else self.point_type[latest]


def process(
    values: Sequence[float] | np.ndarray,
    *,
    direction: Direction = "neutral",
    segments: Sequence[int] | np.ndarray | None = None,
    judged: Sequence[bool] | np.ndarray | None = None,
    chart: Chart = "xmr",
    numerators: Sequence[float] | np.ndarray | None = None,
    denominators: Sequence[float] | np.ndarray | None = None,
    screen: bool = True,
    scale: float = 1.0,
) -> Process:
    """Process limits and rules for one series, in its order. ``segments`` numbers the segment of
    each point (non-decreasing); ``judged`` marks the complete points. For P' and U' charts the
    values are ``numerators / denominators`` times ``scale`` (100 for a share in percent)."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    segment = np.zeros(n, dtype=int) if segments is None else np.asarray(segments, dtype=int)
    ok = ~np.isnan(y) if judged is None else np.asarray(judged, dtype=bool) & ~np.isnan(y)
    mean, lower, upper = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    near_lower, near_upper = np.full(n, np.nan), np.full(n, np.nan)
    trial = np.zeros(n, dtype=bool)
    flags: list[list[tuple[str, int]]] = [[] for _ in range(n)]
    for seg in np.unique(segment):
        members = np.flatnonzero(segment == seg)
        used = members[ok[members]]
        if len(used) < 2:
            continue
        if chart == "xmr":
            centre, half, near = _xmr(y[used], screen)
            mean[members], lower[members], upper[members] = centre, centre - half, centre + half
            near_lower[members], near_upper[members] = centre - near, centre + near
        else:
            if numerators is None or denominators is None:
                raise ValueError(f"a {chart} chart needs numerators and denominators")
            x, d = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
            centre, sigmas = _laney(x[members], d[members], ok[members], chart, screen)
            mean[members] = centre * scale
            lower[members], upper[members] = (centre - 3 * sigmas) * scale, (centre + 3 * sigmas) * scale
            near_lower[members], near_upper[members] = (
                (centre - 2 * sigmas) * scale,
                (centre + 2 * sigmas) * scale,
            )
        trial[members] = len(used) < TRIAL_BELOW
        for position, found in zip(
            used, _flags(y[used], mean[used], lower[used], upper[used], near_lower[used], near_upper[used])
        ):
            flags[position] = found
    rules = tuple(tuple(rule for rule, _ in found) for found in flags)
    sides = tuple(tuple(side for _, side in found) for found in flags)
    types = tuple(
        _point_type(found, direction) if ok[i] and not np.isnan(mean[i]) else ""
        for i, found in enumerate(flags)
    )
    return Process(chart, segment, mean, lower, upper, near_lower, near_upper, ok, trial, rules, sides, types)


def _xmr(y: np.ndarray, screen: bool) -> tuple[float, float, float]:
    """The mean, and the distances to the 3-sigma and 2-sigma lines, of one segment."""
    centre = float(np.mean(y))
    ranges = np.abs(np.diff(y))
    average = float(np.mean(ranges))
    if screen:
        kept = ranges[ranges < SCREEN * average]
        average = float(np.mean(kept)) if len(kept) else average
    return centre, LIMIT * average, NEAR * average


def _laney(
    x: np.ndarray, d: np.ndarray, ok: np.ndarray, chart: Chart, screen: bool
) -> tuple[float, np.ndarray]:
    """Laney's P' or U': the centre, and each point's sigma (sigma_i times sigma_z)."""
    use = ok & (d > 0)
    centre = float(x[use].sum() / d[use].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.sqrt(centre * (1 - centre) / d) if chart == "p_prime" else np.sqrt(centre / d)
        z = (x / d - centre) / base
    ranges = np.abs(np.diff(z[use]))
    average = float(np.mean(ranges)) if len(ranges) else np.nan
    if screen and len(ranges):
        kept = ranges[ranges < SCREEN * average]
        average = float(np.mean(kept)) if len(kept) else average
    return centre, base * (average / D2)


def _flags(
    y: np.ndarray,
    mean: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    near_lower: np.ndarray,
    near_upper: np.ndarray,
) -> list[list[tuple[str, int]]]:
    """The rules that flag each point of one segment's judged points, with the side (+1 high or
    increasing, -1 low or decreasing)."""
    n = len(y)
    found: list[list[tuple[str, int]]] = [[] for _ in range(n)]
    for i in range(n):
        if y[i] > upper[i]:
            found[i].append(("outside_limits", 1))
        elif y[i] < lower[i]:
            found[i].append(("outside_limits", -1))
    side = np.sign(y - mean).astype(int)
    for start, end in _runs(side):
        if side[start] != 0 and end - start >= RUN:
            for i in range(start, end):
                found[i].append(("shift", int(side[start])))
    steps = np.sign(np.diff(y)).astype(int)
    trend = [0] * n
    for start, end in _runs(steps):  # end - start steps link end - start + 1 points
        if steps[start] != 0 and end - start >= RUN - 1:
            for i in range(start, end + 1):
                trend[i] = int(steps[start])
    for i, way in enumerate(trend):
        if way:
            found[i].append(("trend", way))
    high = y > near_upper  # beyond 2 sigma, counting points beyond 3 sigma
    low = y < near_lower
    two = [0] * n
    for start in range(n - 2):
        window = range(start, start + 3)
        for way, beyond in ((1, high), (-1, low)):
            if all(side[i] == way for i in window) and sum(beyond[i] for i in window) >= 2:
                for i in window:
                    if beyond[i]:
                        two[i] = way
    for i, way in enumerate(two):
        if way:
            found[i].append(("two_of_three", way))
    return found


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of equal values: (start, end) with ``end`` exclusive."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i))
            start = i
    return runs


def _point_type(found: list[tuple[str, int]], direction: Direction) -> str:
    if not found:
        return "common_cause"
    if direction == "neutral":
        rule_side = {rule: side for rule, side in found}
        first = next(rule for rule in PRECEDENCE if rule in rule_side)
        return "special_cause_neutral_high" if rule_side[first] > 0 else "special_cause_neutral_low"
    better = 1 if direction == "increase" else -1
    if any(side == better for _, side in found):
        return "special_cause_improvement"  # improvement wins
    return "special_cause_concern"


def assurance(result: Process, target: float | None, direction: Direction) -> str | None:
    """Will the target be met? From the latest judged point's limits: ``consistent_pass``,
    ``consistent_fail`` or ``inconsistent``; None without a target or with no better direction."""
    latest = result.latest
    if latest is None:
        return None
    return assurance_of_limits(target, direction, float(result.lower[latest]), float(result.upper[latest]))


def assurance_of_limits(target: float | None, direction: str, lower: float, upper: float) -> str | None:
    """A target above the upper limit will consistently fail (when more is better) or pass (when
    less is better); below the lower limit the other way round; between them, hit and miss."""
    if target is None or direction == "neutral" or np.isnan(lower) or np.isnan(upper):
        return None
    if target > upper:
        return "consistent_fail" if direction == "increase" else "consistent_pass"
    if target < lower:
        return "consistent_pass" if direction == "increase" else "consistent_fail"
    return "inconsistent"
