"""The audit trail as the dashboard reads and adds to it: refusals, a page of events, the
complete export, and the tally of refused logins."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import audit
from storage.db import session_scope
from storage.models import AuditEvent

#: Database integers: an offset beyond this is never sent to the database.
_MAX_OFFSET = 2_147_483_647
#: The columns of the export, in order; each row of ``export_rows`` follows them.
EXPORT_COLUMNS = (
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "result",
    "origin",
    "count",
    "source",
)
_EXPORT_BATCH = 500
#: Every action code the audit trail holds, each with a label in both catalogues
#: (``audit.action.CODE``): the dashboard shows the label, the CSV export the code.
ACTIONS = (
    "propose",
    "approve",
    "reject",
    "swap",
    "replace",
    "move",
    "rearrange",
    "review",
    "introduce",
    "grow_club",
    "dissolve",
    "supersede",
    "read_profile",
    "export",
    "erase",
    "privacy",
    "login",
    "read_insights",
    "read_insights_report",
    "ask_follow_up_again",
)
RESULTS = ("ok", "refused", "throttled")


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first, and what the page's filter and pager need."""

    events: Sequence[AuditEvent]
    actions: list[str]
    total: int
    pages: int


class AuditTrail:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def refused(self, *, actor: str, action: str, origin: str = "dashboard") -> None:
        """Someone signed in tried what their role does not allow."""
        with session_scope(self.engine) as session:
            audit.record(
                session,
                actor=actor,
                action=action,
                object_type="dashboard",
                object_id=None,
                result="refused",
                origin=origin,
            )

    def page(self, *, action: str | None, number: int, size: int) -> AuditPage:
        with Session(self.engine) as session:
            total = audit.count_events(session, action=action)
            events = audit.events(
                session,
                limit=size,
                offset=min((number - 1) * size, _MAX_OFFSET),
                action=action,
            )
            known = audit.actions(session)
        return AuditPage(events=events, actions=known, total=total, pages=max(1, -(-total // size)))

    def export_rows(self, *, action: str | None) -> Iterator[list[list[object]]]:
        """Every event, oldest first, a batch of rows at a time (then one empty batch). Each
        batch is read in its own short transaction, so a slow download never holds the
        database."""
        after = 0
        while True:
            with Session(self.engine) as session:
                batch = audit.events_after(session, after=after, limit=_EXPORT_BATCH, action=action)
                rows = [_export_row(e) for e in batch]
            yield rows
            if not batch:
                return
            after = int(batch[-1].id or 0)


def _export_row(e: AuditEvent) -> list[object]:
    return [
        e.at.isoformat(),
        e.actor,
        e.action,
        e.object_type,
        e.object_id,
        e.result,
        e.origin,
        e.count,
        e.detail.get("source", "") if isinstance(e.detail, dict) else "",
    ]


class RefusedLogins:
    """Refused and throttled logins, tallied in the audit trail per account, result and client
    address. Counted in memory and written at most once a second per tally, so a flood of
    guesses costs no database write per request; the audit page writes what is pending first."""

    def __init__(self, engine: Engine, every: float = 1.0) -> None:
        self.engine = engine
        self.every = every
        self._lock = threading.Lock()
        self._pending: Counter[tuple[str, str, str]] = Counter()
        self._written: dict[tuple[str, str, str], float] = {}

    def add(self, actor: str, result: str, source: str) -> None:
        key = (actor, result, source)
        now = time.monotonic()
        with self._lock:
            self._pending[key] += 1
            due = now - self._written.get(key, -self.every) >= self.every
        if due:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            pending, self._pending = self._pending, Counter()
            for key in pending:
                self._written[key] = now
            # forget tallies that are not repeating, so spraying names does not grow this
            self._written = {k: t for k, t in self._written.items() if now - t < self.every}
        if not pending:
            return
        with session_scope(self.engine) as session:
            for (actor, result, source), count in pending.items():
                audit.tally(
                    session,
                    actor=actor,
                    action="login",
                    object_type="dashboard",
                    result=result,
                    origin="dashboard",
                    source=source,
                    count=count,
                )
