"""Sign-in by e-mail link in a real headless Chromium against the real server and SMTP server."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.support.browser import Server, chromium, require_chromium
from tests.support.mail import smtp_server


def test_ask_a_link_open_it_press_the_button_and_chat(tmp_path: Path) -> None:
    require_chromium()
    with smtp_server() as smtp, chromium() as browser:
        server = Server(
            tmp_path / "data",
            {
                "MAATJES_WEB_SIGNIN": "email",
                "MAATJES_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                "MAATJES_MAIL_FROM": "maatjes@example.org",
            },
        )
        server.env["MAATJES_PUBLIC_URL"] = server.url
        server.start()
        try:
            page = browser.new_page()
            page.goto(f"{server.url}/?lang=nl")
            expect(page.locator("#signin-name")).to_have_count(0)
            page.fill("#signin-email", "Marieke@Example.org")
            page.click("#email-form button[type=submit]")
            expect(page.locator("#email-sent")).to_contain_text("onderweg")
            body = smtp.wait_for(1)[0].get_body(("plain",))
            assert body is not None
            found = re.search(
                re.escape(server.url) + r"/signin/email/[A-Za-z0-9_-]+", body.get_content()
            )
            assert found
            page.goto(found.group(0))
            page.click("form button[type=submit]")
            page.wait_for_url(f"{server.url}/")
            expect(page.locator("#transcript .from-bot").first).to_be_visible()
            page.fill("#message", "hallo")
            with page.expect_response(
                lambda r: r.url.endswith("/api/chat") and r.request.method == "POST"
            ) as answer:
                page.click("#send")
            assert answer.value.status == 200
            log = (tmp_path / "data" / "server.log").read_text(encoding="utf-8")
            assert "marieke@example.org" not in log.lower()
            assert found.group(0).rpartition("/")[2] not in log
        finally:
            server.stop()
