"""Every workbook prints: LibreOffice turns each into a PDF whose every page is readable,
and the schedule workbook's Summary is one landscape page holding its figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pdf_tools import median_word_points, page_texts, png_pixels, render_png, to_pdf
from test_accuracy import history as accuracy_history
from test_accuracy import write_run
from test_adherence import PLAN, monday_logs, schedule
from test_adherence import report as adherence_result
from test_excel import AGENTS, _cfg_with_names, _tables, kpis_for
from test_indicators import history as kpi_history
from test_indicators import shifts as kpi_shifts
from test_indicators import states as kpi_states

from wfm.config import CenterConfig
from wfm.io.inputs import published_forecasts
from wfm.reports.accuracy import accuracy_report
from wfm.reports.indicators import kpi_report
from wfm.reports.workbook.accuracy_book import write_accuracy_workbook
from wfm.reports.workbook.adherence_book import write_adherence_workbook
from wfm.reports.workbook.book import write_workbook
from wfm.reports.workbook.kpi_book import write_kpi_workbook

#: Printed text smaller than this many points (the median word of a page) is unreadable.
READABLE_POINTS = 4.5


@pytest.fixture(scope="module")
def pdfs(example_cfg: CenterConfig, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("print")
    cfg = _cfg_with_names(example_cfg)
    shifts, activities, coverage = _tables(cfg)
    kpis = kpis_for(cfg, coverage, shifts)
    kpis["notes"] = ["a solver note long enough to wrap: " + "the search went on and on, " * 12]
    forecast = coverage[["interval_start", "queue"]].assign(
        offered=coverage["required"] * 5.0 + 1.0, aht_seconds=300.0, offered_low=1.0,
        offered_high=9.0, model="ets")
    night = pd.Timestamp("2026-03-24 03:00").tz_localize("Europe/Madrid")  # closed: left out
    forecast = pd.concat([forecast, pd.DataFrame([{
        "interval_start": night, "queue": "billing_es", "offered": 0.0, "aht_seconds": 0.0,
        "offered_low": 0.0, "offered_high": 0.0, "model": "ets"}])], ignore_index=True)
    books = {name: folder / f"{name}.xlsx" for name in ("schedule", "kpi", "adherence",
                                                          "accuracy")}
    write_workbook(books["schedule"], cfg, AGENTS, shifts, activities, coverage, kpis, forecast)
    write_kpi_workbook(books["kpi"], example_cfg, kpi_report(
        example_cfg, kpi_history(), "day", states=kpi_states(), shifts=kpi_shifts()))
    write_adherence_workbook(books["adherence"], example_cfg,
                             adherence_result(example_cfg, grace=3))
    from test_accuracy import cfg as accuracy_cfg

    small = accuracy_cfg.__wrapped__()
    runs = folder / "runs"
    write_run(runs, "20261101T013000Z", small, pd.Timestamp("2026-11-01").date(), 25.0)
    write_run(runs, "20261104T013000Z", small, pd.Timestamp("2026-11-04").date(), 28.0)
    published, _ = published_forecasts(runs, small)
    write_accuracy_workbook(books["accuracy"], small,
                            accuracy_report(small, accuracy_history(small), published))
    converted = to_pdf(list(books.values()), folder)
    return {"folder": folder, "kpis": kpis, "coverage": coverage,
            **{name: converted[path] for name, path in books.items()}}


@pytest.mark.parametrize("name", ["schedule", "kpi", "adherence", "accuracy"])
def test_every_page_is_readable(pdfs: dict, name: str) -> None:
    pages = page_texts(pdfs[name])
    assert pages
    sizes = median_word_points(pdfs[name])
    assert len(sizes) == len(pages)
    for number, (text, size) in enumerate(zip(pages, sizes, strict=True), start=1):
        assert f"Page {number} of {len(pages)}" in text, (name, number)
        assert size >= READABLE_POINTS, (name, number, size)


def test_the_summary_is_one_landscape_page_with_its_figures(pdfs: dict) -> None:
    pages = page_texts(pdfs["schedule"])
    summary, following = pages[0], pages[1]
    assert "Schedule summary" in summary and "Solver notes" in summary
    assert "the search went on and on" in summary
    assert following.lstrip().startswith("Schedule:")
    kpis = pdfs["kpis"]
    for queue, figures in kpis["queues"].items():
        assert queue in summary
        assert f"{figures['required_hours']:.2f}" in summary
    assert f"{kpis['required_hours']:.2f}" in summary
    assert f"{kpis['paid_hours']:.2f}" in summary
    image = png_pixels(render_png(pdfs["schedule"], 1, pdfs["folder"] / "summary"))
    height, width = image.shape
    assert width > height  # landscape
    ink = float(np.mean(image < 128))
    assert 0.01 < ink < 0.5  # a page of figures, neither blank nor black


def test_closed_intervals_are_left_out_of_the_forecast_pages(pdfs: dict) -> None:
    pages = page_texts(pdfs["schedule"])
    forecast = [p for p in pages if "Forecast:" in p or "Offered low" in p]
    assert forecast and not any("2026-03-24 03:00" in p for p in forecast)
    assert any("(1 rows)" in p for p in forecast)


def test_day_sheets_print_a_chart_per_queue(pdfs: dict) -> None:
    pages = page_texts(pdfs["schedule"])
    monday = [p for p in pages if "Monday 23 March 2026" in p]
    assert any("Coverage (agents per interval)" in p for p in monday)
    assert sum(p.count("Required") for p in monday) >= 6  # the legend of every chart


def test_adherence_and_accuracy_pages_hold_their_tables(pdfs: dict) -> None:
    adherence = "\n".join(page_texts(pdfs["adherence"]))
    for word in ("late_login", "long_break", "missed_training", "absent", "North"):
        assert word in adherence
    accuracy = "\n".join(page_texts(pdfs["accuracy"]))
    assert "seasonal_naive" in accuracy and "interval wMAPE by run" in accuracy
    assert PLAN and len(monday_logs()) and len(schedule(PLAN)[0]) == 3


def test_without_the_tools_ci_fails_instead_of_skipping(monkeypatch) -> None:
    import pdf_tools

    monkeypatch.setattr(pdf_tools.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI_REQUIRE_SOFFICE", "1")
    with pytest.raises(pytest.fail.Exception, match="soffice, pdftotext, pdftoppm not found"):
        pdf_tools.require_tools()
    monkeypatch.delenv("CI_REQUIRE_SOFFICE")
    with pytest.raises(pytest.skip.Exception):
        pdf_tools.require_tools()


@pytest.mark.slow
def test_the_demo_workbooks_print_readably(example_cfg: CenterConfig, tmp_path) -> None:
    """The demo week's schedule workbook (130 agents) and its adherence report as PDF."""
    from wfm.io.inputs import read_agent_states, read_agents
    from wfm.io.schedule_folder import read_schedule
    from wfm.plan import export_step
    from wfm.reports.adherence import adherence_report

    repo = Path(__file__).resolve().parent.parent / "sample_data"
    roster = read_agents(repo / "agents.csv", example_cfg)
    folder = read_schedule(repo / "demo_schedule", example_cfg)
    schedule_book = export_step(example_cfg, roster, folder, tmp_path / "demo.xlsx")
    states = read_agent_states(repo / "agent_states.csv.gz", example_cfg)
    adherence_book = tmp_path / "demo_adherence.xlsx"
    write_adherence_workbook(adherence_book, example_cfg, adherence_report(
        example_cfg, roster, folder.shifts, folder.activities, states, None, folder.start,
        folder.days))
    pdfs = to_pdf([schedule_book, adherence_book], tmp_path)
    for pdf in pdfs.values():
        pages = page_texts(pdf)
        sizes = median_word_points(pdf)
        assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, 1))
        assert min(sizes) >= READABLE_POINTS, sizes
    pages = page_texts(pdfs[schedule_book])
    assert "Schedule summary" in pages[0] and pages[1].lstrip().startswith("Schedule:")
