"""Counts (or sums) per series and month: what a measure keeps of a source's pieces between one
piece and the next, whatever the size of the source."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cells:
    """Each row's cell in a small grid of its piece's own months: ``(code + 1) * span + month -
    first``, where row 0 takes the rows without a code (a missing series value), which never
    count. Made once per piece and series column, and shared by every grid counting by them."""

    index: np.ndarray
    codes: int  # codes the small grid has rows for (0 to codes - 1), besides row 0
    first: int  # its first month
    span: int  # and how many months it has

    @classmethod
    def of(
        cls, codes: np.ndarray, month: np.ndarray, known: int, months: tuple[int, int] | None = None
    ) -> Cells:
        """The cells of rows with ``codes`` (-1: none; each below ``known``) in ``month``.
        ``months``, the first and last of ``month`` when the caller knows them, saves looking
        them up."""
        if not len(month):
            return cls(np.zeros(0, dtype=np.int64), known, 0, 0)
        first, last = months or (int(month.min()), int(month.max()))
        span = last - first + 1
        index = np.multiply(codes, span, dtype=np.int64)  # made in place: no temporaries
        index += month
        index += span - first
        return cls(index, known, first, span)


class MonthGrid:
    """Counts (or sums) per series code and month, added up piece by piece (``np.bincount``)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names  # the codebook's names: it grows as pieces bring new codes
        self.values = np.zeros((0, 0))
        self.first_month = 0

    def add(self, cells: Cells, mask: np.ndarray, weights: np.ndarray | None) -> None:
        """Count (or sum ``weights`` of) the rows in ``mask`` that have a code."""
        counted = _bincount(cells.index, mask, weights, (cells.codes + 1) * cells.span)
        if counted is not None:
            self.add_counts(cells, counted.reshape(cells.codes + 1, cells.span))

    def add_counts(self, cells: Cells, counted: np.ndarray) -> None:
        """Add counts made by the cells of ``cells`` (one row per code, row 0 first)."""
        self._fit(cells.first, cells.first + cells.span - 1)
        offset = cells.first - self.first_month
        self.values[: cells.codes, offset : offset + cells.span] += counted[1:]  # row 0: no code

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


def counts_by_group(
    cells: Cells, mask: np.ndarray, weights: np.ndarray | None, groups: np.ndarray, count: int
) -> list[np.ndarray | None]:
    """For each of ``count`` groups (``groups``: each row's group, -1 for none), what
    ``MonthGrid.add`` counts of the group's rows alone (None for a group with no row in
    ``mask``), in one bincount for them all. Each cell adds up the same rows in the same order
    as the group's rows counted alone, so that sums are the same to the last bit."""
    size = (cells.codes + 1) * cells.span
    kept = mask & (groups >= 0)
    rows = int(np.count_nonzero(kept))
    if not rows:
        return [None] * count
    if rows * 4 < len(kept):  # few rows: those alone are counted
        picked = np.flatnonzero(kept)
        members = groups[picked]
        index = members.astype(np.int64) * size + cells.index[picked]
        weights = None if weights is None else weights[picked]
    else:  # most rows: every row is counted, those left out weighing 0 in group 0
        every = rows == len(kept)
        members = groups if every else groups[kept]
        index = np.multiply(groups if every else np.where(kept, groups, 0), size, dtype=np.int64)
        index += cells.index
        if not every:
            weights = kept if weights is None else np.where(kept, weights, 0.0)
    counted = np.bincount(index, weights=weights, minlength=size * count)
    present = np.bincount(members, minlength=count) > 0
    shaped = counted.reshape(count, cells.codes + 1, cells.span)
    return [shaped[g] if present[g] else None for g in range(count)]


def _bincount(
    index: np.ndarray, mask: np.ndarray, weights: np.ndarray | None, size: int
) -> np.ndarray | None:
    """Counts (or sums of ``weights``) of the rows in ``mask`` per cell of ``index`` (None when
    none is kept): the rows kept picked out when few, every row counted when most, those left
    out weighing 0."""
    kept = int(np.count_nonzero(mask))
    if not kept:
        return None
    if kept * 4 < len(mask):  # few rows: those alone are counted
        index = index[mask]
        weights = None if weights is None else weights[mask]
    elif kept < len(mask):  # most rows: every row is counted, those left out weighing 0
        weights = mask if weights is None else np.where(mask, weights, 0.0)
    return np.bincount(index, weights=weights, minlength=size)
