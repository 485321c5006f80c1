"""Workbook styles and cell helpers shared by every sheet: named styles, widths, print
setup and values Excel accepts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from copy import copy
from datetime import date, datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from wfm.reports.workbook.pages import Footer
from wfm.roster import Agent

SHEET_TITLE_MAX = 31


_FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")


_RESERVED_TITLES = {"history"}


# Characters XML 1.0 cannot carry; openpyxl refuses them in cell text.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


_CELL_TEXT_MAX = 32767


ACTIVITY_PRIORITY = {"work": 1, "other": 2, "lunch": 3, "break": 4}
"""When two activities share an interval the cell shows the higher one (a break wins)."""


ACTIVITY_CODES = {"break": "B", "lunch": "L", "other": "O"}


ACTIVITY_COLOURS = {"work": "A9D08E", "break": "FFD966", "lunch": "F4B084", "other": "9DC3E6"}


TEMPLATE_COLOURS = (
    "DDEBF7", "E2EFDA", "FFF2CC", "FCE4D6", "EDE2F6", "D9F2F0", "F2E0EC", "E7E6E6",
    "FFE699", "C9DDF2",
)


_HEADER_FILL = "1F3864"
# Fills and fonts for short (red), near (amber) and good (green) figures.
SHORT_FILL = "FFC7CE"
SHORT_FONT = "9C0006"
AMBER_FILL = "FFEB9C"
AMBER_FONT = "9C5700"
GOOD_FILL = "C6EFCE"
GOOD_FONT = "006100"



DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


HOURS_FORMAT = "0.00"


PERCENT_FORMAT = "0.0%"


def sheet_title(name: str, taken: Iterable[str] = ()) -> str:
    """A sheet name Excel accepts for ``name``, unique among ``taken`` (case-insensitive).

    Forbidden characters ``[]:*?/\\`` become ``-``, control characters are dropped, leading
    and trailing apostrophes are removed, the result is cut to 31 characters, an empty or
    reserved name (``History``) gets a replacement, and a clash gets a ``(2)``-style suffix.
    """
    text = _ILLEGAL_XML.sub("", _FORBIDDEN_IN_TITLE.sub("-", str(name)))
    text = re.sub(r"\s+", " ", text).strip().strip("'").strip() or "Sheet"
    if text.lower() in _RESERVED_TITLES:
        text = f"{text} sheet"
    text = text[:SHEET_TITLE_MAX].rstrip().rstrip("'")
    used = {t.lower() for t in taken}
    candidate, number = text, 2
    while candidate.lower() in used:
        suffix = f" ({number})"
        candidate = text[: SHEET_TITLE_MAX - len(suffix)].rstrip().rstrip("'") + suffix
        number += 1
    return candidate


def cell_text(value: object) -> str:
    """Cell text XML can carry, within Excel's length limit."""
    return _ILLEGAL_XML.sub("", str(value))[:_CELL_TEXT_MAX]


def naive(stamp: Any) -> datetime | None:
    """Wall-clock local time without zone (Excel has no time zones)."""
    if stamp is None or (not isinstance(stamp, datetime) and pd.isna(stamp)):
        return None
    stamp = pd.Timestamp(stamp)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.to_pydatetime()


def cell_number(value: Any) -> float | int | None:
    """A plain Python number for a cell, or None for missing values."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if number.is_integer() else number


def clock_text(stamp: pd.Timestamp) -> str:
    return f"{stamp.hour:02d}:{stamp.minute:02d}"


def days_later(day: date, stamp: pd.Timestamp) -> str:
    """`` +1`` when a timestamp falls on the date after ``day`` (`` +2``...), else ``""``."""
    later = (stamp.date() - day).days
    return f" +{later}" if later > 0 else ""


def shift_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``08:00-16:30``: local wall-clock start and end of a shift; ``22:00-06:00 +1`` for a
    shift that ends on a later date (a shift ending at midnight ends on its own day)."""
    last = end - pd.Timedelta(seconds=1)
    return f"{clock_text(start)}-{clock_text(end)}{days_later(start.date(), last)}"


def skills_text(agent: Agent) -> str:
    return "; ".join(name if level == 1.0 else f"{name}:{level:g}"
                     for name, level in agent.skills.items())


