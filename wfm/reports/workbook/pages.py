"""How every sheet prints: A4 landscape fitted to the page width, the header rows repeated
on each page, a print area around what the sheet holds and a footer naming the center,
the period and the page.

openpyxl's write-only sheets write the page-fit flag, column widths and frozen panes with
their first row, and the print area, page setup, footer, merged cells and page breaks when
the workbook is saved: `print_setup` goes before the first row, `finish_page` after the
last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties

#: Points per line of wrapped 10-point text, for the height of a row that wraps.
LINE_POINTS = 13.0


@dataclass(frozen=True)
class Footer:
    """What the footer of every page names: the center and the period."""

    center: str
    period: str


def _footer_text(text: str) -> str:
    """Text for a header or footer field: ``&`` starts a code there, so it is doubled."""
    return text.replace("&", "&&")


def print_setup(ws: Any, title_rows: str | None = None, one_page: bool = False) -> None:
    """Landscape A4 fitted to the width (and to one page tall with ``one_page``), the
    ``title_rows`` (``"1:3"``) repeated on every page. Call before the first row."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows


def finish_page(ws: Any, footer: Footer | None, rows: int, columns: int,
                breaks_before: tuple[int, ...] = ()) -> None:
    """The print area (rows x columns from A1), the footer (center and sheet; period;
    page of pages) and a page break before each row of ``breaks_before``."""
    ws.print_area = f"A1:{get_column_letter(max(columns, 1))}{max(rows, 1)}"
    for row in breaks_before:
        ws.row_breaks.append(Break(id=row - 1))
    if footer is None:
        return
    for part in (ws.oddFooter, ws.evenFooter):
        part.left.text = f"{_footer_text(footer.center)} - &A"
        part.center.text = _footer_text(footer.period)
        part.right.text = "Page &P of &N"
        for field in (part.left, part.center, part.right):
            field.size = 8


def wrapped_height(text: str, characters_per_line: float) -> float:
    """The height in points of a row whose wrapped ``text`` fills lines that hold about
    ``characters_per_line`` characters (row heights are not fitted to merged cells)."""
    lines = sum(max(1, -(-len(part) // max(int(characters_per_line), 1)))
                for part in str(text).split("\n"))
    return LINE_POINTS * lines + 3.0


def merge_across(ws: Any, row: int, columns: int) -> None:
    """Merge ``row`` from column A across ``columns`` columns (wrapped notes)."""
    if columns > 1:
        ws.merged_cells.add(f"A{row}:{get_column_letter(columns)}{row}")
