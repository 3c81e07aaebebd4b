"""The ``maatjes`` command line: run the server, chat in the terminal, manage the database.

One module per command group, each with ``register(app)``; what the commands work with is built
in ``context``, and what they refuse with is worded in ``refusals``, both once."""

from __future__ import annotations

import typer

from bot.cli import (
    bench,
    checkins,
    coordinators,
    db,
    delivery,
    insights,
    invite,
    people,
    privacy,
    rounds,
    serve,
    teams,
)
from bot.cli.refusals import refusals, setting_problems

__all__ = ["app", "main", "setting_problems"]

app = typer.Typer(
    help="Maatjes: zoek maatjes voor je circulaire opgave.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# The order of registration is the order of `maatjes --help`.
serve.register(app)
db.register(app)
people.register(app)
coordinators.register(app)
rounds.register(app)
delivery.register(app)
checkins.register(app)
invite.register(app)
bench.register(app)
teams.register(app)
privacy.register(app)
insights.register(app)


def main() -> None:
    """Entry point: known failures become one clear line, not a traceback."""
    with refusals():
        app()
