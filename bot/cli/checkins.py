"""Reflection check-ins: deliver what is due, and the questions asked."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.cli.context import Context
from bot.cli.delivery import parse_at
from bot.cli.refusals import refuse

checkins_app = typer.Typer(help="Reflection check-ins: deliver what is due, prompts.")


@checkins_app.command("deliver-due")
def checkins_deliver_due(
    at: Annotated[
        str | None, typer.Option("--at", help="Act as if it is this ISO time (Amsterdam if bare).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Plan, send, remind and round up every check-in due, then deliver the outbox."""
    when = parse_at(at)
    maatjes = Context().maatjes  # delivering reaches people on every configured platform
    report = maatjes.checkins.run_due(when)
    report.delivery = maatjes.delivery.deliver_due(now=when).as_dict()
    summary = report.as_dict()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    typer.echo(
        f"check-ins sent {summary['checkins_sent']}, reminders {summary['reminders']}, "
        f"round-ups {summary['roundups']}, missed {summary['missed']}; "
        f"messages delivered {summary['delivered']}"
    )


@checkins_app.command("prompts")
def checkins_prompts(
    add_nl: Annotated[
        str | None, typer.Option("--add", help="Add your own question (Dutch).")
    ] = None,
    add_en: Annotated[str | None, typer.Option("--en", help="Its English version.")] = None,
) -> None:
    """List the reflection questions (library and your own), or add one."""
    from sqlmodel import Session

    from bot.core.i18n import translator
    from bot.services.access import CLI_ACTOR
    from bot.services.checkins import prompts
    from storage import checkins
    from storage.db import session_scope

    engine = Context().engine
    if add_nl is not None:
        text = " ".join(add_nl.split())
        if not 3 <= len(text) <= 500 or (add_en is not None and len(add_en) > 500):
            refuse("a question is 3 to 500 characters", 2)
        with session_scope(engine) as session:
            added = checkins.add_prompt(
                session,
                text_nl=text,
                text_en=add_en and " ".join(add_en.split()),
                created_by=CLI_ACTOR,
            )
            typer.echo(f"added own:{added.id}")
        return
    t = translator("nl")
    with Session(engine) as session:
        for prompt in prompts(session):
            typer.echo(f"{prompt.code:<22} {prompt.text('nl', t)}")


def register(app: typer.Typer) -> None:
    app.add_typer(checkins_app, name="checkins")
