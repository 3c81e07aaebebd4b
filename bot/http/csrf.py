"""CSRF tokens for server-rendered forms (dashboard, group threads): one per session."""

from __future__ import annotations

import secrets

from starlette.requests import Request

from bot.core.tokens import same_secret


def token(request: Request) -> str:
    value = request.session.get("csrf")
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        request.session["csrf"] = value
    return value


def valid(request: Request, candidate: object) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(candidate, str)
        and same_secret(expected, candidate)
    )
