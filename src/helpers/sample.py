"""Synthetic raw exports for every source, July 2022 to September 2026 (FY2023 Q1 to FY2027 Q1).

The sample lets anyone build the whole report without City records. It is calibrated to public
Durham magnitudes (see ``../shared/reference/durham-goal2-content.md`` section 4) and shaped to tell
a story: repeat contacts are heavy-tailed, no-fault crash calls to police fall after civilian
investigators start in June 2025, police applications rise after the July 2024 pay raise, and
911 answer times improve as Emergency Communications fills vacancies.

Everything is drawn from one seeded generator, so the same seed and scale give identical files.
Each file is written in the department's own export layout (column names, date formats, Excel and
parquet), which ``params/sources.yml`` maps to canonical columns.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .paths import ProjectPaths
from .periods import FiscalQuarter, add_months, months_between
from .sources import SAMPLE_MARKER

START = date(2022, 7, 1)
END = date(2026, 9, 30)
DEFAULT_SEED = 20260930
GENERATOR_VERSION = 2

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
PAY_RAISE = date(2024, 7, 1)


@dataclass(frozen=True)
class SampleResult:
    files: dict[str, int]
    seed: int
    scale: int


def _daily_index() -> pd.DatetimeIndex:
    return pd.date_range(START, END, freq="D")


def _season(days: pd.DatetimeIndex, amplitude: float, peak_month: int = 7) -> np.ndarray:
    angle = 2 * math.pi * (days.day_of_year.to_numpy() - (peak_month - 0.5) * 30.4) / 365.25
    return 1 + amplitude * np.cos(angle)


def _years_since_start(days: pd.DatetimeIndex) -> np.ndarray:
    return (days - pd.Timestamp(START)).days.to_numpy() / 365.25


def _ramp(days: pd.DatetimeIndex, start: date, months: float) -> np.ndarray:
    elapsed = (days - pd.Timestamp(start)).days.to_numpy() / (30.44 * months)
    return np.clip(elapsed, 0, 1)


def _choice(rng: np.random.Generator, table: dict[str, float], size: int) -> np.ndarray:
    labels = np.array(list(table))
    weights = np.array(list(table.values()), dtype=float)
    return labels[rng.choice(len(labels), size=size, p=weights / weights.sum())]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))


def _cad_events(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    days = _daily_index()
    weekday = np.where(days.day_of_week.to_numpy() >= 5, 0.93, 1.03)
    trend = 1 + 0.015 * _years_since_start(days)
    lam = CALLS_PER_DAY * scale * _season(days, 0.09) * weekday * trend
    per_day = rng.poisson(lam)
    n = int(per_day.sum())
    day_of_call = np.repeat(days.to_numpy(), per_day)
    hour_weights = np.array(
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
    hours = rng.choice(24, size=n, p=hour_weights / hour_weights.sum())
    seconds = hours * 3600 + rng.integers(0, 3600, size=n)
    received = day_of_call + seconds.astype("timedelta64[s]")
    day_index = np.repeat(np.arange(len(days)), per_day)

    # HEART (Community Safety) launched June 2022 and expanded in 2023: ~6,500 responses in its
    # first year rising towards ~10,000 a year.
    heart_daily = 17.5 + 9.5 * _ramp(days, date(2023, 6, 1), 14)
    heart_share = heart_daily / (CALLS_PER_DAY * _season(days, 0.09) * trend)
    base = np.array(list(AGENCY_SHARES.values()))
    u = rng.random(n)
    p_heart = heart_share[day_index]
    scaled = base / base.sum()
    cumulative = np.cumsum(scaled)
    agency_index = np.searchsorted(cumulative, (u - p_heart) / (1 - p_heart))
    agency_index = np.clip(agency_index, 0, len(base) - 1)
    names = np.array(list(AGENCY_SHARES))
    agency = np.where(u < p_heart, "Community Safety", names[agency_index])

    call_type = np.empty(n, dtype=object)
    for label, table in (
        ("Police", POLICE_CALL_TYPES),
        ("Fire", FIRE_CALL_TYPES),
        ("Community Safety", HEART_CALL_TYPES),
        ("EMS", EMS_CALL_TYPES),
        ("911 Center", CENTER_CALL_TYPES),
    ):
        mask = agency == label
        call_type[mask] = _choice(rng, table, int(mask.sum()))

    # Civilian Traffic Investigation (June 2025): civilians take a growing share of no-fault
    # crashes, recorded with their own disposition so police calls can be counted apart.
    disposition = np.empty(n, dtype=object)
    for label, table in DISPOSITIONS.items():
        mask = agency == label
        disposition[mask] = _choice(rng, table, int(mask.sum()))
    # Investigators work weekdays from 7:00 to 19:00 and weekend afternoons (12:00 to 18:00).
    no_fault = call_type == "VEHICLE ACCIDENT - NO FAULT"
    weekend = (days.day_of_week.to_numpy() >= 5)[day_index]
    on_shift = np.where(weekend, (hours >= 12) & (hours < 18), (hours >= 7) & (hours < 19))
    diverted_share = CTI_SHIFT_SHARE * _ramp(days, CTI_START, 9)[day_index] * on_shift
    diverted = no_fault & (rng.random(n) < diverted_share)
    disposition[diverted] = "CIVILIAN INVESTIGATOR REPORT"

    # Answer times: the share within 15 s tracks Emergency Communications staffing.
    target = np.clip(
        0.80 + 0.095 * _ramp(days, date(2023, 7, 1), 30) - 0.035 * (_season(days, 1.0) - 1).clip(0), 0.6, 0.97
    )
    mean_seconds = -15.5 / np.log(1 - target)
    answer = np.floor(rng.exponential(mean_seconds[day_index])).astype(np.int64)

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
        (months.to_timestamp() - pd.Timestamp(FN_PROGRAM_START)).days.to_numpy() / (30.44 * 24),
        0,
        1,
    )
    month_codes, month_index = np.unique(months.asi8, return_inverse=True)
    for code_i in range(len(month_codes)):
        mask = identified & (month_index == code_i)
        count = int(mask.sum())
        if not count:
            continue
        effect = program[mask][0]
        w = weights.copy()
        w[:top] *= 1 - 0.40 * effect
        ids[mask] = rng.choice(pool, size=count, p=w / w.sum())
    # Shuffle the rank -> id mapping so key order says nothing about contact frequency.
    id_map = rng.permutation(pool) + 1_000_000
    person[identified] = np.char.add("P", id_map[ids[identified]].astype(str))

    district = _choice(rng, {"D1": 0.21, "D2": 0.22, "D3": 0.2, "D4": 0.18, "D5": 0.19}, n)
    order = np.argsort(received, kind="stable")
    frame = pd.DataFrame(
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
    return frame


def _padded_ids(prefix: str, count: int, width: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(1, count + 1)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


def _write_cad(frame: pd.DataFrame, raw: Path) -> dict[str, int]:
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
                "Incident Number": _padded_ids(f"C{fy % 100:02d}-", int(mask.sum()), 7),
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


CRIME_OFFENCES = {
    "violent": {"Aggravated Assault": 0.62, "Robbery": 0.26, "Rape": 0.09, "Homicide": 0.03},
    "property": {"Larceny": 0.62, "Burglary": 0.2, "Motor Vehicle Theft": 0.17, "Arson": 0.01},
}


def _crime(rng: np.random.Generator, scale: int, raw: Path) -> dict[str, int]:
    days = _daily_index()
    years = _years_since_start(days)
    violent = 6.4 * scale * _season(days, 0.12) * (1 - 0.025 * years)
    mv_spike = 1 + 0.35 * np.exp(-((years - 1.2) ** 2) / 0.4)
    property_ = 31.0 * scale * _season(days, 0.08) * mv_spike * (1 + 0.01 * years)
    rows = []
    for crime_class, lam in (("violent", violent), ("property", property_)):
        counts = rng.poisson(lam)
        dates = np.repeat(days.to_numpy(), counts)
        offences = _choice(rng, CRIME_OFFENCES[crime_class], len(dates))
        rows.append(
            pd.DataFrame({"date": dates, "Offense": offences, "UCR Class": "Part I " + crime_class.title()})
        )
    frame = pd.concat(rows).sort_values("date", kind="stable").reset_index(drop=True)
    written = {}
    for year in sorted(frame["date"].dt.year.unique()):
        part = frame[frame["date"].dt.year == year].reset_index(drop=True)
        out = pd.DataFrame(
            {
                "Case Number": [f"{year % 100:02d}-{i:06d}" for i in range(1, len(part) + 1)],
                "Report Date": part["date"].dt.strftime("%Y-%m-%d"),
                "Offense": part["Offense"],
                "UCR Class": part["UCR Class"],
            }
        )
        path = raw / "crime" / f"part1_incidents_{year}.csv"
        _write_csv(out, path)
        written[path.relative_to(raw).as_posix()] = len(out)
    return written


STAFFING = {
    # export name: (authorised at start, authorised at end, vacancy start, vacancy worst, end)
    "Emergency Communications": (64, 80, 0.40, 0.42, 0.22),
    "Police Department": (660, 676, 0.17, 0.30, 0.21),
    "Fire Department": (420, 442, 0.05, 0.08, 0.05),
    "Community Safety Department": (25, 58, 0.12, 0.15, 0.05),
}


def _staffing(rng: np.random.Generator, raw: Path) -> dict[str, int]:
    rows = []
    month_starts = list(months_between(START, END))
    total = len(month_starts) - 1
    for name, (auth0, auth1, vac0, vac_peak, vac_end) in STAFFING.items():
        for i, month in enumerate(month_starts):
            t = i / total
            authorised = round(auth0 + (auth1 - auth0) * min(1, t * 1.6))
            peak_at = 0.5
            vacancy = (
                vac0 + (vac_peak - vac0) * t / peak_at
                if t <= peak_at
                else vac_peak + (vac_end - vac_peak) * (t - peak_at) / (1 - peak_at)
            )
            vacancy = max(0.0, vacancy + rng.normal(0, 0.008))
            filled = round(authorised * (1 - vacancy))
            as_of = add_months(month, 1) - timedelta(days=1)
            rows.append(
                {
                    "Department": name,
                    "As Of": pd.Timestamp(as_of),
                    "Authorized FTE": authorised,
                    "Filled FTE": filled,
                }
            )
    frame = pd.DataFrame(rows)
    path = raw / "hr" / "staffing_snapshots.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="Snapshots", index=False)
    _normalise_xlsx(path)
    return {path.relative_to(raw).as_posix(): len(frame)}


def _normalise_xlsx(path: Path) -> None:
    """Fix the timestamps openpyxl writes into an xlsx, so the same data gives the same bytes."""
    import zipfile

    fixed = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as out:
        for item in sorted(source.infolist(), key=lambda i: i.filename):
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                import re

                data = re.sub(
                    rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>",
                    lambda m: (
                        m.group(0).split(b">")[0] + b">2026-09-30T00:00:00Z</dcterms:" + m.group(1) + b">"
                    ),
                    data,
                )
            info = zipfile.ZipInfo(item.filename, date_time=(2026, 9, 30, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)
    fixed.replace(path)


def _applications(rng: np.random.Generator, raw: Path) -> dict[str, int]:
    days = _daily_index()
    spring_fall = 1 + 0.25 * np.cos(4 * math.pi * (days.day_of_year.to_numpy() - 75) / 365.25)
    lam = 2.5 * spring_fall * (1 + 0.45 * _ramp(days, PAY_RAISE, 8))
    counts = rng.poisson(lam)
    dates = pd.DatetimeIndex(np.repeat(days.to_numpy(), counts))
    n = len(dates)
    applicant = rng.integers(300_000, 300_000 + int(n * 0.85), size=n)
    frame = pd.DataFrame(
        {
            "Application ID": [f"APP-{i:06d}" for i in range(1, n + 1)],
            "Date Submitted": dates.strftime("%Y-%m-%d"),
            "Department": "Police",
            "Position": _choice(rng, {"Police Officer Recruit": 0.86, "Lateral Police Officer": 0.14}, n),
            "Applicant ID": np.char.add("A", applicant.astype(str)),
        }
    )
    path = raw / "hr" / "police_applications.csv"
    _write_csv(frame, path)
    return {path.relative_to(raw).as_posix(): n}


NEIGHBORHOODS = [
    "Walltown",
    "East Durham",
    "Old West Durham",
    "Lakewood",
    "Braggtown",
    "Northgate Park",
    "Hayti",
    "Edgemont",
    "Crest Street",
    "Cleveland-Holloway",
    "Golden Belt",
    "Duke Park",
    "Southside",
    "Old North Durham",
    "Lyon Park",
    "Forest Hills",
    "Trinity Park",
    "Woodcroft",
]
JOINT_EVENT_NAMES = [
    "Coffee with Public Safety",
    "Stop the Bleed class",
    "Community safety walk",
    "Back to School Bash",
    "Neighborhood cookout",
    "Youth safety day",
    "Senior safety talk",
    "CPR in the park",
    "Hands-only CPR training",
    "Touch-a-Truck day",
]
OCTOBER_NAMES = ["Fire Prevention Week open house", "National Night Out block party"]
DEPARTMENT_EXPORT_NAMES = ["Police", "Fire", "Community Safety", "Emergency Communications"]


def _joint_events(rng: np.random.Generator, raw: Path) -> dict[str, int]:
    rows = []
    calendar_live = date(2023, 6, 1)
    for month in months_between(START, END):
        live = month >= calendar_live
        joint = int(rng.integers(1, 4)) if live else int(rng.integers(0, 3))
        if month.month == 10:
            joint = int(rng.integers(22, 29)) if live else int(rng.integers(6, 10))
        singles = int(rng.integers(2, 6))
        days_in_month = (add_months(month, 1) - month).days
        used: set[tuple[str, str]] = set()
        for k in range(joint + singles):
            is_joint = k < joint
            departments = (
                rng.choice(
                    DEPARTMENT_EXPORT_NAMES,
                    size=int(rng.integers(2, 4)),
                    replace=False,
                    p=[0.35, 0.35, 0.2, 0.1],
                )
                if is_joint
                else [DEPARTMENT_EXPORT_NAMES[int(rng.integers(0, 3))]]
            )
            name = (
                OCTOBER_NAMES[k % 2]
                if month.month == 10 and is_joint
                else JOINT_EVENT_NAMES[int(rng.integers(0, len(JOINT_EVENT_NAMES)))]
            )
            name = f"{name} ({NEIGHBORHOODS[int(rng.integers(0, len(NEIGHBORHOODS)))]})"
            event_day = month + timedelta(days=int(rng.integers(0, days_in_month)))
            while (event_day.isoformat(), name) in used:
                event_day = month + timedelta(days=int(rng.integers(0, days_in_month)))
            used.add((event_day.isoformat(), name))
            rows.append(
                {
                    "Event Date": event_day.strftime("%Y-%m-%d"),
                    "Event Name": name,
                    "Departments": "; ".join(sorted(departments)),
                    "Attendance": int(rng.integers(15, 220)),
                }
            )
    frame = pd.DataFrame(rows).sort_values(["Event Date", "Event Name"], kind="stable")
    path = raw / "events" / "joint_events_log.csv"
    _write_csv(frame.reset_index(drop=True), path)
    return {path.relative_to(raw).as_posix(): len(frame)}


def _tutoring(rng: np.random.Generator, raw: Path) -> dict[str, int]:
    rows = []
    sites = {"Eastway Elementary School": 40.0, "Boys & Girls Club": 17.0}
    first_session = date(2022, 9, 6)
    day = first_session
    while day <= END:
        if day.month not in (6, 7, 8):
            growth = 1 + 0.06 * (day - first_session).days / 365.25
            for site, mean in sites.items():
                dip = 0.55 if day.month in (12, 1) and site == "Boys & Girls Club" else 1.0
                students = max(0, int(rng.poisson(mean * growth * dip)))
                rows.append({"Session Date": day.isoformat(), "Site": site, "Students Attending": students})
        day += timedelta(days=7)
    frame = pd.DataFrame(rows)
    path = raw / "tutoring" / "tutoring_attendance.csv"
    _write_csv(frame, path)
    return {path.relative_to(raw).as_posix(): len(frame)}


def _webpage_views(rng: np.random.Generator, raw: Path) -> dict[str, int]:
    pages = {
        "Police Department Data": 1400.0,
        "Community Safety Data": 520.0,
        "Emergency Communications Data": 260.0,
    }
    rows = []
    for i, month in enumerate(months_between(START, END)):
        awareness = 1 + 0.55 * min(1, max(0, (i - 18) / 18))
        for page, base in pages.items():
            views = int(rng.poisson(base * awareness * (1 + 0.1 * math.sin(i / 2.0))))
            rows.append({"month": pd.Timestamp(month), "page": page, "pageviews": views})
    frame = pd.DataFrame(rows)
    path = raw / "web" / "data_page_views.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd")
    return {path.relative_to(raw).as_posix(): len(frame)}


def generate(
    paths: ProjectPaths, seed: int = DEFAULT_SEED, scale: int = 1, clean: bool = True
) -> SampleResult:
    """Write every raw sample file under ``data/raw`` and the marker that flags them as sample.

    ``scale`` multiplies event volumes (911 calls, crimes and the people behind them) for
    benchmarks; everything else stays at Durham's size.
    """
    if scale < 1:
        raise ValueError("scale must be a whole number of at least 1")
    raw = paths.raw
    if clean and raw.exists():
        for child in raw.iterdir():
            if child.name == "README.md":
                continue
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    files: dict[str, int] = {}
    files |= _write_cad(_cad_events(rng, scale), raw)
    files |= _crime(rng, scale, raw)
    files |= _staffing(rng, raw)
    files |= _applications(rng, raw)
    files |= _joint_events(rng, raw)
    files |= _tutoring(rng, raw)
    files |= _webpage_views(rng, raw)
    marker = {
        "sample_data": True,
        "note": (
            "Synthetic data generated by `python -m helpers sample-data`. It is calibrated to "
            "public Durham magnitudes but describes no real person or event."
        ),
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "covers": {
            "first_day": START.isoformat(),
            "last_day": END.isoformat(),
            "first_quarter": FiscalQuarter.containing(START).id,
            "last_quarter": FiscalQuarter.containing(END).id,
        },
        "files": dict(sorted(files.items())),
    }
    (raw / SAMPLE_MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
    return SampleResult(files, seed, scale)
