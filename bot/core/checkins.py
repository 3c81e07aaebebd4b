"""Reflection check-ins: the question library and when a group's next check-in falls.

Pure functions: no database, no clock of their own. Times are computed in Europe/Amsterdam (so a
check-in stays at 10:00 local time across the change to and from summer time), on working days,
skipping Dutch public holidays (the ``holidays`` package), and returned in UTC.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: Local time of day a check-in is sent.
SEND_AT = time(10, 0)
DEFAULT_RHYTHM = "maandelijks"


@dataclass(frozen=True)
class Prompt:
    """A reflection question. Library prompts have a msgid; coordinators' own carry their text."""

    code: str
    #: Profile field the answer may update, with the person's agreement ("phase" or "ongemak").
    updates: str | None = None
    text_nl: str | None = None
    text_en: str | None = None

    def text(self, language: str, t: object) -> str:
        if self.code.startswith("lib:"):
            assert callable(t)
            return str(t(f"checkin.prompt.{self.code[4:]}"))
        if language == "en" and self.text_en:
            return self.text_en
        return self.text_nl or self.text_en or ""


#: Grounded in the seeds: "wat ben ik aan het doen en met wie?", beweging maken, fase
#: (randvoorwaarden of actiestand), ongemak, stip op de horizon, kiemen, het ecosysteem.
LIBRARY: tuple[Prompt, ...] = (
    Prompt("lib:doen_met_wie"),
    Prompt("lib:beweging"),
    Prompt("lib:fase", updates="phase"),
    Prompt("lib:ongemak", updates="ongemak"),
    Prompt("lib:stip"),
    Prompt("lib:kiemen"),
    Prompt("lib:ecosysteem"),
    Prompt("lib:rijk_regio"),
    Prompt("lib:klein_succes"),
    Prompt("lib:opgave"),
)


def next_prompt(available: Sequence[Prompt], used: Sequence[str]) -> Prompt:
    """The first prompt this group has not had; once all were asked, the one asked longest ago.

    ``used`` lists the codes the group got, oldest first."""
    if not available:
        raise ValueError("no prompts")
    seen = set(used)
    for prompt in available:
        if prompt.code not in seen:
            return prompt
    last_asked = {code: i for i, code in enumerate(used)}
    return min(available, key=lambda p: last_asked.get(p.code, -1))


INTERVALS = {"wekelijks": 7, "tweewekelijks": 14}


@cache
def _holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("NL", years=[year]).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_rhythm(day: date, rhythm: str) -> date:
    """One rhythm step later: a week, two weeks, or the same day next month (clipped)."""
    if rhythm in INTERVALS:
        return day + timedelta(days=INTERVALS[rhythm])
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def at_local(day: date, at: time = SEND_AT) -> datetime:
    """A local wall-clock time on ``day`` in Amsterdam, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=AMSTERDAM).astimezone(UTC)


def next_check_in(after: datetime, rhythm: str, *, at: time = SEND_AT) -> datetime:
    """When the next check-in after ``after`` is due: one rhythm step on, the next working day
    (no weekend, no Dutch public holiday), at ``at`` local time."""
    local_day = after.astimezone(AMSTERDAM).date()
    return at_local(next_working_day(add_rhythm(local_day, rhythm)), at)


def group_rhythm(preferences: Iterable[str | None]) -> str:
    """The group's rhythm: the most chosen; on a tie the calmer one; monthly by default."""
    order = ("maandelijks", "tweewekelijks", "wekelijks")
    counts = {r: 0 for r in order}
    for preference in preferences:
        if preference in counts:
            counts[preference] += 1
    if not any(counts.values()):
        return DEFAULT_RHYTHM
    return max(order, key=lambda r: (counts[r], -order.index(r)))
