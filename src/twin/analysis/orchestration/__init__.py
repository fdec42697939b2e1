"""Study timing, session orchestration and calendars (ENGINE.md 5.3): pure analyses.

- ``busy``: the one busy-time model every calendar source feeds (weighted intervals, merged).
- ``slots``: recommended study slots around the learner's calendar (score, top K, burnout rules).
- ``plan``: a session plan for a start time (``plan_inputs``, ``duration`` with the breaks,
  ``sequence`` with the phases, then intensity, expected load and actuals).
- ``adaptation``: re-planning on calendar changes, declared constraints, missed sessions.
- ``effectiveness``: adherence to accepted slots and the outcome difference it makes.

All times are timezone-aware; hour of day, weekday and the 06:00–23:00 study day are read
in the learner's IANA zone (``zoneinfo``), so DST days have 23 or 25 hours of real time.
"""
