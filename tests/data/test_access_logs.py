"""Page views from the web server's access logs: what counts as a view, what is left out and
why, and that no visitor's address is ever written."""

from __future__ import annotations

import gzip
from datetime import date

import pandas as pd
import pytest

from helpers.cli import main
from helpers.core.periods import FiscalQuarter
from helpers.data.access_logs import (
    NotAnAccessLog,
    count_page_views,
    report_page,
    section_of,
    write_page_views,
)

Q = FiscalQuarter.parse("FY2027Q1")  # July to September 2026
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def line(
    ip: str, when: str, target: str, status: int = 200, agent: str = BROWSER, method: str = "GET"
) -> str:
    return f'{ip} - - [{when} -0400] "{method} {target} HTTP/1.1" {status} 5120 "-" "{agent}"\n'


def test_a_view_is_a_page_served_to_a_person_once_per_half_hour(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(
        line("203.0.113.5", "01/Jul/2026:09:00:00", "/")  # the goal page, as a folder
        + line("203.0.113.5", "01/Jul/2026:09:10:00", "/index.html")  # same page, 10 minutes on
        + line("203.0.113.5", "01/Jul/2026:09:45:00", "/index.html")  # 35 minutes after the last
        + line("203.0.113.5", "01/Jul/2026:09:11:00", "/objective-2-1.html?utm_source=x")
        + line("198.51.100.7", "01/Jul/2026:09:12:00", "/es/measures/calls_911.html")
        + line("198.51.100.7", "02/Aug/2026:10:00:00", "/measures/calls_911/embed.html")
        + line("198.51.100.7", "02/Aug/2026:10:00:01", "/site_libs/quarto.js")
        + line("198.51.100.7", "02/Aug/2026:10:00:02", "/data/calls_911.csv")
        + line("198.51.100.8", "02/Aug/2026:10:00:03", "/objective-2-2.html", status=404)
        + line("198.51.100.8", "02/Aug/2026:10:00:04", "/objective-2-2.html", status=304)
        + line(
            "198.51.100.9",
            "02/Aug/2026:10:00:05",
            "/index.html",
            agent="Googlebot/2.1 (+http://www.google.com/bot.html)",
        )
        + line("198.51.100.9", "02/Aug/2026:10:00:06", "/index.html", agent="curl/8.5.0")
        + line("198.51.100.10", "02/Aug/2026:10:00:07", "/index.html", method="POST")
        + line("198.51.100.11", "30/Jun/2026:23:59:59", "/index.html")  # the quarter before
        + line("198.51.100.12", "03/Aug/2026:10:00:00", "/wp-login.php")
    )
    views = count_page_views([log], Q)
    july, august = date(2026, 7, 1), date(2026, 8, 1)
    assert dict(views.views) == {
        (july, "index.html"): 2,
        (july, "objective-2-1.html"): 1,
        (july, "es/measures/calls_911.html"): 1,
        (august, "measures/calls_911/embed.html"): 1,
    }
    assert views.excluded == {
        "repeat within 30 minutes": 1,
        "asset or outside the site": 3,
        "not a 2xx response": 2,
        "robot": 2,
        "not a page request (method)": 1,
        "outside the quarter": 1,
    }
    assert views.lines == 15 and views.malformed == 0


def test_pages_are_read_under_the_sites_own_path_and_sorted_into_parts_of_the_report():
    assert report_page("/reports/safer/measures/x.html?a=1#b", "/reports/safer/") == "measures/x.html"
    assert report_page("/other/index.html", "/reports/safer/") is None
    assert report_page("/reports/safer/../secret.html", "/reports/safer/") is None
    assert [section_of(p) for p in ("index.html", "es/objective-2-3.html", "districts/d3.html")] == [
        "overview",
        "objectives",
        "districts",
    ]
    assert section_of("archive/FY2026Q4/index.html") == "about" and section_of("404.html") is None


def test_gzip_logs_and_malformed_lines_are_read_and_counted(tmp_path):
    log = tmp_path / "access.log.1.gz"
    with gzip.open(log, "wt") as handle:
        handle.write(line("203.0.113.5", "05/Sep/2026:09:00:00", "/about-the-data.html"))
        handle.write("this line was cut in half by a log rotation\n")
    views = count_page_views([log], Q)
    assert sum(views.views.values()) == 1
    assert views.malformed == 1 and views.malformed_examples == ["access.log.1.gz, line 2"]


def test_a_file_that_is_not_an_access_log_stops_the_command_naming_it(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("month,page,views\n" + "2026-07,index.html,10\n" * 60)
    with pytest.raises(NotAnAccessLog, match=r"notes\.csv"):
        count_page_views([notes], Q)
    with pytest.raises(NotAnAccessLog, match=r"missing\.log: no such file"):
        count_page_views([tmp_path / "missing.log"], Q)


def test_the_source_keeps_other_quarters_no_address_and_the_same_bytes_for_the_same_logs(tmp_path):
    target = tmp_path / "raw" / "web" / "data_page_views.parquet"
    old = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-06-01", "2026-07-01"]).astype("datetime64[ms]"),
            "page": ["index.html", "index.html"],
            "section": ["overview", "overview"],
            "views": [500, 1],
        }
    )
    target.parent.mkdir(parents=True)
    old.to_parquet(target, index=False)
    log = tmp_path / "access.log"
    log.write_text(line("203.0.113.77", "01/Jul/2026:09:00:00", "/index.html"))
    write_page_views(count_page_views([log], Q), Q, target)
    first = target.read_bytes()
    table = pd.read_parquet(target)
    assert table.to_dict("records")[0]["views"] == 500  # June is another quarter's: kept
    assert table[table["month"] == "2026-07-01"]["views"].tolist() == [1]  # July replaced
    assert b"203.0.113.77" not in first
    write_page_views(count_page_views([log], Q), Q, target)
    assert target.read_bytes() == first


def test_the_command_writes_the_raw_source_the_measure_reads(project_copy, tmp_path, caplog):
    log = tmp_path / "access.log"
    log.write_text(line("203.0.113.5", "01/Jul/2026:09:00:00", "/index.html") + "garbage\n")
    code = main(["--root", str(project_copy.root), "page-views", str(log), "--quarter", "FY2027Q1"])
    assert code == 0
    written = pd.read_parquet(project_copy.raw / "web" / "data_page_views.parquet")
    july = written[written["month"] == "2026-07-01"]
    assert july.to_dict("records") == [
        {"month": pd.Timestamp("2026-07-01"), "page": "index.html", "section": "overview", "views": 1}
    ]
    assert "1 line(s) are not access-log lines" in caplog.text
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(bytes(range(256)) * 40)
    assert main(["--root", str(project_copy.root), "page-views", str(bad), "--quarter", "FY2027Q1"]) == 1
