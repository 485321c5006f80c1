"""The coordinators' workbook, a module per sheet; `write_workbook` (in `book`) writes it."""

from wfm.reports.workbook.book import write_workbook

__all__ = ["write_workbook"]
