"""Regenerate the README screenshots: `.venv/bin/python docs/screenshots/take.py`.

Starts the real server on a throwaway data directory with the demo community (one round of
clubs introduced, one round of pairs under review), walks through part of an intake in headless
Chromium and saves PNGs next to this file: the chat, the dashboard overview, a round under review
and the network.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.support.browser import chromium, running_server, seed_round  # noqa: E402

DESKTOP = {"width": 1280, "height": 900}


def answered(response: object) -> bool:
    """The server's answer to a turn (the page sends one turn at a time)."""
    request = response.request  # type: ignore[attr-defined]
    return str(response.url).endswith("/api/chat") and request.method == "POST"  # type: ignore[attr-defined]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = {"MAATJES_COORDINATORS": "local:tessa"}
        with running_server(data, env) as server, chromium() as browser:
            server.cli("demo")
            server.cli(
                "coordinator",
                "password",
                "tessa",
                "--password-stdin",
                stdin="een lang wachtwoord\n",
            )
            clubs = json.loads(server.cli("round", "propose", "--kind", "clubs", "--json").stdout)
            server.cli("round", "approve", str(clubs["id"]))
            round_id = seed_round(data)
            page = browser.new_page(locale="nl-NL", viewport=DESKTOP)
            page.goto(f"{server.url}/?lang=nl")
            page.fill("#signin-name", "Marieke")
            page.click("#signin-form button[type=submit]")
            last = page.locator("#transcript li:last-child button.choice")
            consent = last.filter(has_text="Ja, dat mag")
            with page.expect_response(answered):
                consent.click()
            for text in ("Marieke Hofstede", "Gemeente Zwolle"):
                page.fill("#message", text)
                with page.expect_response(answered):
                    page.click("#send")
            for label in ("Gemeente", "Regionale ambtenaar", "Overijssel"):
                choice = page.locator("#transcript li:last-child button.choice", has_text=label)
                with page.expect_response(answered):
                    choice.first.click()
            page.locator("#transcript li:last-child").get_by_label("Bouw").check()
            page.screenshot(path=str(HERE / "chat.png"))
            page.goto(f"{server.url}/dashboard/login")
            page.fill("#username", "tessa")
            page.fill("#password", "een lang wachtwoord")
            page.click("form.stack button[type=submit]")
            page.locator("#stat-total").wait_for()
            page.screenshot(path=str(HERE / "dashboard.png"), full_page=True)
            page.goto(f"{server.url}/dashboard/rounds/{round_id}")
            page.screenshot(path=str(HERE / "review.png"), full_page=True)
            page.goto(f"{server.url}/dashboard/network")
            page.locator("#network .node circle").nth(4).hover()
            page.screenshot(path=str(HERE / "network.png"))


if __name__ == "__main__":
    main()
