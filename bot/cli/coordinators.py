"""Dashboard accounts for coordinators."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.context import Context
from bot.cli.refusals import refuse

coordinator_app = typer.Typer(help="Dashboard accounts for coordinators.", no_args_is_help=True)


@coordinator_app.command("password")
def coordinator_password(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    admin: Annotated[
        bool,
        typer.Option("--admin", help="Also let this account handle privacy requests (admin)."),
    ] = False,
) -> None:
    """Create a dashboard login for a coordinator, or set a new password (which signs the
    account out everywhere). The role is kept in the database, where the server reads it."""
    from bot.services.accounts import identity

    cli = Context()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    accounts = cli.accounts
    accounts.set_password(name, password)  # a weak one is refused (WeakPassword, exit 2)
    # A new password keeps an admin an admin; --admin raises a coordinator.
    role = "admin" if admin else accounts.granted_role(identity(name)) or "coordinator"
    accounts.grant(name, role)
    typer.echo(f"password set for {identity(name)} ({role})")


@coordinator_app.command("remove")
def coordinator_remove(name: str) -> None:
    """Take the dashboard role back from a local account and end its sessions (the login
    stays; MAATJES_COORDINATORS / MAATJES_ADMINS may still grant a role)."""
    from bot.services.accounts import identity

    cli = Context()
    who = identity(name)
    if not cli.accounts.grant(name, None):
        refuse(f"there is no dashboard account {who}")
    typer.echo(f"role removed from {who}")
    if who in cli.settings.coordinators | cli.settings.admins:
        typer.echo(
            f"note: {who} is still in MAATJES_COORDINATORS or MAATJES_ADMINS; remove it there too",
            err=True,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(coordinator_app, name="coordinator")
