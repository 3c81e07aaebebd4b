"""Run as a separate process by tests/services/test_checkins.py: at one agreed moment, plan and
send the check-ins due at a given time and deliver the outbox, then print a JSON summary.

With ``crash_after`` the process dies (``os._exit``) after handing that many messages to the
inbox, in the middle of a batch, as a crash would."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from typing import Any

from bot.app import build
from bot.services.delivery import Delivery, InboxSender
from bot.settings import Settings


class CrashingInbox(InboxSender):
    def __init__(self, engine: Any, crash_after: int) -> None:
        super().__init__(engine)
        self.left = crash_after

    def send(self, person: Any, messages: Any) -> None:
        if self.left <= 0:
            os._exit(3)
        super().send(person, messages)
        self.left -= 1


def main(url: str, at: str, start_at: float, crash_after: int) -> None:
    settings = Settings(_env_file=None, database_url=url, scheduler=False)  # type: ignore[call-arg]
    maatjes = build(settings)
    when = datetime.fromisoformat(at)
    while time.time() < start_at:  # start both workers at the same moment
        time.sleep(0.001)
    report = maatjes.checkins.run_due(when)
    delivery = maatjes.delivery
    if crash_after >= 0:
        inbox = CrashingInbox(maatjes.engine, crash_after)
        delivery = Delivery(maatjes.engine, {"local": inbox, "demo": inbox})
    report.delivery = delivery.deliver_due(now=when, batch=5).as_dict()
    print(json.dumps(report.as_dict()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
