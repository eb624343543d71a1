"""Computed language: numbers, dates, fiscal quarters and sentences as each edition's readers write them."""

from __future__ import annotations

from datetime import date

import pytest

from helpers.core.language import ENGLISH, pending, pending_html, pending_plain
from helpers.core.periods import FiscalQuarter
from helpers.translation.edition import edition

from ..conftest import REPO

Q1 = FiscalQuarter.parse("FY2027Q1")


@pytest.fixture(scope="module")
def spanish():
    return edition(REPO / "params", "es").language


def test_english_formats_are_the_report_s_own():
    assert ENGLISH.number(1234) == "1,234" and ENGLISH.number(1234.56, 1) == "1,234.6"
    assert ENGLISH.percent(87.34, 1) == "87.3%"
    assert ENGLISH.date(date(2026, 10, 15)) == "October 15, 2026"
    assert ENGLISH.quarter(Q1) == "FY2027 Q1"
    assert ENGLISH.quarter_long(Q1) == "July to September 2026 (FY2027 Q1)"
    assert ENGLISH.join(["a", "b", "c"]) == "a, b and c"


def test_spanish_numbers_dates_and_quarters_follow_spanish_usage(spanish):
    assert spanish.number(1234) == "1.234"
    assert spanish.number(1234.56, 1) == "1.234,6"
    assert spanish.percent(12.5, 1) == "12,5\u00a0%"  # a no-break space: "12,5" and "%" never part
    assert spanish.date(date(2026, 10, 15)) == "15 de octubre de 2026"
    assert spanish.month(date(2026, 9, 1)) == "septiembre de 2026"
    assert spanish.weekday(0) == "lunes"
    assert spanish.quarter(Q1) == "AF2027 T1"
    assert spanish.quarter_long(Q1) == "julio a septiembre de 2026 (AF2027 T1)"
    assert spanish.join(["a", "b", "c"]) == "a, b y c"


def test_periods_of_every_grain_have_spanish_labels(spanish):
    assert (
        spanish.period_label("2026-09", "month", date(2026, 9, 1), date(2026, 9, 30)) == "septiembre de 2026"
    )
    assert spanish.period_label("FY2027", "fiscal_year", date(2026, 7, 1), date(2027, 6, 30)) == "AF2027"
    ytd = spanish.period_label("FY2027-YTD-09", "fiscal_year", date(2026, 7, 1), date(2026, 9, 30))
    assert ytd == "AF2027 (julio a septiembre, en lo que va de año)"
    rolling = spanish.period_label("12M-2026-09", "rolling_12_months", date(2025, 10, 1), date(2026, 9, 30))
    assert rolling == "12 meses hasta septiembre de 2026"


def test_plurals_follow_the_count(spanish):
    one = spanish.n_("{n} quarter", "{n} quarters", 1)
    many = spanish.n_("{n} quarter", "{n} quarters", 3)
    assert (one, many) == ("1 trimestre", "3 trimestres")
    assert ENGLISH.n_("{n} quarter", "{n} quarters", 1) == "1 quarter"


def test_gender_is_chosen_by_context_where_spanish_needs_it(spanish):
    plain = spanish._("compared with none in {period} ({value})", period="el trimestre anterior", value="0")
    feminine = spanish.p_("feminine", "compared with none in {period} ({value})", period="x", value="0")
    assert plain.startswith("frente a ninguno ") and feminine.startswith("frente a ninguna ")
    assert ENGLISH.p_("feminine", "compared with none in {period} ({value})", period="x", value="0") == (
        "compared with none in x (0)"
    )


def test_an_untranslated_message_is_english_marked_pending(spanish):
    text = spanish._("A message no catalogue has")
    assert pending_plain(text) == "A message no catalogue has (traducción pendiente)"
    shown = pending_html(f"<p>{text}</p>")
    assert shown == (
        '<p><span lang="en">A message no catalogue has</span> '
        '<span class="translation-pending">(traducción pendiente)</span></p>'
    )


def test_a_pending_text_inside_an_attribute_gets_no_markup():
    marked = pending("Chart of calls", "(translation pending)")
    shown = pending_html(f'<img alt="{marked}"><p>{marked}</p>')
    assert shown.startswith('<img alt="Chart of calls (translation pending)">')
    assert '<span lang="en">Chart of calls</span>' in shown


def test_a_pending_sentence_may_hold_links():
    marked = pending('<a href="index.html">Latest report</a> or <a href="a.html">x</a>.', "(note)")
    assert pending_html(f"<p>{marked}</p>") == (
        '<p><span lang="en"><a href="index.html">Latest report</a> or <a href="a.html">x</a>.</span> '
        '<span class="translation-pending">(note)</span></p>'
    )


def test_an_untranslated_name_in_an_untranslated_sentence_gets_one_mark_never_nested(spanish):
    name = spanish._("A name no catalogue has")
    sentence = spanish._("{name} rose this month", name=name)
    assert pending_plain(sentence) == "A name no catalogue has rose this month (traducción pendiente)"
    shown = pending_html(f"<p>{sentence}</p>")
    assert shown == (
        '<p><span lang="en">A name no catalogue has rose this month</span> '
        '<span class="translation-pending">(traducción pendiente)</span></p>'
    )
