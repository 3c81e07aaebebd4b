"""The outbox: every message to a person, and delivering what is due."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from bot.cli.context import Context
from bot.cli.refusals import refuse


def parse_at(at: str | None) -> datetime | None:
    """An --at option: an ISO time, in Amsterdam when it names no zone."""
    if at is None:
        return None
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        refuse(f"--at wants an ISO time such as 2026-12-01T09:00+01:00, not {at!r}", 2)
    if when.tzinfo is None:
        from zoneinfo import ZoneInfo

        when = when.replace(tzinfo=ZoneInfo("Europe/Amsterdam"))
    return when


def outbox(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    status: Annotated[str | None, typer.Option(help="Only entries with this status.")] = None,
) -> None:
    """List every message to a person: recipient, kind and status."""
    from sqlmodel import Session

    from storage import outbox as box

    with Session(Context().engine) as session:
        rows = [
            {
                "id": m.id,
                "recipient": m.recipient_id,
                "kind": m.kind,
                "status": m.status,
                "attempts": m.attempts,
                "not_before": m.not_before.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in box.entries(session, status=status)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:>6}  to {row['recipient']:>5}  {row['kind']:<13} {row['status']}")
    typer.echo(f"{len(rows)} messages", err=True)


def deliver(
    at: Annotated[
        str | None, typer.Option("--at", help="Deliver what is due at this ISO time.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Deliver every outbox message that is due (the server also does this on a schedule)."""
    when = parse_at(at)
    report = Context().maatjes.delivery.deliver_due(now=when)
    typer.echo(
        json.dumps(report.as_dict())
        if as_json
        else f"delivered {report.delivered}, retried {report.retried}, failed {report.failed}"
    )


def register(app: typer.Typer) -> None:
    app.command()(outbox)
    app.command()(deliver)
