"""Study timing, session orchestration and calendars (ENGINE.md 5.3): the service layer.

- :mod:`~twin.services.orchestration.calendars`: connect a feed URL or CalDAV account,
  upload an ``.ics``, sync, status, disconnect (secrets sealed, never returned).
- :mod:`~twin.services.orchestration.busy`: the cached busy time and its age.
- :mod:`~twin.services.orchestration.loading`: what the schedule reads of a learner.
- :mod:`~twin.services.orchestration.slots`: recommended slots, stored; accepting one.
- :mod:`~twin.services.orchestration.plans`: session plans, persisted; actuals.
- :mod:`~twin.services.orchestration.adaptation`: calendar changes, constraints, missed sessions.
- :mod:`~twin.services.orchestration.effectiveness`: adherence and outcome differences.
- :mod:`~twin.services.orchestration.feed`: the secret iCalendar feed of planned sessions.
- :mod:`~twin.services.orchestration.writeback`: CalDAV write-back of planned sessions.
- :mod:`~twin.services.orchestration.overview`: the learner's schedule in one call.

The pure computations live in :mod:`twin.analysis.orchestration`, the calendar protocols
in :mod:`twin.ingest.calendars`.
"""
