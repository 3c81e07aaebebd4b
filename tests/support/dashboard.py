"""Signing in to the dashboard the way a browser does: the login form's CSRF token, then the
form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def csrf_token(client: TestClient, path: str = "/dashboard/login") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def login(client: TestClient, name: str = "tessa", password: str = "een lang wachtwoord") -> int:
    response = client.post(
        "/dashboard/login",
        data={"username": name, "password": password, "csrf": csrf_token(client)},
        follow_redirects=False,
    )
    return response.status_code
