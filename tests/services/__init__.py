"""Tests of the service layer (database round trips)."""