class Styles:
    """Named styles registered once on the workbook; cells refer to them by name."""

    def __init__(self, wb: Workbook, templates: Sequence[str]) -> None:
        thin = Side(style="thin", color="BFBFBF")
        hour = Side(style="thin", color="7F7F7F")
        grid = Border(left=thin, right=thin, top=thin, bottom=thin)
        hour_grid = Border(left=hour, right=thin, top=thin, bottom=thin)
        white = Font(name="Calibri", size=10, bold=True, color="FFFFFF")
        header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
        self.wb = wb
        #: What every page's footer names (`wfm.reports.workbook.pages.finish_page`).
        self.footer: Footer | None = None
        self.template_style: dict[str, str] = {}
        specs: dict[str, dict[str, Any]] = {
            "wfm_title": {"font": Font(name="Calibri", size=14, bold=True, color=_HEADER_FILL)},
            "wfm_subtitle": {"font": Font(name="Calibri", size=10, italic=True, color="595959")},
            "wfm_note": {"font": Font(name="Calibri", size=10, color="404040"),
                         "alignment": Alignment(wrap_text=True, vertical="top")},
            "wfm_section": {"font": Font(name="Calibri", size=11, bold=True, color=_HEADER_FILL)},
            "wfm_header": {"font": white, "fill": header_fill, "border": grid,
                           "alignment": Alignment(horizontal="center", vertical="center",
                                                  wrap_text=True)},
            "wfm_header_time": {"font": Font(name="Calibri", size=8, bold=True, color="FFFFFF"),
                                "fill": header_fill, "border": grid,
                                "alignment": Alignment(horizontal="center", vertical="bottom",
                                                       text_rotation=90)},
            "wfm_label": {"font": Font(name="Calibri", size=10, bold=True)},
            "wfm_text": {"font": Font(name="Calibri", size=10), "border": grid},
            "wfm_text_bold": {"font": Font(name="Calibri", size=10, bold=True), "border": grid},
            "wfm_int": {"font": Font(name="Calibri", size=10), "border": grid,
                        "number_format": "0"},
            "wfm_dec": {"font": Font(name="Calibri", size=10), "border": grid,
                        "number_format": "0.0##"},
            "wfm_hours": {"font": Font(name="Calibri", size=10), "border": grid,
                          "number_format": HOURS_FORMAT},
            "wfm_hours_bold": {"font": Font(name="Calibri", size=10, bold=True), "border": grid,
                               "number_format": HOURS_FORMAT},
            "wfm_pct": {"font": Font(name="Calibri", size=10), "border": grid,
                        "number_format": PERCENT_FORMAT},
            "wfm_pct_bold": {"font": Font(name="Calibri", size=10, bold=True), "border": grid,
                             "number_format": PERCENT_FORMAT},
            "wfm_datetime": {"font": Font(name="Calibri", size=10), "border": grid,
                             "number_format": DATETIME_FORMAT},
            "wfm_date": {"font": Font(name="Calibri", size=10), "border": grid,
                         "number_format": "yyyy-mm-dd"},
            "wfm_link": {"font": Font(name="Calibri", size=10, color="0563C1", underline="single"),
                         "border": grid},
            "wfm_off": {"font": Font(name="Calibri", size=10, color="808080"),
                        "fill": PatternFill("solid", fgColor="F2F2F2"), "border": grid,
                        "alignment": Alignment(horizontal="center")},
            "wfm_slot": {"border": grid},
            "wfm_slot_hour": {"border": hour_grid},
            "wfm_small_int": {"font": Font(name="Calibri", size=8), "border": grid,
                              "number_format": "0", "alignment": Alignment(horizontal="center")},
            "wfm_small_dec": {"font": Font(name="Calibri", size=8), "border": grid,
                              "number_format": "0.#", "alignment": Alignment(horizontal="center")},
        }
        for activity, colour in ACTIVITY_COLOURS.items():
            for suffix, border in (("", grid), ("_hour", hour_grid)):
                specs[f"wfm_{activity}{suffix}"] = {
                    "font": Font(name="Calibri", size=7, color="404040"),
                    "fill": PatternFill("solid", fgColor=colour), "border": border,
                    "alignment": Alignment(horizontal="center"),
                }
            specs[f"wfm_legend_{activity}"] = {
                "font": Font(name="Calibri", size=10, bold=True),
                "fill": PatternFill("solid", fgColor=colour), "border": grid,
                "alignment": Alignment(horizontal="center"),
            }
        for index, template in enumerate(templates):
            name = f"wfm_shift_{index}"
            specs[name] = {
                "font": Font(name="Calibri", size=10), "border": grid,
                "fill": PatternFill("solid",
                                    fgColor=TEMPLATE_COLOURS[index % len(TEMPLATE_COLOURS)]),
                "alignment": Alignment(horizontal="center"),
            }
            self.template_style[template] = name
        self._arrays: dict[str, Any] = {}
        for name, spec in specs.items():
            style = NamedStyle(name=name)
            for key, value in spec.items():
                setattr(style, key, value)
            wb.add_named_style(style)
            # What `cell.style = name` computes, once per style rather than per cell.
            self._arrays[name] = style.as_tuple()

    def cell(self, ws: Any, value: Any, style: str | None = None,
             link: str | None = None) -> WriteOnlyCell:
        """A write-only cell; text never turns into a formula; ``link`` is a place in the
        workbook (``'Sheet'!A1``)."""
        if isinstance(value, str):
            value = cell_text(value)
        cell = WriteOnlyCell(ws, value=value)
        if cell.data_type == "f":  # a name such as "=SUM(...)" stays text
            cell.data_type = "s"
        if style:
            cell._style = copy(self._arrays[style])
        if link:
            cell.hyperlink = Hyperlink(ref="A1", location=link)
        return cell


def set_widths(ws: Any, widths: Sequence[float], start: int = 1) -> None:
    for offset, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(start + offset)].width = width
