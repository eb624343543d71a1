"""The privacy gate: the rules of publishing-rules.md section 1, applied as code.

Every measure table passes through ``gate`` before it is written for publication:

* primary suppression: a count of people or person-events between 1 and floor-1 is hidden, and so
  is every rate, average or share built on such a count;
* the concentration rule: "x% of neighbors make up y% of responses" is hidden when the top group
  has fewer people than the floor;
* secondary suppression: a hidden cell must not be recoverable by arithmetic from other published
  cells: totals minus parts, other tables of the same people, or what the previous quarter's
  report published (year-to-date minus last quarter's year-to-date).

Recoverability is decided exactly, not by rule of thumb: each additive cell is a sum of "atoms"
(one series in one month), each published cell is a linear equation over atoms, and a hidden cell
can be worked out precisely when its atom vector lies in the span of the published equations. The
gate adds complementary suppressions until no hidden cell can be worked out, and fails the build
if that is impossible. ``audit`` re-checks a set of tables from scratch.

``scan_files`` is the last line of defence: it looks for person keys and record numbers in every
file that is about to be published.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..params.privacy import PrivacyRules

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

# numpy, pandas and pyarrow are imported inside the functions that compute: the rules model above
# is loaded on every run, including runs that have nothing to do and must start quickly.

KEY_COLUMNS = ["measure", "period", "series", "district"]  # district: "" for citywide rows
DISTRICT_MARK = "@"  # a district's atom: the citywide atom, "@", the district code
HIDDEN_COLUMNS = ["value", "numerator", "denominator", "count"]


class PrivacyError(RuntimeError):
    """The gate could not make a table safe; the build must stop."""


@dataclass
class GateSummary:
    primary: dict[str, int] = field(default_factory=dict)
    secondary: dict[str, int] = field(default_factory=dict)
    concentration: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            "primary": dict(sorted(self.primary.items())),
            "secondary": dict(sorted(self.secondary.items())),
            "concentration": dict(sorted(self.concentration.items())),
        }


# --------------------------------------------------------------------------------------------
# Primary suppression


def _primary(row: Any, floor: int, concentration_floor: int) -> str | None:
    """Why a row must be hidden on its own: a small count of people, or a small top group."""
    if any(0 < count < floor for count in _counts(row.privacy_counts)):
        return "primary"
    group = row.min_group
    if (
        group is not None
        and not (isinstance(group, float) and math.isnan(group))
        and group < concentration_floor
    ):
        return "concentration"
    return None


# --------------------------------------------------------------------------------------------
# Secondary suppression over atoms


@dataclass
class _System:
    """The additive cells of one population, as rows of a 0/1 matrix over atoms."""

    atoms: list[str]
    index: dict[str, int]

    @classmethod
    def over(cls, atom_lists: Iterable[Sequence[str]]) -> _System:
        atoms = sorted({a for atoms in atom_lists for a in atoms})
        return cls(atoms, {a: i for i, a in enumerate(atoms)})

    def vector(self, atoms: Sequence[str]) -> np.ndarray:
        import numpy as np

        vec = np.zeros(len(self.atoms))
        for atom in atoms:
            vec[self.index[atom]] = 1.0
        return vec


def _rank(matrix: np.ndarray) -> int:
    import numpy as np

    if matrix.size == 0:
        return 0
    return int(np.linalg.matrix_rank(matrix))


def _recoverable(target: np.ndarray, published: np.ndarray) -> bool:
    """True when ``target`` is a linear combination of the rows of ``published``."""
    import numpy as np

    if published.size == 0:
        return False
    base = _rank(published)
    return _rank(np.vstack([published, target])) == base


def _atoms_of(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return list(value)


def expand_atoms(*frames: pd.DataFrame | None) -> None:
    """Write each citywide atom that is also split by district (``a`` and ``a@D3``) as the sum
    of its district atoms, in place, so the gate sees that a city total is its districts' sum.
    A previous publication written before districts existed is expanded the same way."""
    present = [f for f in frames if f is not None and not f.empty]
    children: dict[str, list[str]] = {}
    for frame in present:
        for atoms in frame["atoms"]:
            for atom in _atoms_of(atoms):
                head, at, _ = atom.partition(DISTRICT_MARK)
                if at:
                    children.setdefault(head, []).append(atom)
    if not children:
        return
    fine = {head: sorted(set(atoms)) for head, atoms in children.items()}
    for frame in present:
        frame["atoms"] = [
            [child for atom in _atoms_of(atoms) for child in fine.get(atom, [atom])]
            for atoms in frame["atoms"]
        ]


def _with_district(frame: pd.DataFrame) -> pd.DataFrame:
    if "district" in frame.columns:
        return frame.assign(district=frame["district"].fillna(""))
    return frame.assign(district="")


def _secondary(
    frame: pd.DataFrame, suppressed: pd.Series, previous: pd.DataFrame | None, populations: dict[str, str]
) -> tuple[pd.Series, list[str]]:
    """Add complementary suppressions until no suppressed additive cell is recoverable."""
    import numpy as np

    suppressed = suppressed.copy()
    reasons: list[str] = []
    frame = frame.assign(population=frame["measure"].map(populations))
    prev = None
    if previous is not None and not previous.empty:
        prev = previous.assign(population=previous["measure"].map(populations))
        current_keys = set(map(tuple, frame[KEY_COLUMNS].to_numpy()))
        keep = [tuple(k) not in current_keys for k in prev[KEY_COLUMNS].to_numpy()]
        prev = prev[np.array(keep, dtype=bool) & ~prev["suppressed"].to_numpy(dtype=bool)]
    for population, rows in frame.groupby("population", sort=True):
        additive = rows[rows["atoms"].map(lambda a: len(_atoms_of(a)) > 0)]
        if additive.empty or not suppressed.loc[additive.index].any():
            continue
        prev_rows = (
            prev[(prev["population"] == population) & prev["atoms"].map(lambda a: len(_atoms_of(a)) > 0)]
            if prev is not None
            else additive.iloc[0:0]
        )
        for now, before in components(additive, prev_rows):
            if not suppressed.loc[now.index].any():
                continue
            cells = _Cells(now, before)
            for _ in range(len(now) + 1):
                exposed = cells.exposed(suppressed)
                if not exposed:
                    break
                chosen = cells.complement(exposed[0], suppressed)
                suppressed.loc[chosen] = True
                reasons.append(str(now.at[chosen, "measure"]))
            else:  # pragma: no cover - the loop bound is the number of cells
                raise PrivacyError(f"secondary suppression did not settle for {population}")
    return suppressed, reasons


def components(now: pd.DataFrame, before: pd.DataFrame) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """The cells split into groups that share no atom (a month of a monthly table and its
    districts, say): a cell can only be worked out from cells that share its atoms, so each
    group is solved on its own, exactly, with small matrices."""
    parent: dict[str, str] = {}

    def root(atom: str) -> str:
        while parent.setdefault(atom, atom) != atom:
            parent[atom] = parent[parent[atom]]
            atom = parent[atom]
        return atom

    for frame in (now, before):
        for atoms in frame["atoms"]:
            atoms = _atoms_of(atoms)
            first = root(atoms[0])
            for atom in atoms[1:]:
                parent[root(atom)] = first

    def group(frame: pd.DataFrame) -> pd.Series:
        return frame["atoms"].map(lambda atoms: root(_atoms_of(atoms)[0]))

    # split once (rows keep their order), not filtered once per group
    now_parts = dict(list(now.groupby(group(now), sort=False)))
    if not len(before):
        return [(part, before) for part in now_parts.values()]
    before_parts = dict(list(before.groupby(group(before), sort=False)))
    return [(part, before_parts.get(key, before.iloc[0:0])) for key, part in now_parts.items()]


class _Cells:
    """The additive cells of one population (this quarter's, and what the previous report
    published, which stays published) as linear equations over their atoms."""

    def __init__(self, additive: pd.DataFrame, previous: pd.DataFrame) -> None:
        import numpy as np

        self.additive = additive
        self.system = _System.over(
            list(additive["atoms"].map(_atoms_of)) + list(previous["atoms"].map(_atoms_of))
        )
        self.vectors = {i: self.system.vector(_atoms_of(a)) for i, a in additive["atoms"].items()}
        fixed = np.array([self.system.vector(_atoms_of(a)) for a in previous["atoms"]])
        self.fixed = fixed.reshape(-1, len(self.system.atoms))

    def _hidden(self, hidden: pd.Series) -> list[tuple[Any, bool]]:
        """Each of these cells with whether it is hidden (looked up once, not cell by cell)."""
        index = self.additive.index
        return list(zip(index, hidden.loc[index].to_numpy(dtype=bool).tolist()))

    def published(self, flags: list[tuple[Any, bool]], also: Any = None) -> np.ndarray:
        """The published cells' vectors (``flags`` is ``_hidden``'s answer; ``also`` is hidden
        too), and the previous report's."""
        import numpy as np

        rows = [self.vectors[i] for i, off in flags if not off and i != also]
        matrix = np.array(rows).reshape(-1, len(self.system.atoms))
        return np.vstack([matrix, self.fixed]) if self.fixed.size else matrix

    def exposed(self, hidden: pd.Series) -> list[Any]:
        """The hidden cells that the published ones let anyone work out."""
        flags = self._hidden(hidden)
        published = self.published(flags)
        return [i for i, off in flags if off and _recoverable(self.vectors[i], published)]

    def witnesses(self, target: Any, hidden: pd.Series) -> set[Any]:
        """This quarter's published cells that one way of working ``target`` out uses (the
        least-squares combination of published cells that gives it)."""
        import numpy as np

        shown = [i for i, off in self._hidden(hidden) if not off]
        if not shown:
            return set()
        matrix = np.array([self.vectors[i] for i in shown])
        rows = np.vstack([matrix, self.fixed]) if self.fixed.size else matrix
        weights, *_ = np.linalg.lstsq(rows.T, self.vectors[target], rcond=None)
        return {i for i, w in zip(shown, weights[: len(shown)]) if abs(w) > 1e-9}

    def complement(self, target: Any, hidden: pd.Series) -> Any:
        """The cell to hide as well so that ``target`` can no longer be worked out: the least
        informative that works (the smallest non-zero value, so that totals, what residents read
        first, stay visible whenever a part can go instead)."""
        additive = self.additive
        candidates = additive[~hidden.loc[additive.index]]
        order = candidates.assign(
            _zero=candidates["value"].fillna(0).eq(0),
            _value=candidates["value"].fillna(0),
        ).sort_values(["_zero", "_value", "period", "series"], kind="stable")
        flags = self._hidden(hidden)  # the same for every candidate tried
        for candidate in order.index:
            if not _recoverable(self.vectors[target], self.published(flags, also=candidate)):
                return candidate
        # No single cell is enough (a table with margins both ways, such as months by district
        # and department): hide one cell of a way to work it out, and the caller looks again.
        witnesses = self.witnesses(target, hidden)
        for candidate in order.index:
            if candidate in witnesses:
                return candidate
        key = ", ".join(str(additive.at[target, c]) for c in KEY_COLUMNS)
        raise PrivacyError(
            f"The hidden cell ({key}) can be worked out from cells already published "
            "(for example in the previous quarter's report) and no further suppression in "
            "this quarter prevents it. Review the measure's series and periods, or ask the "
            "privacy officer before publishing."
        )


