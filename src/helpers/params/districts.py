"""The police districts as data: which they are, in which fixed order they are shown, the column
of the events that places each call, the area sources that draw and count them, and which
measures are reported per district. Adding or renaming a district is a change to
``params/plan.yml`` (and its Spanish name), never to code.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from ..core.config import StrictModel, slugify
from .sources import SourcesConfig

NOT_RECORDED = "not_recorded"  # the code of calls without a district, in tables and CSVs


class District(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("name", "area")

    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    name: str  # "District 3"
    area: str  # where it is, in plain words: "West Durham"

    @property
    def slug(self) -> str:
        """The page's file name under districts/ (the id, lower case)."""
        return slugify(self.id)


class Districts(StrictModel):
    """Police districts: one page each, from ``notebooks/district.ipynb``, and an overview."""

    translated: ClassVar[tuple[str, ...]] = ("not_recorded", "rate_note")

    events: str  # "<source>.<column>": the column of the events that holds each call's district
    boundaries: str  # the area source with the polygons (params/sources.yml, areas:)
    population: str  # the area source with the residents
    measures: list[str] = Field(min_length=1)  # reported for every district, in this order
    rate_measure: str  # the overview's map and funnel plot: this measure per 1,000 residents
    rate_note: str  # why that rate, in one plain sentence
    not_recorded: str  # what a call without a district is called
    areas: list[District] = Field(min_length=2)  # the fixed geographic order of every panel

    @model_validator(mode="after")
    def _consistent(self) -> Districts:
        ids = [d.id for d in self.areas]
        if len(set(ids)) != len(ids):
            raise ValueError("district ids are repeated. Fix: list every district once")
        if self.rate_measure not in self.measures:
            raise ValueError(
                f"rate_measure '{self.rate_measure}' is not one of the district measures. "
                "Fix: add it to measures or choose one of them"
            )
        return self

    def district(self, district_id: str) -> District:
        for district in self.areas:
            if district.id == district_id:
                return district
        raise KeyError(
            f"'{district_id}' is not a district in params/plan.yml; the districts are "
            f"{', '.join(d.id for d in self.areas)}"
        )

    @property
    def source(self) -> str:
        return self.events.split(".", 1)[0]

    @property
    def column(self) -> str:
        return self.events.split(".", 1)[1]


def check_districts(
    districts: Districts | None, sources: SourcesConfig, measures: dict[str, tuple[str, str, str]]
) -> None:
    """The districts against the sources: the events' column, the two area sources, and the
    district measures. ``measures``: measure id -> (source, kind, privacy)."""
    if districts is None:
        return
    spec = sources.sources.get(districts.source)
    if spec is None or districts.column not in spec.columns:
        raise ValueError(
            f"districts.events names {districts.events}, which is not a source's column in "
            "params/sources.yml. Fix: name the column of the 911 export that holds the district"
        )
    allowed = set(spec.columns[districts.column].allowed or [])
    ids = {d.id for d in districts.areas}
    if allowed != ids:
        raise ValueError(
            f"the districts in params/plan.yml ({', '.join(sorted(ids))}) are not the values "
            f"{districts.events} allows in params/sources.yml ({', '.join(sorted(allowed))}). "
            "Fix: list the same ids in both"
        )
    for key in ("boundaries", "population"):
        name = getattr(districts, key)
        area = sources.areas.get(name)
        wanted = "geojson" if key == "boundaries" else "csv"
        if area is None or area.format != wanted:
            raise ValueError(
                f"districts.{key} names '{name}', which is not a {wanted} area in "
                f"params/sources.yml. Fix: use one of {', '.join(sorted(sources.areas)) or 'none (add it)'}"
            )
    for measure_id in districts.measures:
        if measure_id not in measures:
            raise ValueError(
                f"districts.measures names '{measure_id}', which is not a measure. Fix: add it "
                "under measures or correct the id"
            )
        source, kind, privacy = measures[measure_id]
        if source != districts.source or kind != "count" or privacy == "aggregate":
            raise ValueError(
                f"districts.measures names '{measure_id}', which is not a count of "
                f"{districts.source} with privacy person_events or people: only counts of the "
                "events that carry a district, gated as events involving people, are reported "
                "per district. Fix: list only such measures"
            )
