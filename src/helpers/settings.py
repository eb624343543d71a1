"""All of ``params/`` loaded and cross-checked at once, so every stage starts from valid settings."""

from __future__ import annotations

from dataclasses import dataclass

from .paths import ProjectPaths
from .plan import Plan, check_plan_against_sources, load_plan
from .privacy import PrivacyRules, load_privacy
from .sources import SourcesConfig, file_sha256, load_sources


@dataclass(frozen=True)
class Settings:
    paths: ProjectPaths
    plan: Plan
    sources: SourcesConfig
    privacy: PrivacyRules

    def file_hashes(self) -> dict[str, str]:
        """SHA-256 of each settings file, for manifests and cache keys."""
        files = {name: self.paths.params / name for name in ("plan.yml", "sources.yml", "privacy.yml")}
        return {name: file_sha256(path) for name, path in files.items()}

    def populations(self) -> dict[str, str]:
        return {m.id: m.population_key for m in self.plan.measures}


def load_settings(paths: ProjectPaths) -> Settings:
    plan = load_plan(paths.params / "plan.yml")
    sources = load_sources(paths.params / "sources.yml")
    privacy = load_privacy(paths.params / "privacy.yml")
    dates = {
        name: {c for c, col in spec.columns.items() if col.type in {"date", "datetime"}}
        for name, spec in sources.sources.items()
    }
    check_plan_against_sources(
        plan, "params/plan.yml", sources.columns_by_source(), dates, sources.person_columns()
    )
    return Settings(paths, plan, sources, privacy)
