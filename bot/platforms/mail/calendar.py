"""The introduction's calendar invitation: a first 30-minute conversation on a working day (no
weekend, no Dutch public holiday), which any member can accept, move or forward."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from icalendar import Calendar, Event, vCalAddress, vText

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: the proposed time: at 10:00, this many working days after the introduction
WORKING_DAYS_AHEAD = 3
AT = time(10, 0)
LENGTH = timedelta(minutes=30)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays.country_holidays("NL", years=day.year)


def proposed_start(after: datetime) -> datetime:
    """10:00 Amsterdam time, the third working day after ``after``."""
    day = after.astimezone(AMSTERDAM).date()
    counted = 0
    while counted < WORKING_DAYS_AHEAD:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, AT, tzinfo=AMSTERDAM)


def invitation(
    *,
    uid: str,
    summary: str,
    description: str,
    start: datetime,
    organizer: str,
    attendees: Sequence[tuple[str, str | None]],
    url: str,
) -> bytes:
    """An iCalendar file (METHOD:PUBLISH: anyone who gets it can add, move or forward it);
    ``attendees`` are (name, address or None): people without an address are named in the
    description only."""
    calendar = Calendar()
    calendar.add("prodid", "-//Maatjes//introduction//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.now(tz=AMSTERDAM))
    event.add("dtstart", start)
    event.add("dtend", start + LENGTH)
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    sender = vCalAddress(f"mailto:{organizer}")
    sender.params["cn"] = vText("Maatjes")
    event.add("organizer", sender)
    for name, address in attendees:
        if address:
            attendee = vCalAddress(f"mailto:{address}")
            attendee.params["cn"] = vText(name)
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    calendar.add_missing_timezones()  # a VTIMEZONE for Europe/Amsterdam, for every client
    return bytes(calendar.to_ical())
