"""The open web chat in a real Chromium, on a desktop and at 390 px wide: the newest message stays
clear of the sticky composer after every turn, messages delivered meanwhile arrive without a
reload (once, also after one, and across a restart of the server), the tab title counts them
while hidden, and a switch of language switches the page's own texts too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.platforms.web.test_browser import bot_says, click, sign_in, type_answer
from tests.support.browser import chromium, require_chromium, running_server

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _chromium_available() -> None:
    require_chromium()


def assert_newest_clear_of_composer(page: Page, when: str) -> None:
    """The last message's bottom (its buttons included) is above the composer's top, on screen."""
    last, composer, height = page.evaluate(
        """() => [
          document.querySelector('#transcript li:last-child').getBoundingClientRect().toJSON(),
          document.querySelector('#composer').getBoundingClientRect().toJSON(),
          window.innerHeight,
        ]"""
    )
    assert last["bottom"] <= composer["top"], f"{when}: {last} hides behind {composer}"
    assert last["bottom"] > 0 and composer["bottom"] <= height + 1, when


def deliver(data_dir: Path, name: str, text: str) -> None:
    """From outside the server: a check-in for the web person, through the real outbox."""
    from bot.core.messages import Text, local_account_id, to_dict
    from bot.services.delivery import Delivery, InboxSender
    from storage import outbox, people
    from storage.db import make_engine, session_scope

    engine = make_engine(f"sqlite:///{data_dir / 'maatjes.db'}")
    try:
        with session_scope(engine) as session:
            person = people.get_person(
                session, platform="local", platform_user_id=local_account_id(name)
            )
            assert person is not None and person.id is not None
            outbox.enqueue(
                session,
                dedupe_key=f"test:{text}",
                recipient_id=person.id,
                kind="checkin",
                payload={"messages": [to_dict(Text(text))]},
            )
        assert Delivery(engine, {"local": InboxSender(engine)}).deliver_due().delivered == 1
    finally:
        engine.dispose()


def set_visibility(page: Page, state: str) -> None:
    page.evaluate(
        """(state) => {
          Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
          document.dispatchEvent(new Event('visibilitychange'));
        }""",
        state,
    )


def test_newest_message_visible_live_news_and_one_language(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as server, chromium() as browser:
        desktop = browser.new_page(locale="nl-NL", viewport=DESKTOP)
        phone = browser.new_page(locale="nl-NL", viewport=PHONE)
        for page, name in ((desktop, "Marieke"), (phone, "Pieter")):
            sign_in(page, server.url, name)
            assert_newest_clear_of_composer(page, f"{name}: welcome")
            click(page, "Ja, dat mag")
            bot_says(page, "Hoe heet je?")
            type_answer(page, f"{name} de Vries")
            type_answer(page, "Gemeente Zwolle")
            bot_says(page, "Gemeente")
            assert_newest_clear_of_composer(page, f"{name}: organisation kind")
            click(page, "Gemeente")
            bot_says(page, "Regionale ambtenaar")
            assert_newest_clear_of_composer(page, f"{name}: group")

        # delivered from outside while the page is open (and hidden): it arrives, no reload
        expect(desktop).to_have_title(re.compile(r"^Maatjes"))
        set_visibility(desktop, "hidden")
        deliver(data, "Marieke", "Hoe gaat het met jullie clubje?")
        bot_says(desktop, "Hoe gaat het met jullie clubje?")
        expect(desktop).to_have_title(re.compile(r"^\(1\) Maatjes"))
        assert_newest_clear_of_composer(desktop, "a delivered message")
        set_visibility(desktop, "visible")
        expect(desktop).to_have_title(re.compile(r"^Maatjes"))
        # shown once, also after a reload, and the conversation carries on where it was
        desktop.reload()
        bot_says(desktop, "Regionale ambtenaar")
        news = desktop.locator("#transcript .from-bot", has_text="Hoe gaat het met jullie clubje")
        expect(news).to_have_count(1)
        # the server restarts under the open page: it asks again until it answers, then hears
        server.stop()
        server.start()
        deliver(data, "Marieke", "Welkom terug na de herstart")
        expect(
            desktop.locator("#transcript .from-bot", has_text="Welkom terug na de herstart")
        ).to_be_visible(timeout=30_000)  # its backoff stays under 15 s between tries

        # one language per page: the header, labels and buttons follow, without a reload
        type_answer(phone, "language")
        click(phone, "English")
        bot_says(phone, "I’ll talk to you in English")
        expect(phone.locator("html")).to_have_attribute("lang", "en")
        expect(phone.locator("#send")).to_have_text("Send")
        expect(phone.locator("#signout")).to_have_text("Sign out")
        expect(phone.locator("#message")).to_have_attribute("placeholder", re.compile(r"[Tt]ype"))
        expect(phone).to_have_title(re.compile(r"find peers"))
        assert_newest_clear_of_composer(phone, "after switching language")
