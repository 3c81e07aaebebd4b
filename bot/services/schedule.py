"""When the scheduler proposes match rounds: one round per period of ``round_interval_days``,
on working days at 09:00 Amsterdam time (see ``bot.jobs``), so a person can be told when the next
one is."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.settings_groups import RoundSettings
from storage.models import MatchRound

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: The local hour the scheduler checks the slot (``bot.jobs``).
PROPOSE_HOUR = 9


def slot(now: datetime, interval_days: int) -> str:
    """The scheduling period ``now`` falls in: one round per period, whatever runs it."""
    return f"every-{interval_days}d-{now.date().toordinal() // interval_days}"


def next_round_on(session: Session, settings: RoundSettings, now: datetime) -> date | None:
    """The Amsterdam day the scheduler proposes the next round; None when rounds are not
    scheduled (a coordinator starts each one). Read in the caller's transaction."""
    if not settings.scheduled_rounds:
        return None
    interval = settings.round_interval_days
    this_period = slot(now, interval)
    done = session.exec(
        select(MatchRound.id).where(MatchRound.schedule_slot == this_period)
    ).first()
    local = now.astimezone(AMSTERDAM)
    if done is not None:  # this period had its round: the next period's first working day
        day = date.fromordinal((now.date().toordinal() // interval + 1) * interval)
    else:
        day = local.date() + timedelta(days=0 if local.hour < PROPOSE_HOUR else 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
