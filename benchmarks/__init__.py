"""Reproducible performance runs of the Behavioral Twin Engine (print tables, write JSON)."""
