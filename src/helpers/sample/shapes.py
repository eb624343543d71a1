"""Shapes the sample data is drawn with: the calendar it covers, seasons, ramps, weighted
choices, and writers that give identical bytes for identical data."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

START = date(2022, 7, 1)
END = date(2026, 9, 30)


def daily_index() -> pd.DatetimeIndex:
    return pd.date_range(START, END, freq="D")


def season(days: pd.DatetimeIndex, amplitude: float, peak_month: int = 7) -> np.ndarray:
    angle = 2 * math.pi * (days.day_of_year.to_numpy() - (peak_month - 0.5) * 30.4) / 365.25
    return 1 + amplitude * np.cos(angle)


def years_since_start(days: pd.DatetimeIndex) -> np.ndarray:
    return (days - pd.Timestamp(START)).days.to_numpy() / 365.25


def ramp(days: pd.DatetimeIndex, start: date, months: float) -> np.ndarray:
    elapsed = (days - pd.Timestamp(start)).days.to_numpy() / (30.44 * months)
    return np.clip(elapsed, 0, 1)


def choice(rng: np.random.Generator, table: dict[str, float], size: int) -> np.ndarray:
    labels = np.array(list(table))
    weights = np.array(list(table.values()), dtype=float)
    return labels[rng.choice(len(labels), size=size, p=weights / weights.sum())]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))


def padded_ids(prefix: str, count: int, width: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(1, count + 1)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


def normalise_xlsx(path: Path) -> None:
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
