"""The privacy rules of ``params/privacy.yml``: the floor below which a count of people is
hidden, the concentration rule's group size, and what the scan of published files looks for.
The gate that applies them is ``helpers.measures.gate``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ..core.config import StrictModel, load_model


class IdentifierScan(StrictModel):
    min_token_length: int = Field(default=6, ge=4)
    forbidden_patterns: list[str] = []


class PrivacyRules(StrictModel):
    version: Literal[1]
    floor: int = Field(ge=1)
    unstable_at_or_below: int = Field(ge=0)
    concentration_min_people: int | None = None
    identifier_scan: IdentifierScan = IdentifierScan()

    @property
    def concentration_floor(self) -> int:
        return self.concentration_min_people or self.floor


def load_privacy(path: Path) -> PrivacyRules:
    return load_model(path, PrivacyRules)
