"""Shift scheduling with CP-SAT: model building, solving and extraction."""
