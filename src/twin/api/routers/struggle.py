"""Struggle prediction (ENGINE.md 5.2) under ``/v1/users/{userId}/`` — being built."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["struggle prediction"])
