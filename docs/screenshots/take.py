"""Regenerate the README screenshots: `.venv/bin/python docs/screenshots/take.py`.

Starts the real server on a throwaway data directory with the demo community, walks through part
of an intake in headless Chromium and saves PNGs next to this file.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.browser_support import chromium, running_server, seed_round  # noqa: E402


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
            round_id = seed_round(data)
            page = browser.new_page(locale="nl-NL", viewport={"width": 1280, "height": 900})
            page.goto(server.url)
            page.fill("#signin-name", "Marieke")
            page.click("#signin-form button[type=submit]")
            page.locator("#transcript li:last-child button.choice", has_text="Ja, dat mag").click()
            for text in ("Marieke Hofstede", "Gemeente Zwolle"):
                page.fill("#message", text)
                page.click("#send")
                page.wait_for_timeout(300)
            for label in ("Gemeente", "Regionale ambtenaar", "Overijssel"):
                page.locator(
                    "#transcript li:last-child button.choice", has_text=label
                ).first.click()
                page.wait_for_timeout(300)
            page.locator("#transcript li:last-child").get_by_label("Bouw").check()
            page.wait_for_timeout(200)
            page.screenshot(path=str(HERE / "chat.png"))
            page.goto(f"{server.url}/dashboard/login")
            page.fill("#username", "tessa")
            page.fill("#password", "een lang wachtwoord")
            page.click("form.stack button[type=submit]")
            page.wait_for_timeout(300)
            page.screenshot(path=str(HERE / "dashboard.png"), full_page=True)
            page.goto(f"{server.url}/dashboard/rounds/{round_id}")
            page.wait_for_timeout(300)
            page.screenshot(path=str(HERE / "review.png"), full_page=True)


if __name__ == "__main__":
    main()
