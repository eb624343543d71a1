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
import pyarrow.parquet as pq

from ..core.paths import ProjectPaths
from ..core.periods import FiscalQuarter, add_months, months_between
from ..data.raw import SAMPLE_MARKER
from .cad import cad_events, write_cad
from .districts import write_districts
from .shapes import (
    END,
    START,
    choice,
    daily_index,
    normalise_xlsx,
    ramp,
    season,
    write_csv,
    years_since_start,
)

DEFAULT_SEED = 20260930
GENERATOR_VERSION = 4
PAY_RAISE = date(2024, 7, 1)  # police applications rise after it
CRIME_OFFENCES = {
    "violent": {"Aggravated Assault": 0.62, "Robbery": 0.26, "Rape": 0.09, "Homicide": 0.03},
    "property": {"Larceny": 0.62, "Burglary": 0.2, "Motor Vehicle Theft": 0.17, "Arson": 0.01},
}


@dataclass(frozen=True)
class SampleResult:
    files: dict[str, int]
    seed: int
    scale: int


def _crime(rng: np.random.Generator, scale: int, raw: Path) -> dict[str, int]:
    days = daily_index()
    years = years_since_start(days)
    violent = 6.4 * scale * season(days, 0.12) * (1 - 0.025 * years)
    mv_spike = 1 + 0.35 * np.exp(-((years - 1.2) ** 2) / 0.4)
    property_ = 31.0 * scale * season(days, 0.08) * mv_spike * (1 + 0.01 * years)
    rows = []
    for crime_class, lam in (("violent", violent), ("property", property_)):
        counts = rng.poisson(lam)
        dates = np.repeat(days.to_numpy(), counts)
        offences = choice(rng, CRIME_OFFENCES[crime_class], len(dates))
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
        write_csv(out, path)
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
    normalise_xlsx(path)
    return {path.relative_to(raw).as_posix(): len(frame)}


def _applications(rng: np.random.Generator, raw: Path) -> dict[str, int]:
    days = daily_index()
    spring_fall = 1 + 0.25 * np.cos(4 * math.pi * (days.day_of_year.to_numpy() - 75) / 365.25)
    lam = 2.5 * spring_fall * (1 + 0.45 * ramp(days, PAY_RAISE, 8))
    counts = rng.poisson(lam)
    dates = pd.DatetimeIndex(np.repeat(days.to_numpy(), counts))
    n = len(dates)
    applicant = rng.integers(300_000, 300_000 + int(n * 0.85), size=n)
    frame = pd.DataFrame(
        {
            "Application ID": [f"APP-{i:06d}" for i in range(1, n + 1)],
            "Date Submitted": dates.strftime("%Y-%m-%d"),
            "Department": "Police",
            "Position": choice(rng, {"Police Officer Recruit": 0.86, "Lateral Police Officer": 0.14}, n),
            "Applicant ID": np.char.add("A", applicant.astype(str)),
        }
    )
    path = raw / "hr" / "police_applications.csv"
    write_csv(frame, path)
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
    write_csv(frame.reset_index(drop=True), path)
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
    write_csv(frame, path)
    return {path.relative_to(raw).as_posix(): len(frame)}


def _webpage_views(rng: np.random.Generator, raw: Path) -> dict[str, int]:
    """Monthly views of the report's pages, as ``helpers page-views`` writes them from the web
    server's logs, the Spanish edition read less."""
    from ..data.access_logs import section_of

    pages = {
        "index.html": 900.0,
        "objective-2-1.html": 320.0,
        "objective-2-2.html": 240.0,
        "objective-2-3.html": 260.0,
        "about-the-data.html": 90.0,
        "archive.html": 40.0,
        "districts/index.html": 210.0,
        **{f"districts/d{n}.html": 70.0 for n in range(1, 6)},
        "measures/calls_911.html": 120.0,
        "measures/crime_part1.html": 110.0,
        "measures/staffing.html": 60.0,
        "measures/calls_911/embed.html": 150.0,
    }
    rows = []
    for i, month in enumerate(months_between(START, END)):
        awareness = 1 + 0.55 * min(1, max(0, (i - 18) / 18))
        for edition, share in (("", 1.0), ("es/", 0.12)):
            for page, base in pages.items():
                views = int(rng.poisson(base * share * awareness * (1 + 0.1 * math.sin(i / 2.0))))
                name = edition + page
                rows.append(
                    {"month": pd.Timestamp(month), "page": name, "section": section_of(name), "views": views}
                )
    frame = pd.DataFrame(rows).sort_values(["month", "page"]).reset_index(drop=True)
    frame["month"] = frame["month"].astype("datetime64[ms]")
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
    files |= write_cad(cad_events(rng, scale), raw)
    files |= _crime(rng, scale, raw)
    files |= _staffing(rng, raw)
    files |= _applications(rng, raw)
    files |= _joint_events(rng, raw)
    files |= _tutoring(rng, raw)
    files |= _webpage_views(rng, raw)
    files |= write_districts(raw)
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
