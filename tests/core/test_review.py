"""A coordinator's review in chat as pure transcripts: each button becomes a decision for the
caller to carry out; a rejection first asks why."""

from __future__ import annotations

from typing import Any

from bot.core.actions import (
    ReviewApprove,
    ReviewApproveAll,
    ReviewRearrange,
    ReviewReject,
    ReviewSwap,
    decode,
)
from bot.core.effects import ReviewDecided, SwapRequested
from bot.core.i18n import translator
from bot.core.messages import Card
from bot.core.review import REASON_LIMIT, review_messages
from tests.core.conversations import member
from tests.core.transcript import Transcript


def test_a_rejection_asks_for_the_reason_and_then_decides() -> None:
    chat = Transcript(member())
    chat.press(ReviewReject(7, 2))
    assert chat.step == "review_reason"
    assert "Waarom wijs je groep 2 af?" in chat.question.text
    assert chat.question.max_length == REASON_LIMIT
    assert chat.effects == [], "nothing is decided before the reason"

    chat.say("   ")
    assert chat.errors() and chat.step == "review_reason"
    chat.say("x" * (REASON_LIMIT + 1))
    assert chat.errors() and chat.step == "review_reason"
    chat.say("Ze werken al samen\x00 in hetzelfde project.")
    assert chat.effects == [
        ReviewDecided("reject", 7, 2, reason="Ze werken al samen in hetzelfde project.")
    ]
    assert chat.messages == (), "the caller says what was decided"
    assert chat.step == "done" and chat.conversation.context == {}


def test_a_rejection_can_be_cancelled() -> None:
    chat = Transcript(member())
    chat.press(ReviewReject(7, 2))
    chat.click("cancel")
    assert chat.step == "done" and chat.effects == []


def test_approve_swap_and_rearrange_are_decisions_for_the_caller() -> None:
    chat = Transcript(member())
    chat.press(ReviewApprove(7, 1))
    chat.press(ReviewApproveAll(7))
    chat.press(ReviewSwap(7, 2))
    chat.press(ReviewSwap(7, 2, 31))
    chat.press(ReviewRearrange(7, 2, 31, with_person=44))
    chat.press(ReviewRearrange(7, 2, 31, to_position=3))
    assert chat.effects == [
        ReviewDecided("approve", 7, 1),
        ReviewDecided("approve", 7, None),
        SwapRequested(7, 2, None),
        SwapRequested(7, 2, 31),
        ReviewDecided("rearrange", 7, 2, member=31, with_person=44),
        ReviewDecided("rearrange", 7, 2, member=31, to_position=3),
    ]
    assert chat.step == "done"


def test_a_review_button_pressed_in_a_detour_goes_back_to_where_the_person_was() -> None:
    chat = Transcript(member())
    chat.say("pauze")
    assert chat.step == "pause_menu"
    chat.press(ReviewApprove(7, 1))
    assert chat.step == "done", "the menu is left, not answered"
    chat.press(ReviewReject(7, 1))
    assert chat.conversation.context["return_to"] == "done"


def test_a_damaged_review_button_is_refused() -> None:
    chat = Transcript(member())
    chat.click("review:approve:7")
    assert chat.errors() and chat.effects == [] and chat.step == "done"


def test_the_review_cards_carry_buttons_that_decode_to_their_decisions() -> None:
    person: dict[str, Any] = {"id": 31, "name": "Anna", "organisation": "Ede", "phase": None}
    person |= {"group": "regionaal", "region": None, "themes": ["bouw"]}
    group: dict[str, Any] = {"status": "proposed", "people": [person], "kind": "pair"}
    group |= {"score": 0.5, "score_vs_round": 0.1, "explanation": "Samen bouw."}
    groups = [group | {"position": 1}, group | {"position": 2}]
    view: dict[str, Any] = {"id": 7, "mean_score": 0.4, "groups": groups}
    cards = [m for m in review_messages(view, translator("nl")) if isinstance(m, Card)]
    pressed = [decode(c.value) for card in cards for c in card.choices]
    assert pressed == [
        ReviewApprove(7, 1),
        ReviewReject(7, 1),
        ReviewSwap(7, 1),
        ReviewApprove(7, 2),
        ReviewReject(7, 2),
        ReviewSwap(7, 2),
        ReviewApproveAll(7),
    ]
