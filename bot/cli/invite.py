"""Inviting the first participants: ``maatjes invite FILE.csv`` and the invitations so far."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import Context
from bot.cli.refusals import refuse


def invite(
    file: Annotated[Path, typer.Argument(help="A CSV file: name,email[,language] columns.")],
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="Deliver the invitations now.")
    ] = True,
) -> None:
    """Invite each new address by e-mail, with a sign-in link (one reminder a week later).

    Already invited or joined addresses are skipped and counted; bad rows are reported by line
    number and then nothing is stored."""
    from bot.services.access import CLI_ACTOR
    from bot.services.invitations import Invitations, ListRefused, read_list

    context = Context()
    settings = context.settings
    if not settings.mail_enabled:
        refuse("invitations go by e-mail: set MAATJES_SMTP_URL and MAATJES_MAIL_FROM first", 2)
    if settings.public_url is None:
        refuse("invitations carry a sign-in link: set MAATJES_PUBLIC_URL first", 2)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        refuse(f"cannot read {file}: {type(problem).__name__} (a UTF-8 CSV file is expected)", 2)
    try:
        invitees = read_list(
            text, default_language=settings.default_language, signin=settings.groups.web.email
        )
    except ListRefused as refused:
        for line in refused.lines("en"):
            typer.echo(line, err=True)
        refuse("nothing was imported: correct these rows and run the command again", 1)
    service = Invitations(context.engine, links=settings.links)
    report = service.invite(invitees, actor=CLI_ACTOR)
    typer.echo(
        f"{report.invited} invited, {report.already_invited} already invited, "
        f"{report.already_joined} already joined"
    )
    if send and report.invited:
        delivered = context.maatjes.delivery.deliver_due()
        typer.echo(f"{delivered.by_kind.get('invitation', 0)} invitations sent", err=True)


def invitations(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Every invitation: invited, reminded, joined, profile done."""
    from bot.services.invitations import Invitations

    context = Context()
    service = Invitations(context.engine, links=context.settings.links)
    rows = [view.as_dict() for view in service.overview()]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        state = "profile done" if row["profile_done"] else "joined" if row["joined"] else "invited"
        typer.echo(f"{row['email']}  {row['name'] or ''}  {state}  {row['invited_at'][:10]}")
    typer.echo(f"{len(rows)} invitations", err=True)


def register(app: typer.Typer) -> None:
    app.command()(invite)
    app.command()(invitations)
