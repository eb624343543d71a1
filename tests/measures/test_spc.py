"""The process-limit method against the known answers of NHSRplotthedots and Making Data Count,
and each rule's edge cases: the verdicts residents read rest on these."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.measures.spc import assurance, assurance_of_limits, process

DEVIATIONS = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
# set.seed(123); rnorm(20), as in NHSRplotthedots' tests/testthat/test-ptd_spc_standard.R
RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621,
    -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272,
    -0.55584113, 1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip


def flagged(result, rule: str) -> list[int]:
    return [i for i, rules in enumerate(result.rules) if rule in rules]


def test_deviations_vignette_with_and_without_screening() -> None:
    screened = process(DEVIATIONS)
    assert screened.mean[0] == pytest.approx(1.94, abs=0.005)
    assert screened.upper[0] == pytest.approx(4.60, abs=0.005)
    assert screened.lower[0] == pytest.approx(-0.72, abs=0.005)
    excel = process(DEVIATIONS, screen=False)
    assert excel.upper[0] == pytest.approx(6.95, abs=0.005)
    assert excel.lower[0] == pytest.approx(-3.06, abs=0.005)
    assert flagged(screened, "outside_limits") == [4]
    assert screened.point_type[4] == "special_cause_neutral_high"


@pytest.mark.parametrize(
    ("change", "screen", "mean", "lower", "upper"),
    [
        (None, True, 0.1416238, -3.01138, 3.294627),
        (10, True, 0.6694159, -2.383666, 3.722497),
        (10, False, 0.6694159, -4.596625, 5.935457),
    ],
)
def test_nhsr_standard_snapshots(change, screen, mean, lower, upper) -> None:
    y = list(RNORM_123)
    if change is not None:
        y[14] = change
    result = process(y, screen=screen)
    assert result.mean[0] == pytest.approx(mean, abs=1e-6)
    assert result.lower[0] == pytest.approx(lower, abs=1e-5)
    assert result.upper[0] == pytest.approx(upper, abs=1e-5)


def test_shift_needs_seven_and_flags_all_seven() -> None:
    six = [3, 1] * 4 + [3] * 6 + [1, 1]
    assert flagged(process(six), "shift") == []
    seven = [3, 1] * 4 + [3] * 7 + [1, 1]
    assert flagged(process(seven), "shift") == list(range(8, 15))


def test_a_point_on_the_mean_breaks_a_shift() -> None:
    # mean is exactly 2: seven 3s split by a 2 on the mean, balanced by 1s
    y = [3, 3, 3, 2, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1]
    result = process(y)
    assert result.mean[0] == pytest.approx(2.0)
    assert flagged(result, "shift") == list(range(8, 15))  # only the 1s, seven of them


def test_trend_needs_seven_strictly_rising_points_and_a_tie_breaks_it() -> None:
    rising = [10, 9, 11, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    result = process(rising)
    assert flagged(result, "trend") == list(range(4, 13))
    assert all(result.sides[i][result.rules[i].index("trend")] == 1 for i in range(4, 13))
    six_steps = [10, 9, 11, 10, 1, 2, 3, 4, 5, 6, 6, 7, 8]  # the tie splits it in two short rises
    assert flagged(process(six_steps), "trend") == []
    falling = [1, 2, 1, 2, 9, 8, 7, 6, 5, 4, 3]
    assert flagged(process(falling), "trend") == list(range(4, 11))


def test_trend_direction_not_side_decides_good_or_bad() -> None:
    # a falling trend entirely above the mean, where decrease is better: improvement
    y = [1, 1, 1, 1, 1, 1, 1, 9, 8.9, 8.8, 8.7, 8.6, 8.5, 8.4]
    result = process(y, direction="decrease", screen=False)
    trend = flagged(result, "trend")
    assert trend == list(range(7, 14))
    assert result.point_type[13] == "special_cause_improvement"


def test_two_of_three_counts_points_beyond_three_sigma() -> None:
    base = [10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9]
    y = [*base, 14, 11.5, 20]  # 14 beyond 2 sigma, 20 beyond 3 sigma: the two-of-three fires
    result = process(y)
    assert result.upper[0] < 20 and result.near_upper[0] < 14 < result.upper[0]
    assert flagged(result, "two_of_three") == [12, 14]
    assert 13 not in flagged(result, "two_of_three")  # only the points beyond 2 sigma


def test_two_of_three_needs_all_three_on_the_same_side() -> None:
    # NHSRplotthedots: two near-limit points on opposite sides are common cause
    y = [1, -1] * 7 + [5.5, -5.5]
    result = process(y)
    assert result.point_type[-2:] == ("common_cause", "common_cause")


def test_improvement_wins_when_a_point_flags_both_ways() -> None:
    # the last seven points sit below the mean (a shift: worse when more is better) and each is
    # higher than the one before (a rising trend: better)
    y = [20, 20.5, 20, 20.5, 20, 20.5, 20, 20.5, 10, 11, 12, 13, 14, 15, 16]
    result = process(y, direction="increase", screen=False)
    last = len(y) - 1
    sides = dict(zip(result.rules[last], result.sides[last]))
    assert sides.get("shift") == -1 and sides.get("trend") == 1
    assert result.point_type[last] == "special_cause_improvement"
    assert process(y, direction="decrease", screen=False).point_type[last] == "special_cause_improvement"


def test_rebase_starts_new_limits_at_the_declared_change() -> None:
    y = [100, 104, 98, 102, 99, 101, 103, 97, 60, 62, 58, 61, 59, 60, 63, 57]
    one = process(y, direction="decrease")
    assert one.point_type[-1] == "special_cause_improvement"  # the drop reads as a real change
    two = process(y, direction="decrease", segments=[0] * 8 + [1] * 8)
    assert two.mean[0] == pytest.approx(np.mean(y[:8]))
    assert two.mean[-1] == pytest.approx(np.mean(y[8:]))
    assert two.variation == "common_cause"  # after the change, the new level is the usual one
    assert two.trial.all()  # fewer than 13 points in each segment


def test_incomplete_points_are_never_judged_nor_in_the_limits() -> None:
    y = [10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 2]
    judged = [True] * 13 + [False]
    result = process(y, judged=judged)
    assert result.point_type[-1] == ""
    assert result.mean[0] == pytest.approx(np.mean(y[:13]))
    assert result.latest == 12
    with_gap = process([10, np.nan, 11, 10, 9, 10])
    assert with_gap.point_type[1] == "" and not with_gap.judged[1]


def test_trial_limits_under_thirteen_points() -> None:
    assert process(DEVIATIONS[:12]).trial.all()
    assert not process(DEVIATIONS[:13]).trial.any()


def test_laney_p_prime_widens_limits_for_large_denominators() -> None:
    rng = np.random.default_rng(7)
    calls = np.full(24, 30000.0)
    share = 0.88 + rng.normal(0, 0.01, 24)  # month-to-month variation far beyond binomial
    answered = np.round(share * calls)
    prime = process(
        answered / calls * 100, chart="p_prime", numerators=answered, denominators=calls, scale=100
    )
    centre = answered.sum() / calls.sum()
    binomial_half = 3 * np.sqrt(centre * (1 - centre) / 30000) * 100
    assert prime.mean[0] == pytest.approx(centre * 100)
    assert prime.upper[0] - prime.mean[0] > 3 * binomial_half  # plain P limits would flag noise
    assert prime.point_type.count("common_cause") >= 22


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("increase", ["consistent_fail", "consistent_pass", "inconsistent"]),
        ("decrease", ["consistent_pass", "consistent_fail", "inconsistent"]),
        ("neutral", [None, None, None]),
    ],
)
def test_assurance_cases_from_nhsr(direction, expected) -> None:
    limits = [(1, 3), (5, 7), (1, 5)]
    assert [assurance_of_limits(4, direction, lo, hi) for lo, hi in limits] == expected


def test_assurance_needs_a_target_and_uses_the_latest_segment() -> None:
    y = [1, 2, 1, 2, 1, 2, 1, 2, 11, 12, 11, 12, 11, 12]
    result = process(y, direction="increase", segments=[0] * 8 + [1] * 6)
    assert assurance(result, None, "increase") is None
    assert assurance(result, 5, "increase") == "consistent_pass"  # the new level is far above 5
    assert assurance(process(y[:8], direction="increase"), 5, "increase") == "consistent_fail"
