"""Counts (or sums) per series and month: what a measure keeps of a source's pieces between one
piece and the next, whatever the size of the source."""

from __future__ import annotations

import numpy as np


class MonthGrid:
    """Counts (or sums) per series code and month, added up piece by piece (``np.bincount``)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names  # the codebook's names: it grows as pieces bring new codes
        self.values = np.zeros((0, 0))
        self.first_month = 0

    def add(
        self,
        codes: np.ndarray,
        month: np.ndarray,
        mask: np.ndarray,
        weights: np.ndarray | None,
        months: tuple[int, int] | None = None,
    ) -> None:
        """Count (or sum ``weights`` of) the rows in ``mask`` with a code. ``months``, the first
        and last of ``month`` when the caller knows them, saves looking them up."""
        coded = bool(len(codes)) and int(codes.min()) >= 0
        keep = mask if coded else mask & (codes >= 0)
        kept = int(np.count_nonzero(keep))
        if not kept:
            return
        self._fit(*(months or (int(month.min()), int(month.max()))))  # the piece's months
        if kept * 4 < len(keep):  # few rows: those alone are counted
            codes, month = codes[keep], month[keep]
            weights = None if weights is None else weights[keep]
        elif kept < len(keep):  # most rows: every row is counted, those left out weighing 0
            weights = keep if weights is None else np.where(keep, weights, 0.0)
            codes = codes if coded else np.where(keep, codes, 0)
        span = self.values.shape[1]
        key = codes.astype(np.int64) * span + (month - self.first_month)
        counted = np.bincount(key, weights=weights, minlength=self.values.size)
        self.values += counted.reshape(self.values.shape)

    def _fit(self, low: int, high: int) -> None:
        rows, span = self.values.shape
        first = min(low, self.first_month) if span else low
        last = max(high, self.first_month + span - 1) if span else high
        if rows == len(self.names) and first == self.first_month and last - first + 1 == span:
            return
        grown = np.zeros((len(self.names), last - first + 1))
        grown[:rows, self.first_month - first : self.first_month - first + span] = self.values
        self.values, self.first_month = grown, first

    def merge(self, other: MonthGrid) -> None:
        """Add another grid's counts (of the same codebook) to these."""
        if not other.values.size:
            return
        rows, span = other.values.shape
        self._fit(other.first_month, other.first_month + span - 1)
        offset = other.first_month - self.first_month
        self.values[:rows, offset : offset + span] += other.values

    def present(self) -> list[str]:
        return [self.names[i] for i in range(self.values.shape[0]) if self.values[i].any()]

    def total(self, codes: list[str], months: list[int]) -> float:
        index = {name: i for i, name in enumerate(self.names[: self.values.shape[0]])}
        total = 0.0
        for code in codes:
            if code not in index:
                continue
            grid_row = self.values[index[code]]
            for month in months:
                position = month - self.first_month
                if 0 <= position < len(grid_row):
                    total += float(grid_row[position])
        return total
