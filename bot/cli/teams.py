"""The Microsoft Teams app package to upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import Context


def teams_package(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the zip (e.g. maatjes-teams.zip).")
    ],
    version: Annotated[
        str, typer.Option(help="The app version; raise it for every new upload.")
    ] = "1.0.0",
) -> None:
    """Build the Microsoft Teams app package (manifest with the bot id, icons) to upload."""
    from bot.platforms.teams import package

    teams = Context().settings.groups.teams
    if not teams.app_id:
        typer.echo(
            "Set MAATJES_TEAMS_APP_ID (the Entra app's Application (client) ID) first; "
            "see README, Microsoft Teams.",
            err=True,
        )
        raise typer.Exit(2)
    try:
        manifest = package.build(
            out,
            app_id=teams.app_id,
            name=teams.app_name,
            website_url=teams.website_url,
            version=version,
        )
    except package.PackageError as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{out}: Teams app {manifest['name']['short']} {version}, bot {manifest['id']}")


def register(app: typer.Typer) -> None:
    app.command("teams-package")(teams_package)