# --------------------------------------------------------------------------------------------
# The gate


def gate(
    frame: pd.DataFrame,
    rules: PrivacyRules,
    populations: dict[str, str],
    previous: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, GateSummary]:
    """Suppress what the rules require and return the publishable table.

    ``frame`` holds the rows of every measure of one publication (columns ``measure, period,
    series, value, numerator, denominator, privacy_counts, min_group, atoms``). ``previous`` is the
    previous quarter's gated publication, whose published cells count as known to everyone.
    """
    import numpy as np
    import pandas as pd

    frame = _with_district(frame.reset_index(drop=True))
    previous = _with_district(previous) if previous is not None else None
    expand_atoms(frame, previous)
    summary = GateSummary()
    reason = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    for row in frame[["measure", "privacy_counts", "min_group"]].itertuples():  # only what is read
        why = _primary(row, rules.floor, rules.concentration_floor)
        if why:
            reason.loc[row.Index] = why
            bucket = summary.primary if why == "primary" else summary.concentration
            bucket[row.measure] = bucket.get(row.measure, 0) + 1
    suppressed = reason.notna()
    suppressed, extra = _secondary(frame, suppressed, previous, populations)
    for measure in extra:
        summary.secondary[measure] = summary.secondary.get(measure, 0) + 1
    reason = reason.where(reason.notna(), np.where(suppressed, "secondary", None))
    gated = frame.copy()
    gated["suppressed"] = suppressed.to_numpy(dtype=bool)
    gated["suppression"] = reason.where(suppressed, None)
    for column in HIDDEN_COLUMNS:
        if column in gated.columns:
            gated.loc[gated["suppressed"], column] = np.nan
    gated["unstable"] = [
        (not hidden) and any(rules.floor <= c <= rules.unstable_at_or_below for c in _counts(counts))
        for hidden, counts in zip(gated["suppressed"], gated["privacy_counts"])
    ]
    return gated.drop(columns=["privacy_counts", "min_group"]), summary


