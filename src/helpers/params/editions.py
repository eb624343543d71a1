"""Each edition of a quarter's report, ready to execute: its settings and quarter texts in its
language, its pages, and the texts it still has no (current) translation for; and the one rule
that decides whether such an edition may be published (the translation gate), which the run and
``helpers check`` both ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.config import ConfigError, ConfigProblem
from ..translation.catalogue import Message, missing_interface
from ..translation.edition import Edition
from ..translation.texts import Missing
from .pages import SitePage, report_pages
from .quarters import QuarterParams
from .settings import Settings


@dataclass(frozen=True)
class EditionReport:
    """One edition of the quarter's report: settings and quarter parameters in its language, its
    pages, and the texts it has no translation for yet."""

    settings: Settings
    params: QuarterParams
    pages: list[SitePage]
    missing: tuple[Missing, ...] = ()

    @property
    def edition(self) -> Edition:
        return self.settings.edition


def edition_reports(
    settings: Settings, params: QuarterParams, messages: list[Message] | None = None
) -> list[EditionReport]:
    """Every edition of the report (English first), with its texts in its language. With the
    code's ``messages``, each edition also lists the ones its interface.po lacks."""
    out = []
    for edition in settings.editions():
        local = settings.in_edition(edition)
        local_params, missing = local.quarter_in_edition(params)
        found = [*local.missing, *missing]
        if messages is not None and not edition.is_source:
            catalogue = edition.file("interface.po")
            shown = (
                str(catalogue.relative_to(settings.paths.root))
                if catalogue.is_relative_to(settings.paths.root)
                else str(catalogue)
            )
            found += missing_interface(edition, messages, shown)
        out.append(EditionReport(local, local_params, report_pages(local), tuple(found)))
    return out


# --------------------------------------------------------------------------------------------
# The translation gate


class TranslationMissing(ConfigError):
    """Texts of another edition have no translation, and the quarter file does not allow
    publishing the English text in their place."""


def publishable(params: QuarterParams, missing: list[Missing]) -> bool:
    """The translation gate: a quarter whose editions still lack translations is published only
    when its file says ``translation_pending: publish_english`` (the English then stands in,
    marked as pending)."""
    return not missing or params.translation_pending == "publish_english"


def require_translations(settings: Settings, params: QuarterParams, reports: list[EditionReport]) -> None:
    """Raise ``TranslationMissing`` listing what lacks a translation, unless the gate lets the
    quarter publish."""
    missing = [m for report in reports for m in report.missing]
    if publishable(params, missing):
        return
    shown = [
        ConfigProblem(m.file, None, m.key, f'{m.reason} (English: "{m.english[:60]}")', "translate it")
        for m in missing[:30]
    ]
    if len(missing) > 30:
        shown.append(
            ConfigProblem(
                "params/translations",
                None,
                "(more)",
                f"{len(missing) - 30} more texts",
                "run `python -m helpers check`",
            )
        )
    shown.append(
        ConfigProblem(
            str(settings.paths.quarter_file(params.quarter).relative_to(settings.paths.root)),
            None,
            "translation_pending",
            "a text without translation stops the build",
            "translate the texts above, or set `translation_pending: publish_english` to publish them "
            'in English with a visible "translation pending" note',
        )
    )
    raise TranslationMissing(shown)
