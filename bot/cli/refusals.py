"""The one mapping from what a command refuses with to a line on stderr and an exit code.

A known failure is one clear line starting with ``maatjes:``, never a traceback: 1 when the
request cannot be done now (too few people, no such round), 2 when it is wrong as given (a bad
setting, a weak password, an unreachable database)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import typer

TOO_FEW = (
    "too few people to match: it takes at least two with a finished profile, "
    "consent and no pause who are not yet in a club or in a proposal under review "
    "(try `maatjes demo` for a demo community)"
)


@dataclass(frozen=True)
class Refusal:
    error: type[BaseException]
    message: Callable[[Any], str]
    exit_code: int = 1


def known() -> tuple[Refusal, ...]:
    """Every failure a command may end with, the more specific first. Imported only when one
    happens, so `maatjes --help` stays quick."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from bot.services.accounts import WeakPassword
    from bot.services.errors import MatchingUnavailable, NotEnoughPeople, RoundClosed, UnknownRound
    from bot.settings import SettingsRefused

    return (
        Refusal(NotEnoughPeople, lambda _: TOO_FEW),
        Refusal(MatchingUnavailable, lambda error: f"matching is not available: {error}"),
        Refusal(UnknownRound, lambda missing: f"no such round or group: {missing}"),
        Refusal(RoundClosed, lambda closed: f"that round is already {closed}"),
        Refusal(WeakPassword, str, 2),
        Refusal(
            OperationalError,
            lambda error: (
                f"the database cannot be reached ({type(error.orig).__name__}). "
                "Check MAATJES_DATABASE_URL and that the server runs."
            ),
            2,
        ),
        Refusal(ValidationError, lambda error: f"invalid setting: {setting_problems(error)}", 2),
        Refusal(SettingsRefused, str, 2),
    )


@contextmanager
def refusals(*first: Refusal) -> Iterator[None]:
    """Turn a known failure into its line and exit code; ``first`` words one more precisely for
    a single command."""
    try:
        yield
    except Exception as error:
        for refusal in (*first, *known()):
            if isinstance(error, refusal.error):
                refuse(refusal.message(error), refusal.exit_code)
        raise


def refuse(message: str, exit_code: int = 1) -> NoReturn:
    typer.echo(f"maatjes: {message}", err=True)
    raise SystemExit(exit_code) from None


def setting_problems(error: Any) -> str:
    """A pydantic ValidationError of Settings as one line naming each variable."""
    problems = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        where = "_".join(map(str, problem["loc"])).upper()
        name = where if where.startswith("MAATJES_") else f"MAATJES_{where}"
        # a rule over several settings (no location) names them in its message
        problems.append(message if not where or message.startswith(name) else f"{name}: {message}")
    return "; ".join(problems)
