"""wfm: workforce management for contact centers.

Forecast contact volume, size each interval with queueing math, schedule agents with
CP-SAT and hand coordinators an Excel workbook.
"""

__version__ = "0.1.0"
