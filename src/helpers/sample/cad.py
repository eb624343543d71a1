"""The sample 911 (CAD) export: about 1,000 calls a day, dispatched to Police, Fire, EMS and the
Community Safety Department's crisis teams, with heavy-tailed repeat contacts (familiar
neighbors) and the June 2025 shift of no-fault crash calls to civilian investigators."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .shapes import (
    choice,
    daily_index,
    padded_ids,
    ramp,
    season,
    years_since_start,
)

# Calls answered by Emergency Communications, per day (about 1,000: durhamnc.gov/443).
CALLS_PER_DAY = 1000.0
# How calls are dispatched; Police ~35% of calls = about 128,800 police calls a year.
AGENCY_SHARES = {"Police": 0.353, "Fire": 0.11, "EMS": 0.25, "911 Center": 0.26}
POLICE_CALL_TYPES = {
    "VEHICLE ACCIDENT - NO FAULT": 0.060,
    "VEHICLE ACCIDENT - INJURY": 0.015,
    "DISTURBANCE": 0.11,
    "SUSPICIOUS PERSON/VEHICLE": 0.12,
    "ALARM": 0.09,
    "LARCENY": 0.08,
    "TRESPASS": 0.06,
    "WELFARE CHECK": 0.07,
    "ASSAULT": 0.04,
    "TRAFFIC HAZARD": 0.06,
    "NOISE COMPLAINT": 0.05,
    "BREAKING AND ENTERING": 0.035,
    "SHOTS FIRED": 0.025,
    "FOLLOW UP": 0.185,
}
FIRE_CALL_TYPES = {
    "MEDICAL ASSIST": 0.62,
    "FIRE ALARM": 0.14,
    "STRUCTURE FIRE": 0.04,
    "VEHICLE FIRE": 0.03,
    "HAZARD": 0.07,
    "SERVICE CALL": 0.10,
}
HEART_CALL_TYPES = {
    "MENTAL HEALTH CRISIS": 0.34,
    "WELFARE CHECK": 0.26,
    "TRESPASS": 0.14,
    "SUBSTANCE USE": 0.10,
    "QUALITY OF LIFE": 0.16,
}
EMS_CALL_TYPES = {"MEDICAL": 0.9, "TRANSFER": 0.1}
CENTER_CALL_TYPES = {"INFORMATION": 0.45, "HANG UP": 0.35, "TRANSFER TO OTHER AGENCY": 0.20}
DISPOSITIONS = {
    "Police": {"REPORT TAKEN": 0.25, "NO REPORT": 0.45, "ADVISED": 0.2, "GONE ON ARRIVAL": 0.1},
    "Fire": {"TREATED": 0.5, "NO ACTION NEEDED": 0.3, "EXTINGUISHED": 0.05, "CANCELLED": 0.15},
    "Community Safety": {
        "CONNECTED TO SERVICES": 0.45,
        "STABILIZED ON SCENE": 0.35,
        "REFERRED": 0.15,
        "GONE ON ARRIVAL": 0.05,
    },
    "EMS": {"TRANSPORTED": 0.6, "TREATED": 0.3, "CANCELLED": 0.1},
    "911 Center": {"CLOSED": 1.0},
}
PERSON_IDENTIFIED = {"Police": 0.25, "Fire": 0.15, "Community Safety": 0.88}
PERSON_POOL = 80_000
PERSON_ZIPF = 0.8
CTI_START = date(2025, 6, 1)
CTI_SHIFT_SHARE = 0.75  # of no-fault crashes during investigators' hours, once fully staffed
FN_PROGRAM_START = date(2024, 1, 1)


HOUR_WEIGHTS = np.array(
    [
        2,
        1.6,
        1.3,
        1,
        0.9,
        1,
        1.6,
        2.6,
        3.4,
        3.8,
        4,
        4.1,
        4.2,
        4.3,
        4.4,
        4.6,
        4.8,
        4.9,
        4.8,
        4.5,
        4.1,
        3.6,
        3.0,
        2.5,
    ]
)
# Downtown (D5) has fewer residents and more calls; about 1 call in 40 has no district recorded.
DISTRICT_SHARES = {"D1": 0.2, "D2": 0.19, "D3": 0.18, "D4": 0.17, "D5": 0.235, "": 0.025}


def cad_events(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    """Every 911 call of the sample period. The random draws happen in a fixed order, so one
    seed always gives the same export."""
    days = daily_index()
    received, day_index, hours = _call_times(rng, days, scale)
    n = len(received)
    agency = _agencies(rng, days, day_index, n)
    call_type = np.empty(n, dtype=object)
    for label, table in (
        ("Police", POLICE_CALL_TYPES),
        ("Fire", FIRE_CALL_TYPES),
        ("Community Safety", HEART_CALL_TYPES),
        ("EMS", EMS_CALL_TYPES),
        ("911 Center", CENTER_CALL_TYPES),
    ):
        mask = agency == label
        call_type[mask] = choice(rng, table, int(mask.sum()))
    disposition = _dispositions(rng, days, day_index, hours, agency, call_type)
    answer = _answer_seconds(rng, days, day_index)
    person = _people(rng, agency, received, scale)
    district = choice(rng, DISTRICT_SHARES, n).astype(object)
    district[district == ""] = None  # not recorded: an empty cell in the export
    order = np.argsort(received, kind="stable")
    return pd.DataFrame(
        {
            "received": received[order],
            "Answer Seconds": answer[order],
            "Call Type": call_type[order],
            "Responding Agency": agency[order],
            "Disposition": disposition[order],
            "Person ID": person[order],
            "District": district[order],
        }
    )


def _call_times(rng: np.random.Generator, days: pd.DatetimeIndex, scale: int) -> tuple[np.ndarray, ...]:
    """When each call is received: calls per day by season, weekday and trend, hours of the day
    by their usual weights. Returns (received, the day of each call, its hour)."""
    weekday = np.where(days.day_of_week.to_numpy() >= 5, 0.93, 1.03)
    trend = 1 + 0.015 * years_since_start(days)
    lam = CALLS_PER_DAY * scale * season(days, 0.09) * weekday * trend
    per_day = rng.poisson(lam)
    n = int(per_day.sum())
    day_of_call = np.repeat(days.to_numpy(), per_day)
    hours = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    seconds = hours * 3600 + rng.integers(0, 3600, size=n)
    received = day_of_call + seconds.astype("timedelta64[s]")
    return received, np.repeat(np.arange(len(days)), per_day), hours


def _agencies(rng: np.random.Generator, days: pd.DatetimeIndex, day_index: np.ndarray, n: int) -> np.ndarray:
    """The responding agency. HEART (Community Safety) launched June 2022 and expanded in 2023:
    ~6,500 responses in its first year rising towards ~10,000 a year."""
    trend = 1 + 0.015 * years_since_start(days)
    heart_daily = 17.5 + 9.5 * ramp(days, date(2023, 6, 1), 14)
    heart_share = heart_daily / (CALLS_PER_DAY * season(days, 0.09) * trend)
    base = np.array(list(AGENCY_SHARES.values()))
    u = rng.random(n)
    p_heart = heart_share[day_index]
    cumulative = np.cumsum(base / base.sum())
    agency_index = np.clip(np.searchsorted(cumulative, (u - p_heart) / (1 - p_heart)), 0, len(base) - 1)
    return np.where(u < p_heart, "Community Safety", np.array(list(AGENCY_SHARES))[agency_index])


def _dispositions(
    rng: np.random.Generator,
    days: pd.DatetimeIndex,
    day_index: np.ndarray,
    hours: np.ndarray,
    agency: np.ndarray,
    call_type: np.ndarray,
) -> np.ndarray:
    """How each call was closed. Civilian Traffic Investigation (June 2025): civilians take a
    growing share of no-fault crashes, recorded with their own disposition so police calls can
    be counted apart; investigators work weekdays 7:00-19:00 and weekend afternoons 12:00-18:00."""
    disposition = np.empty(len(agency), dtype=object)
    for label, table in DISPOSITIONS.items():
        mask = agency == label
        disposition[mask] = choice(rng, table, int(mask.sum()))
    no_fault = call_type == "VEHICLE ACCIDENT - NO FAULT"
    weekend = (days.day_of_week.to_numpy() >= 5)[day_index]
    on_shift = np.where(weekend, (hours >= 12) & (hours < 18), (hours >= 7) & (hours < 19))
    diverted_share = CTI_SHIFT_SHARE * ramp(days, CTI_START, 9)[day_index] * on_shift
    diverted = no_fault & (rng.random(len(agency)) < diverted_share)
    disposition[diverted] = "CIVILIAN INVESTIGATOR REPORT"
    return disposition


def _answer_seconds(rng: np.random.Generator, days: pd.DatetimeIndex, day_index: np.ndarray) -> np.ndarray:
    """Answer times: the share within 15 s tracks Emergency Communications staffing."""
    target = np.clip(
        0.80 + 0.095 * ramp(days, date(2023, 7, 1), 30) - 0.035 * (season(days, 1.0) - 1).clip(0), 0.6, 0.97
    )
    mean_seconds = -15.5 / np.log(1 - target)
    return np.floor(rng.exponential(mean_seconds[day_index])).astype(np.int64)


def _people(rng: np.random.Generator, agency: np.ndarray, received: np.ndarray, scale: int) -> np.ndarray:
    """The person a call was about, where the agency identified one: a heavy-tailed pool of
    repeat contacts, whose busiest members the familiar-neighbor program reaches from 2024."""
    n = len(agency)
    person = np.full(n, None, dtype=object)
    identified = np.zeros(n, dtype=bool)
    for label, share in PERSON_IDENTIFIED.items():
        mask = agency == label
        identified[mask] = rng.random(int(mask.sum())) < share
    pool = PERSON_POOL * scale
    weights = 1 / np.arange(1, pool + 1) ** PERSON_ZIPF
    top = max(1, int(0.002 * pool))
    months = pd.DatetimeIndex(received).to_period("M")
    ids = np.empty(n, dtype=np.int64)
    program = np.clip(
        (months.to_timestamp() - pd.Timestamp(FN_PROGRAM_START)).days.to_numpy() / (30.44 * 24), 0, 1
    )
    month_codes, month_index = np.unique(months.asi8, return_inverse=True)
    for code_i in range(len(month_codes)):
        mask = identified & (month_index == code_i)
        count = int(mask.sum())
        if not count:
            continue
        w = weights.copy()
        w[:top] *= 1 - 0.40 * program[mask][0]
        ids[mask] = rng.choice(pool, size=count, p=w / w.sum())
    # Shuffle the rank -> id mapping so key order says nothing about contact frequency.
    id_map = rng.permutation(pool) + 1_000_000
    person[identified] = np.char.add("P", id_map[ids[identified]].astype(str))
    return person


def write_cad(frame: pd.DataFrame, raw: Path) -> dict[str, int]:
    """One CSV per fiscal year, as the CAD system exports them, built in Arrow for speed."""
    written: dict[str, int] = {}
    received_all = frame["received"].to_numpy().astype("datetime64[s]")
    years = received_all.astype("datetime64[Y]").astype(int) + 1970
    months = received_all.astype("datetime64[M]").astype(int) % 12 + 1
    fiscal_year = np.where(months >= 7, years + 1, years)
    for fy in np.unique(fiscal_year):
        mask = fiscal_year == fy
        received = pa.array(received_all[mask])
        table = pa.table(
            {
                "Incident Number": padded_ids(f"C{fy % 100:02d}-", int(mask.sum()), 7),
                "Call Received": pc.strftime(received, format="%m/%d/%Y %H:%M:%S"),
                "Answer Seconds": pa.array(frame["Answer Seconds"].to_numpy()[mask]),
                **{
                    name: pa.array(frame[name].to_numpy()[mask], pa.string(), from_pandas=True)
                    for name in ("Call Type", "Responding Agency", "Disposition", "Person ID", "District")
                },
            }
        )
        path = raw / "cad" / f"cad_events_FY{fy}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
        written[path.relative_to(raw).as_posix()] = table.num_rows
    return written
