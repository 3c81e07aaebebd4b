"""Database commands."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.context import Context

db_app = typer.Typer(help="Database commands.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the database migrations (also done on every start)."""
    from storage.db import current_revision, make_engine, migrate

    # Not Context.engine: that migrates to the latest revision, this to the one asked for.
    engine = make_engine(Context().settings.resolved_database_url)
    migrate(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
