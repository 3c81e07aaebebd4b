"""What runs on the clock: check-ins, outbox delivery and scheduled match rounds.

APScheduler only triggers; the truth is in the database (the outbox's claims, the round's unique
schedule slot), so several instances may run this side by side without doing anything twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from storage import events
from storage.db import session_scope
from storage.types import utcnow

if TYPE_CHECKING:
    from bot.app import Maatjes

log = logging.getLogger(__name__)

#: How long inbound Slack event and Teams activity ids are remembered to drop retries: both
#: platforms retry within minutes, so a week is ample and keeps the table small.
EVENT_MEMORY = timedelta(days=7)


def forget_old_events(maatjes: Maatjes) -> int:
    with session_scope(maatjes.engine) as session:
        return events.forget_before(session, before=utcnow() - EVENT_MEMORY)


def start(maatjes: Maatjes) -> BackgroundScheduler:
    settings = maatjes.settings
    scheduler = BackgroundScheduler(
        timezone="Europe/Amsterdam",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )

    def deliver() -> None:
        if settings.checkins:
            try:
                planned = maatjes.checkins.run_due()
            except Exception:
                log.exception("scheduled check-ins failed")
            else:
                if planned.sent or planned.reminders or planned.roundups or planned.missed:
                    log.info("check-ins", extra=planned.as_dict())
        try:
            report = maatjes.delivery.deliver_due()
        except Exception:
            log.exception("scheduled delivery failed")
            return
        if report.delivered or report.failed:
            log.info("delivered", extra=report.as_dict())

    def propose_round() -> None:
        try:
            round_id = maatjes.rounds.propose_scheduled()
        except Exception:
            log.exception("scheduled round failed")
            return
        if round_id is not None:
            log.info("round proposed", extra={"round_id": round_id, "origin": "schedule"})

    def retention() -> None:
        if maatjes.privacy is None:
            return
        try:
            report = maatjes.privacy.run_retention()
        except Exception:
            log.exception("scheduled retention failed")
            return
        if report.warned or report.erased:
            log.info("retention", extra=report.as_dict())

    def housekeeping() -> None:
        try:
            removed = forget_old_events(maatjes)
        except Exception:
            log.exception("housekeeping failed")
            return
        if removed:
            log.info("old platform event ids forgotten", extra={"removed": removed})

    # The first run is at start: whatever fell due while the bot was down goes out once.
    scheduler.add_job(
        deliver,
        "interval",
        seconds=settings.delivery_interval_seconds,
        id="deliver",
        next_run_time=datetime.now(UTC),
    )
    if settings.scheduled_rounds:
        # On working days at 09:00 the slot is checked; the first check in a period proposes.
        scheduler.add_job(
            propose_round, "cron", day_of_week="mon-fri", hour=9, minute=0, id="rounds"
        )
    if settings.retention:
        # Daily, at night: warn who has been inactive too long, erase who was warned long ago.
        scheduler.add_job(retention, "cron", hour=3, minute=30, id="retention")
    scheduler.add_job(housekeeping, "cron", hour=3, minute=15, id="housekeeping")
    scheduler.start()
    return scheduler
