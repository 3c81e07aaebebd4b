"""Reviewing a round in a real headless Chromium against the real server, on a desktop and at
390 px: a swap picked freely, previewed for both groups and confirmed; approving all remaining
groups only after a confirmation with the numbers, and the page then saying what happened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import (
    Server,
    chromium,
    require_chromium,
    running_server,
    seed_round,
)

pytestmark = pytest.mark.browser

WIDTHS = ((1280, 900), (390, 844))


def introductions(server: Server) -> int:
    outbox = json.loads(server.cli("outbox", "--json").stdout or "[]")
    return sum(1 for entry in outbox if entry["kind"] == "introduction")


def fits(page: Page, width: int) -> None:
    """Nothing on the page needs sideways scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_swap_and_approve_all_with_confirmations_on_desktop_and_phone(tmp_path: Path) -> None:
    require_chromium()
    data = tmp_path / "data"
    # the light embedder: the review scores every swap, and this test is about the pages
    env = {"MAATJES_COORDINATORS": "local:tessa", "MAATJES_EMBEDDER": "tfidf"}
    with running_server(data, env) as server, chromium() as browser:
        assert server.cli("demo").returncode == 0
        done = server.cli(
            "coordinator", "password", "tessa", "--password-stdin", stdin="een lang wachtwoord\n"
        )
        assert done.returncode == 0, done.stderr
        page = browser.new_page(locale="nl-NL")
        page.goto(f"{server.url}/dashboard/login")
        page.fill("#username", "tessa")
        page.fill("#password", "een lang wachtwoord")
        page.click("form.stack button[type=submit]")
        expect(page.locator("#stat-total")).to_be_visible()
        introduced = 0
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            round_id = seed_round(data)
            page.goto(f"{server.url}/dashboard/rounds/{round_id}")
            expect(page.locator("#round-state")).to_contain_text("Niemand hoort iets")

            # a swap: anyone from the list, its effect on both groups, then a confirmation
            page.locator("#group-2 a.swap").first.click()
            swaps = page.locator("#swap-option optgroup").first.locator("option")
            page.select_option("#swap-option", swaps.first.get_attribute("value") or "")
            page.get_by_role("button", name="Laat zien wat het doet").click()
            preview = page.locator("#swap-preview")
            expect(preview.locator("li.effect")).to_have_count(2)
            expect(preview).to_contain_text("Er is nog niets veranderd")
            confirm = page.locator("#swap-confirm")
            confirm.scroll_into_view_if_needed()
            expect(confirm).to_be_in_viewport()
            fits(page, width)
            confirm.click()
            expect(page).to_have_url(f"{server.url}/dashboard/rounds/{round_id}#group-2")
            expect(page.locator("#told")).to_contain_text("Gewisseld:")
            expect(page.locator("#told")).to_be_in_viewport()

            # approve all remaining: first the numbers, then what happened
            page.locator("#approve-all").click()
            expect(page.locator("#approve-all-count")).to_contain_text(
                "Je keurt 2 groepen goed, met samen 5 mensen"
            )
            assert introductions(server) == introduced, "nothing is sent before confirming"
            sure = page.locator("#approve-all-confirm")
            sure.scroll_into_view_if_needed()
            expect(sure).to_be_in_viewport()
            fits(page, width)
            sure.click()
            expect(page.locator("#told")).to_have_text(
                "2 groepen (5 mensen) goedgekeurd; ze krijgen nu hun introductie."
            )
            expect(page.locator("#round-state")).not_to_contain_text("Niemand hoort iets")
            expect(page.locator("#round-state")).to_contain_text("2 groepen goedgekeurd")
            assert introductions(server) == introduced + 5, "one for each of the 5 people"
            introduced += 5
