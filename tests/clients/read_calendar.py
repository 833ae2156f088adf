"""Reads an ICS feed as a calendar app would, with the icalendar library. Usage: read_calendar.py URL
Prints one JSON line: the calendar's name and its events (uid, start, end as ISO 8601 UTC, summary)."""
import json
import sys
import urllib.request

import icalendar

with urllib.request.urlopen(sys.argv[1]) as r:
    cal = icalendar.Calendar.from_ical(r.read())
events = []
for e in cal.walk("VEVENT"):
    events.append({"uid": str(e.get("UID")), "start": e.decoded("DTSTART").isoformat(), "end": e.decoded("DTEND").isoformat(),
                   "summary": str(e.get("SUMMARY"))})
print(json.dumps({"name": str(cal.get("X-WR-CALNAME")), "version": str(cal.get("VERSION")), "events": events}))
