"""The ``maatjes`` command line: run the server, chat in the terminal, manage the database."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from bot.settings import Settings

app = typer.Typer(
    help="Maatjes: zoek maatjes voor je circulaire opgave.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _settings() -> Settings:
    return Settings()


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (MAATJES_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (MAATJES_PORT, default 8000).")] = None,
) -> None:
    """Migrate the database and serve the web chat (and every configured platform)."""
    import uvicorn

    from bot import logs
    from bot.app import create_app

    settings = _settings()
    logs.configure(settings.log_level)
    application = create_app(settings)
    bind_host = host or settings.host
    bind_port = port or settings.port
    typer.echo(f"Maatjes web chat: http://{bind_host}:{bind_port}/", err=True)
    uvicorn.run(application, host=bind_host, port=bind_port, log_config=None, access_log=False)


@app.command()
def chat(
    name: Annotated[
        str, typer.Option("--as", help="Your local account name (as in the web chat).")
    ],
) -> None:
    """Talk to the bot in the terminal, with the same conversation as the web chat."""
    from bot.adapters import console
    from bot.app import build

    maatjes = build(_settings())
    console.run(maatjes.conversations, name, stdin=sys.stdin, stdout=sys.stdout)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the database migrations (also done on every start)."""
    from storage.db import current_revision, make_engine, migrate

    engine = make_engine(_settings().resolved_database_url)
    migrate(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@app.command()
def people(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the people who completed their profile."""
    from bot.services.community import people_overview

    rows = people_overview(_settings())
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        demo = " (demo)" if row["demo"] else ""
        typer.echo(f"{row['id']:>5}  {row['name']}{demo}  {row['group']}  {row['organisation']}")
    typer.echo(f"{len(rows)} people", err=True)


@app.command()
def demo(
    remove: Annotated[bool, typer.Option("--remove", help="Remove the demo people again.")] = False,
) -> None:
    """Load a synthetic demo community (clearly marked as demo), or remove it."""
    from bot.services.community import load_demo, remove_demo

    settings = _settings()
    if remove:
        typer.echo(f"removed {remove_demo(settings)} demo people")
    else:
        typer.echo(
            f"loaded {load_demo(settings)} demo people (marked as demo; remove with --remove)"
        )


def main() -> None:
    """Entry point: known failures become one clear line, not a traceback."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    try:
        app()
    except OperationalError as error:
        typer.echo(
            f"maatjes: the database cannot be reached ({type(error.orig).__name__}). "
            "Check MAATJES_DATABASE_URL and that the server runs.",
            err=True,
        )
        raise SystemExit(2) from None
    except ValidationError as error:
        problems = "; ".join(
            f"MAATJES_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        typer.echo(f"maatjes: invalid setting: {problems}", err=True)
        raise SystemExit(2) from None
