"""Every district measure computed again for each police district, and for the calls with no
district recorded, with the same kind of calculation, coverage and privacy atoms as citywide.

Each district row's atoms are the citywide atoms split by district (``...@D3``); the gate then
sees that a citywide cell is the sum of its districts' cells (``gate.expand_atoms``), so a hidden
district cannot be worked out from the city total, the other districts or the previous quarter.
Counts of calls in a district are counts of events involving people: each is published only
when it is 0 or at least the privacy floor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..params.districts import NOT_RECORDED, Districts
from .gate import DISTRICT_MARK
from .kinds import Accumulator
from .pieces import Piece

DISTRICT_COLUMN = "district"  # "" on citywide rows


def district_codes(districts: Districts) -> list[str]:
    """Every district in its fixed order, then the calls with no district recorded."""
    return [*(d.id for d in districts.areas), NOT_RECORDED]


def district_groups(piece: Piece, districts: Districts) -> np.ndarray:
    """Each row's place in ``district_codes``: its district's, or the last (no district
    recorded); -1 for a district the plan does not list, which is counted in none."""
    codes, names = piece.codes(districts.column)
    listed = district_codes(districts)
    places = {name: i for i, name in enumerate(listed[:-1])}
    # the last entry answers code -1: no district recorded
    lookup = np.array([places.get(name, -1) for name in names] + [len(listed) - 1], dtype=np.int32)
    return lookup[codes]


def count_by_district(
    piece: Piece, districts: Districts, by_district: dict[str, dict[str, Accumulator]]
) -> None:
    """Add the piece to each district's accumulators (``by_district``: district -> measure ->
    accumulator), each measure's conditions worked out once for all districts."""
    groups = district_groups(piece, districts)
    for measure in districts.measures:
        each = [by_district[district][measure] for district in district_codes(districts)]
        each[0].add_by_group(piece, groups, each)


def of_district(rows: pd.DataFrame, district: str) -> pd.DataFrame:
    """A measure's rows computed on one district's records, made that district's: atoms split
    by district, and every count gated as events involving people (small counts in a district
    are hidden whatever the citywide measure's privacy)."""
    rows = rows.copy()
    rows["atoms"] = [[f"{atom}{DISTRICT_MARK}{district}" for atom in atoms] for atoms in rows["atoms"]]
    rows["privacy_counts"] = [[value] for value in rows["value"]]
    rows[DISTRICT_COLUMN] = district
    return rows
