"""Example data: the seeded sample center (`center`) and synthetic benchmark instances
(`synthetic`).
"""
