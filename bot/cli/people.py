"""The community: who is in it, and a synthetic demo community to try things with."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.cli.context import Context


def people(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    everyone: Annotated[
        bool,
        typer.Option(
            "--all", help="Everyone stored, with their platform account (for privacy requests)."
        ),
    ] = False,
) -> None:
    """List the people who completed their profile."""
    from bot.services.community import people_overview

    found = people_overview(Context().settings.resolved_database_url, everyone=everyone)
    rows = [member.as_row(with_account=everyone) for member in found]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        demo = " (demo)" if row["demo"] else ""
        typer.echo(f"{row['id']:>5}  {row['name']}{demo}  {row['group']}  {row['organisation']}")
    typer.echo(f"{len(rows)} people", err=True)


def demo(
    remove: Annotated[bool, typer.Option("--remove", help="Remove the demo people again.")] = False,
) -> None:
    """Load a synthetic demo community (clearly marked as demo), or remove it."""
    from bot.services.community import load_demo, remove_demo

    settings = Context().settings
    if remove:
        typer.echo(f"removed {remove_demo(settings.resolved_database_url)} demo people")
    else:
        added = load_demo(settings.resolved_database_url)
        typer.echo(f"loaded {added} demo people (marked as demo; remove with --remove)")


def register(app: typer.Typer) -> None:
    app.command()(people)
    app.command()(demo)
