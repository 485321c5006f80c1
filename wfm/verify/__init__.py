"""Independent verification of what wfm publishes: the schedule checker (`check`), its
coverage rules with their own count of the activities (`coverage`) and the re-read of a
written folder (`folder`).
"""
