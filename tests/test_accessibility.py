"""WCAG 2.1 A and AA with axe-core on every page a person or a coordinator sees, in a real
Chromium against the real server: one server and one browser, one page after another."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import Server, chromium, require_chromium, running_server, seed_round
from tests.support.mail import smtp_server

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe's best practices too: heading order, one main landmark, all content in landmarks, ...
RULES = [*WCAG_21_AA, "best-practice"]


def violations(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": RULES}})
    return list(result.response["violations"])


def describe(where: str, found: list[dict[str, Any]]) -> list[str]:
    lines = []
    for v in found:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        lines.append(f"{where}: {v['id']} ({v['impact']}) on {targets}: {v['help']}")
    return lines


class Audit:
    """Collects the violations of every page, so one run reports them all."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.pages: list[str] = []

    def check(self, page: Page, where: str) -> None:
        page.wait_for_load_state("load")
        self.pages.append(where)
        self.problems += describe(where, violations(page))

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def sign_in_chat(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/?lang=nl")
    page.fill("#signin-name", name)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#transcript .from-bot").first).to_be_visible()


def chat_and_groups(browser: Browser, server: Server, audit: Audit) -> None:
    page = browser.new_page(locale="nl-NL")
    page.goto(f"{server.url}/?lang=nl")
    audit.check(page, "chat, signed out (name trial)")
    sign_in_chat(page, server.url, "Sam")
    expect(page.locator("#transcript li:last-child button.choice").first).to_be_visible()
    audit.check(page, "chat, signed in, the consent question")
    page.goto(f"{server.url}/?lang=en")
    expect(page.locator("#transcript li:last-child button.choice").first).to_be_visible()
    audit.check(page, "chat in English")
    page.close()

    anna = browser.new_page(locale="nl-NL")
    sign_in_chat(anna, server.url, "Anna")
    anna.fill("#message", "profiel")
    anna.click("#send")
    expect(anna.locator("#transcript .card").last).to_be_visible()
    audit.check(anna, "chat, the profile card")
    anna.set_viewport_size({"width": 390, "height": 844})
    audit.check(anna, "chat, the profile card at 390 px")
    anna.set_viewport_size({"width": 1280, "height": 720})
    anna.goto(f"{server.url}/groups")
    audit.check(anna, "groups list")
    anna.locator("main a[href^='/groups/']").first.click()
    anna.fill("#post-text", "Zullen we volgende week bellen?")
    anna.click("#post-send")
    expect(anna.locator("#posts .post.me")).to_have_count(1)
    audit.check(anna, "a group thread")
    anna.close()


def dashboard(browser: Browser, server: Server, round_id: int, audit: Audit) -> None:
    page = browser.new_page(locale="nl-NL")
    page.goto(f"{server.url}/dashboard/login")
    audit.check(page, "dashboard login")
    page.fill("#username", "tessa")
    page.fill("#password", "fout")
    page.click("form.stack button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()
    audit.check(page, "dashboard login, refused")
    page.fill("#username", "tessa")
    page.fill("#password", "een lang wachtwoord")
    page.click("form.stack button[type=submit]")
    expect(page.locator("#stat-total")).to_be_visible()
    audit.check(page, "dashboard overview")
    for path in (
        "rounds",
        f"rounds/{round_id}",
        f"rounds/{round_id + 1}",
        "network",
        "audit",
        "privacy",
        "invitations",
        "insights",
        "insights/report",
    ):
        page.goto(f"{server.url}/dashboard/{path}")
        audit.check(page, f"dashboard {path}")
    page.goto(f"{server.url}/dashboard/rounds/{round_id + 1}")
    page.locator("a.swap").first.click()
    expect(page.locator("h1")).to_be_visible()
    audit.check(page, "dashboard alternatives (swap)")
    page.goto(f"{server.url}/dashboard?lang=en")
    audit.check(page, "dashboard overview in English")
    page.set_viewport_size({"width": 390, "height": 844})  # tables scroll, charts stack
    for path in ("", "rounds", "network", "audit", "invitations", "insights"):
        page.goto(f"{server.url}/dashboard/{path}?lang=nl")
        audit.check(page, f"dashboard {path or 'overview'} at 390 px")
    page.close()


def email_signin(browser: Browser, tmp_path: Path, audit: Audit) -> None:
    with smtp_server() as smtp:
        server = Server(
            tmp_path / "mail-data",
            {
                "MAATJES_WEB_SIGNIN": "email",
                "MAATJES_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                "MAATJES_MAIL_FROM": "maatjes@example.org",
            },
        )
        server.env["MAATJES_PUBLIC_URL"] = server.url
        server.start()
        try:
            page = browser.new_page(locale="nl-NL")
            page.goto(f"{server.url}/?lang=nl")
            audit.check(page, "e-mail sign-in form")
            page.fill("#signin-email", "marieke@example.org")
            page.click("#email-form button[type=submit]")
            expect(page.locator("#email-sent")).to_be_visible()
            audit.check(page, "e-mail sign-in form, link sent")
            body = smtp.wait_for(1)[0].get_body(("plain",))
            assert body is not None
            found = re.search(
                re.escape(server.url) + r"/signin/email/[A-Za-z0-9_-]+", body.get_content()
            )
            assert found
            page.goto(found.group(0))
            audit.check(page, "e-mail sign-in landing page")
            page.close()
        finally:
            server.stop()


def seed_follow_ups(data_dir: Path, round_id: int) -> None:
    """Two answers to "hebben jullie elkaar gesproken?", one with a reason, so the round page
    and the meeting rate on the rounds page show them."""
    from storage import follow_ups, rounds
    from storage.db import make_engine, session_scope

    engine = make_engine(f"sqlite:///{data_dir / 'maatjes.db'}")
    with session_scope(engine) as session:
        group_id = rounds.groups_of(session, round_id=round_id)[0].id or 0
        first, second, *_ = rounds.members_of(session, group_ids=[group_id])[group_id]
        rounds.record_follow_up(session, group_id=group_id, person_id=first, answer="met")
        rounds.record_follow_up(session, group_id=group_id, person_id=second, answer="not_a_fit")
        follow_ups.record_reason(
            session, group_id=group_id, person_id=second, reason="Een heel andere opgave"
        )
    engine.dispose()


def test_no_wcag_21_aa_violations_on_any_page(tmp_path: Path) -> None:
    require_chromium()
    env = {
        "MAATJES_COORDINATORS": "local:tessa",
        "MAATJES_ADMINS": "local:tessa",
        "MAATJES_EMBEDDER": "tfidf",
    }
    data = tmp_path / "data"
    audit = Audit()
    with running_server(data, env) as server, chromium() as browser:
        assert server.cli("demo").returncode == 0
        done = server.cli(
            "coordinator", "password", "tessa", "--password-stdin", stdin="een lang wachtwoord\n"
        )
        assert done.returncode == 0, done.stderr
        introduced = seed_round(data, with_local="Anna")
        assert server.cli("round", "approve", str(introduced)).returncode == 0
        assert server.cli("deliver").returncode == 0
        seed_follow_ups(data, introduced)
        under_review = seed_round(data)
        assert under_review == introduced + 1
        chat_and_groups(browser, server, audit)
        dashboard(browser, server, introduced, audit)
        email_signin(browser, tmp_path, audit)
    assert len(audit.pages) >= 21, json.dumps(audit.pages)
    audit.assert_clean()
