"""A check-in in a real Chromium, at a desktop width and at 390 px: typing the answer answers it,
its buttons stay usable while it is open (also after a command), and the sharing choice is
visible above the composer on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from bot.core.messages import local_account_id
from storage import people
from storage.db import make_engine, session_scope
from storage.models import CheckIn, Person
from tests.platforms.web.test_browser import sign_in, type_answer
from tests.support.browser import (
    chromium,
    require_chromium,
    running_server,
    seed_people,
    seed_round,
)

pytestmark = pytest.mark.browser


def _at_rest_and_first_due(data: Path) -> str:
    """Anna has finished her intake (the chat is at rest); when the first check-in is due."""
    engine = make_engine(f"sqlite:///{data / 'maatjes.db'}")
    try:
        with session_scope(engine) as session:
            anna = session.exec(
                select(Person).where(col(Person.platform_user_id) == local_account_id("Anna"))
            ).one()
            assert anna.id is not None
            people.save_conversation(session, person_id=anna.id, step="done", context={})
        with Session(engine) as session:
            due = session.exec(select(CheckIn).order_by(col(CheckIn.due_at))).first()
            assert due is not None, "the introduction planned the group's check-ins"
            return due.due_at.isoformat()
    finally:
        engine.dispose()


def _fully_above_composer(page: Page, selector: str) -> None:
    box = page.locator(selector).last.bounding_box()
    composer = page.locator("#composer, form#chat-form, .composer").first.bounding_box()
    assert box is not None and composer is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= composer["y"] + 1, (box, composer)


def test_a_check_in_is_answered_by_typing_and_its_buttons_stay_alive(tmp_path: Path) -> None:
    require_chromium()
    data = tmp_path / "data"
    with running_server(data) as server, chromium() as browser:
        seed_people(data)
        round_id = seed_round(data, with_local="Anna")
        assert server.cli("round", "approve", str(round_id)).returncode == 0
        assert server.cli("checkins", "deliver-due").returncode == 0  # plans the check-ins
        due = _at_rest_and_first_due(data)
        sent = server.cli("checkins", "deliver-due", "--at", due)
        assert sent.returncode == 0 and "check-ins sent 0," not in sent.stdout, sent.stdout

        page = browser.new_page(locale="nl-NL", viewport={"width": 1280, "height": 900})
        sign_in(page, server.url, "Anna")
        answer = page.locator("#transcript li:last-child button.choice", has_text="Beantwoorden")
        expect(answer).to_be_enabled()
        type_answer(page, "help")
        expect(page.locator("#transcript")).to_contain_text("reflectievraag")
        expect(answer.last).to_be_enabled()  # the buttons come back, usable, after a command

        type_answer(page, "We bellen volgende week met de provincie.")
        expect(page.locator("#transcript")).not_to_contain_text("begrijp")
        share = page.locator("#transcript li:last-child button.choice", has_text="alleen voor mij")
        expect(share).to_be_visible()

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()  # on a phone, after a reload: the open sharing choice is asked again
        share = page.locator("#transcript li:last-child button.choice", has_text="alleen voor mij")
        expect(share).to_be_enabled()
        _fully_above_composer(page, "#transcript li:last-child")
        with page.expect_response(lambda r: r.url.endswith("/api/chat")):
            share.click()
        expect(page.locator("#transcript")).to_contain_text("Je antwoord blijft bij jou")

        page.reload()  # answered: the check-in is not offered again
        expect(page.locator("#transcript .from-bot").first).to_be_visible()
        expect(
            page.locator("#transcript li:last-child button.choice", has_text="Beantwoorden")
        ).to_have_count(0)
