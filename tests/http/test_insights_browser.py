"""„Wat speelt er” in a real headless Chromium against the real server on the demo community: the
page shows its themes with quotes, the report opens from it, and printing hides the frame."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import chromium, require_chromium, running_server

pytestmark = pytest.mark.browser


def test_the_page_and_the_printable_report_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    data = tmp_path / "data"
    env = {"MAATJES_COORDINATORS": "local:tessa", "MAATJES_EMBEDDER": "tfidf"}
    with running_server(data, env) as server, chromium() as browser:
        assert server.cli("demo").returncode == 0
        made = server.cli(
            "coordinator", "password", "tessa", "--password-stdin", stdin="een lang wachtwoord\n"
        )
        assert made.returncode == 0, made.stderr
        page = browser.new_page(locale="nl-NL")
        page.goto(f"{server.url}/dashboard/login")
        page.fill("#username", "tessa")
        page.fill("#password", "een lang wachtwoord")
        page.click("form.stack button[type=submit]")
        page.click("nav a[href='/dashboard/insights']")
        expect(page.locator("h1")).to_have_text("Wat speelt er")
        assert page.locator("section.theme").count() >= 3
        expect(page.locator("section.theme blockquote.quote").first).to_be_visible()

        page.click("#report-link")
        expect(page.locator("h1")).to_have_text("Wat speelt er: de lessen van de community")
        expect(page.locator("#changes")).to_contain_text("eerste rapport")
        assert page.locator("section.theme").count() >= 3
        expect(page.locator("header.top nav")).to_be_visible()
        page.emulate_media(media="print")
        expect(page.locator("header.top")).to_be_hidden()
        expect(page.locator("#print")).to_be_hidden()
        expect(page.locator("section.theme").first).to_be_visible()
        page.emulate_media(media="screen")
        page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
        page.click("#print")
        expect(page.locator("body")).to_have_attribute("data-printed", "yes")
        page.close()
