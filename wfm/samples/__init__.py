"""Example data: the seeded sample center (`center`), agent state logs for a published
schedule (`states`), a plain schedule for benchmarks (`plans`) and synthetic benchmark
instances (`synthetic`).
"""
