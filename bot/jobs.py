"""What runs on the clock: check-ins, outbox delivery, scheduled match rounds, retention and
housekeeping.

APScheduler only triggers; the truth is in the database (the outbox's claims, the round's unique
schedule slot), so several instances may run this side by side without doing anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services.checkins import CheckInService
from bot.services.delivery import Delivery
from bot.services.follow_ups import FollowUps
from bot.services.housekeeping import EVENT_MEMORY, Housekeeping
from bot.services.invitations import Invitations
from bot.services.privacy import PrivacyService
from bot.services.rounds import RoundService
from bot.settings import Settings

__all__ = ["EVENT_MEMORY", "JobServices", "forget_old_events", "start"]

log = logging.getLogger(__name__)


class JobServices(Protocol):
    """The services the jobs run over; the composition root hands over its own."""

    @property
    def settings(self) -> Settings: ...
    @property
    def checkins(self) -> CheckInService: ...
    @property
    def delivery(self) -> Delivery: ...
    @property
    def follow_ups(self) -> FollowUps: ...
    @property
    def rounds(self) -> RoundService: ...
    @property
    def privacy(self) -> PrivacyService | None: ...
    @property
    def housekeeping(self) -> Housekeeping: ...
    @property
    def invitations(self) -> Invitations | None: ...


@dataclass(frozen=True)
class Done:
    """What a job did, worth a log line (a job that did nothing returns None: no line)."""

    message: str
    fields: Mapping[str, Any]


def _run(failure: str, job: Callable[[], Done | None]) -> None:
    """Run one job: a failure is logged once (the next run tries again), its outcome if any."""
    try:
        done = job()
    except Exception:
        log.exception(failure)
        return
    if done is not None:
        log.info(done.message, extra=dict(done.fields))


def plan_checkins(services: JobServices) -> Done | None:
    planned = services.checkins.run_due()
    if planned.sent or planned.reminders or planned.roundups or planned.missed:
        return Done("check-ins", planned.as_dict())
    return None


def ask_follow_up_again(services: JobServices) -> Done | None:
    """The second and last "hebben jullie elkaar gesproken?" to groups that did not meet."""
    asked = services.follow_ups.ask_again()
    return Done("follow-ups asked again", {"groups": asked}) if asked else None


def deliver_outbox(services: JobServices) -> Done | None:
    report = services.delivery.deliver_due()
    return Done("delivered", report.as_dict()) if report.delivered or report.failed else None


def propose_round(services: JobServices) -> Done | None:
    round_id = services.rounds.propose_scheduled()
    if round_id is None:
        return None
    return Done("round proposed", {"round_id": round_id, "origin": "schedule"})


def run_retention(services: JobServices) -> Done | None:
    if services.privacy is None:
        return None
    report = services.privacy.run_retention()
    return Done("retention", report.as_dict()) if report.warned or report.erased else None


def forget_old_events(services: JobServices) -> int:
    return services.housekeeping.forget_old_events()


def housekeeping(services: JobServices) -> Done | None:
    removed = forget_old_events(services)
    links = services.housekeeping.forget_expired_links()
    if not removed and not links:
        return None
    return Done("housekeeping", {"event_ids_forgotten": removed, "expired_links_deleted": links})


def remind_invited(services: JobServices) -> Done | None:
    """The one reminder a week after an invitation nobody used (delivered by the next run)."""
    if services.invitations is None:
        return None
    reminded = services.invitations.remind_due()
    return Done("invitation reminders", {"reminded": reminded}) if reminded else None


def start(services: JobServices) -> BackgroundScheduler:
    settings = services.settings
    scheduler = BackgroundScheduler(
        timezone="Europe/Amsterdam",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )

    def job(failure: str, work: Callable[[JobServices], Done | None]) -> Callable[[], None]:
        return partial(_run, failure, partial(work, services))

    check_in, ask_again, deliver = (
        job("scheduled check-ins failed", plan_checkins),
        job("follow-ups asked again failed", ask_follow_up_again),
        job("scheduled delivery failed", deliver_outbox),
    )

    def check_in_and_deliver() -> None:
        if settings.checkins:  # first, so what the check-ins plan goes out in this same run
            check_in()
        ask_again()
        deliver()

    # The first run is at start: whatever fell due while the bot was down goes out once.
    scheduler.add_job(
        check_in_and_deliver,
        "interval",
        seconds=settings.delivery_interval_seconds,
        id="deliver",
        next_run_time=datetime.now(UTC),
    )
    if settings.scheduled_rounds:
        # On working days at 09:00 the slot is checked; the first check in a period proposes.
        scheduler.add_job(
            job("scheduled round failed", propose_round),
            "cron",
            day_of_week="mon-fri",
            hour=9,
            minute=0,
            id="rounds",
        )
    if settings.retention:
        # Daily, at night: warn who has been inactive too long, erase who was warned long ago.
        scheduler.add_job(
            job("scheduled retention failed", run_retention),
            "cron",
            hour=3,
            minute=30,
            id="retention",
        )
    scheduler.add_job(
        job("housekeeping failed", housekeeping), "cron", hour=3, minute=15, id="housekeeping"
    )
    if services.invitations is not None:
        scheduler.add_job(
            job("invitation reminders failed", remind_invited),
            "cron",
            day_of_week="mon-fri",
            hour=10,
            minute=0,
            id="invitations",
        )
    scheduler.start()
    return scheduler
