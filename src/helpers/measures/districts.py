"""Every district measure computed again for each police district, and for the calls with no
district recorded, with the same kind of calculation, coverage and privacy atoms as citywide.

Each district row's atoms are the citywide atoms split by district (``...@D3``); the gate then
sees that a citywide cell is the sum of its districts' cells (``gate.expand_atoms``), so a hidden
district cannot be worked out from the city total, the other districts or the previous quarter.
Counts of calls in a district are counts of events involving people: each is published only
when it is 0 or at least the privacy floor.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..params.districts import NOT_RECORDED, Districts
from .gate import DISTRICT_MARK
from .pieces import Piece

DISTRICT_COLUMN = "district"  # "" on citywide rows


def district_codes(districts: Districts) -> list[str]:
    """Every district in its fixed order, then the calls with no district recorded."""
    return [*(d.id for d in districts.areas), NOT_RECORDED]


def split_by_district(
    piece: Piece, districts: Districts, columns: list[str] | None = None
) -> Iterator[tuple[str, Piece]]:
    """A piece's rows of each district (and of none), in the districts' fixed order, with only
    ``columns`` (those the district measures read). The rows are grouped by district once, in
    their order within each district, so that each district is a slice of one copy."""
    codes, names = piece.codes(districts.column)
    narrow = next((t for t in (np.int8, np.int16) if len(names) < np.iinfo(t).max), None)
    order = np.argsort(codes.astype(narrow) if narrow else codes, kind="stable")  # a radix sort
    grouped, grouped_codes = piece.take(order, columns), codes[order]
    for district in district_codes(districts):
        code = -1 if district == NOT_RECORDED else names.index(district) if district in names else None
        if code is None:
            yield district, grouped.rows(0, 0)
            continue
        # bounds of the codes' own type: numpy would otherwise convert every code to compare
        bounds = np.array([code, code + 1], dtype=grouped_codes.dtype)
        start, end = np.searchsorted(grouped_codes, bounds)
        yield district, grouped.rows(int(start), int(end))


def of_district(rows: pd.DataFrame, district: str) -> pd.DataFrame:
    """A measure's rows computed on one district's records, made that district's: atoms split
    by district, and every count gated as events involving people (small counts in a district
    are hidden whatever the citywide measure's privacy)."""
    rows = rows.copy()
    rows["atoms"] = [[f"{atom}{DISTRICT_MARK}{district}" for atom in atoms] for atoms in rows["atoms"]]
    rows["privacy_counts"] = [[value] for value in rows["value"]]
    rows[DISTRICT_COLUMN] = district
    return rows
