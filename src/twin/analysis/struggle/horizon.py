"""How far ahead struggle predictions look: objectives due within ``daysAhead`` days.

ENGINE.md 5.2: ``daysAhead`` 1–30, default 14. Kept apart from the heavier modules so the
command line can state the range in ``--help`` without importing the analysis.
"""

from __future__ import annotations

DEFAULT_DAYS_AHEAD = 14
MIN_DAYS_AHEAD = 1
MAX_DAYS_AHEAD = 30
