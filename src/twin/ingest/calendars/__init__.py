"""Calendar sources (ENGINE.md 5.3): .ics parsing and expansion, feed fetching, CalDAV, secrets.

Every source ends in the same value: ``twin.analysis.orchestration.busy.BusyInterval``s in
aware time, which the service caches per learner and the pure slot and plan analyses read.

- ``ics``: parse (icalendar) and expand (recurring-ical-events) an iCalendar text into busy
  intervals over a window; ``planned_sessions_ics`` writes planned sessions as iCalendar.
- ``fetch``: download a feed over http(s) without becoming a way into private networks.
- ``caldav_source``: read a CalDAV calendar's events of a window; write planned sessions back.
- ``secretbox``: AES-256-GCM for credentials and secret feed URLs at rest.
"""
