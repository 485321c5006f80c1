"""Sizing each interval: queueing math (`erlang`), one sizer per channel (`live`,
`deferred`, `outbound`) and the requirements contract (`requirements`).
"""
