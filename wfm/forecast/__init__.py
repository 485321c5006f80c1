"""Interval forecasts of offered volume and handle time, with rolling-origin backtests.

Entry points: `forecast` (history -> forecast contract and a model report) and
`backtest` (history -> per-window and pooled accuracy of every model).
"""

from wfm.forecast.pipeline import backtest, forecast

__all__ = ["backtest", "forecast"]