def _counts(value: Any) -> list[float]:
    """The counts of people behind a row (a list, an array, or nothing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [float(c) for c in value if c is not None and not (isinstance(c, float) and math.isnan(c))]


def audit(
    gated: pd.DataFrame, populations: dict[str, str], previous: pd.DataFrame | None = None
) -> list[tuple[str, str, str, str]]:
    """Keys of hidden cells (measure, period, series, district; "" for the city) that published
    cells, now and last quarter, let anyone work out."""
    import numpy as np
    import pandas as pd

    gated = _with_district(gated)
    previous = _with_district(previous) if previous is not None else None
    expand_atoms(gated, previous)
    frames = [gated.assign(_now=True)]
    if previous is not None and not previous.empty:
        current_keys = set(map(tuple, gated[KEY_COLUMNS].to_numpy()))
        prev = previous[[tuple(k) not in current_keys for k in previous[KEY_COLUMNS].to_numpy()]]
        frames.append(prev.assign(_now=False))
    everything = pd.concat(frames, ignore_index=True)
    everything["population"] = everything["measure"].map(populations)
    exposed: list[tuple[str, str, str]] = []
    for _, rows in everything.groupby("population", sort=True):
        additive = rows[rows["atoms"].map(lambda a: len(_atoms_of(a)) > 0)]
        for group, _ in components(additive, additive.iloc[0:0]):
            if not (group["suppressed"] & group["_now"]).any():
                continue
            system = _System.over(group["atoms"].map(_atoms_of))
            published = np.array(
                [
                    system.vector(_atoms_of(a))
                    for a, hidden in zip(group["atoms"], group["suppressed"])
                    if not hidden
                ]
            ).reshape(-1, len(system.atoms))
            for row in group[group["suppressed"] & group["_now"]].itertuples():
                if _recoverable(system.vector(_atoms_of(row.atoms)), published):
                    exposed.append((row.measure, row.period, row.series, row.district))
    return exposed


# --------------------------------------------------------------------------------------------
# Scanning files about to be published


@dataclass(frozen=True)
class Finding:
    file: str
    token: str
    reason: str


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*[A-Za-z0-9]")
TEXT_SUFFIXES = {
    ".html",
    ".htm",
    ".csv",
    ".json",
    ".js",
    ".css",
    ".xml",
    ".txt",
    ".md",
    ".svg",
    ".ipynb",
    ".yml",
    ".yaml",
    ".qmd",
}


def _tokens(text: str, min_length: int) -> set[str]:
    return {t for t in _TOKEN.findall(text) if len(t) >= min_length}


def scan_files(
    files: Iterable[Path],
    root: Path,
    identifiers: dict[str, pa.ChunkedArray],
    hashed_people: pa.ChunkedArray | None,
    key: bytes | None,
    digest_chars: int,
    rules: PrivacyRules,
) -> list[Finding]:
    """Person keys (raw or hashed), record numbers and key-like tokens in any published file.

    ``identifiers`` maps a label (``cad_events.event_id``) to the column's values; tokens are
    matched in Arrow so even millions of record numbers are checked without a Python set.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..data.finishing import KeyedDigest

    patterns = [re.compile(p) for p in rules.identifier_scan.forbidden_patterns]
    by_token: dict[str, list[str]] = {}
    for path in files:
        if path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        relative = path.relative_to(root).as_posix()
        for token in _tokens(text, rules.identifier_scan.min_token_length):
            by_token.setdefault(token, []).append(relative)
    if not by_token:
        return []
    findings: list[Finding] = []
    tokens = sorted(by_token)
    token_array = pa.array(tokens, pa.string())

    def matched(column: pa.ChunkedArray | pa.Array, candidates: pa.Array) -> set[str]:
        # Probe the (possibly huge) column against the small token set, not the other way round.
        hits = pc.filter(column, pc.is_in(column, value_set=candidates))
        return set(pc.unique(hits).to_pylist())

    for label, column in identifiers.items():
        for token in sorted(matched(column, token_array)):
            findings.extend(Finding(f, "(withheld)", f"record number from {label}") for f in by_token[token])
    if hashed_people is not None and len(hashed_people):
        for token in sorted(matched(hashed_people, token_array)):
            findings.extend(Finding(f, "(withheld)", "pseudonymised person key") for f in by_token[token])
        if key is not None:
            digest = KeyedDigest(key, digest_chars)
            digests = {digest(t): t for t in tokens}
            for digest in sorted(matched(hashed_people, pa.array(list(digests), pa.string()))):
                findings.extend(Finding(f, "(withheld)", "raw person key") for f in by_token[digests[digest]])
    for token in tokens:
        for pattern in patterns:
            if pattern.match(token):
                findings.extend(
                    Finding(f, "(withheld)", f"matches forbidden pattern {pattern.pattern}")
                    for f in by_token[token]
                )
                break
    return sorted(set(findings), key=lambda f: (f.file, f.reason))


def gate_counts(counts: dict[str, int], floor: int) -> dict[str, int | None]:
    """Counts of people that describe one group together (a measure's feedback: responses, found
    it clear, did not): each is 0 or at least ``floor``, and when one is hidden all are, since
    the others would give it away by subtraction. ``None`` is a hidden count."""
    small = any(0 < value < floor for value in counts.values())
    return {name: None if small else value for name, value in counts.items()}
