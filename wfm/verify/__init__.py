"""Independent verification of what wfm publishes: the schedule checker (`check`), its
own coverage count (`coverage`) and the re-read of a written folder (`folder`).
"""
