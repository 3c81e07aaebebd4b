"""A round's life: nothing is sent before approval, one introduction per member after, left-out
notices, role checks with audit, follow-ups that feed blocks — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.core.messages import Account, Card, Inbound, Question, Text
from bot.services.access import CLI_ACTOR
from bot.services.conversations import ConversationService
from bot.services.delivery import Delivery, InboxSender
from bot.services.errors import NotAllowed, RoundClosed
from bot.services.round_views import round_view
from bot.services.rounds import RoundService
from bot.settings import Settings
from storage import audit, outbox, rounds
from storage.models import AuditEvent, Person
from storage.types import utcnow
from tests.support.community import community, proposed_round


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, coordinators="local:tessa", follow_up_days=14)  # type: ignore[call-arg]


@pytest.fixture
def service(engine: Engine, settings: Settings) -> RoundService:
    return RoundService(engine, settings.groups.rounds)


def _outbox(engine: Engine) -> list[tuple[int, str, str]]:
    with Session(engine) as session:
        return [(m.recipient_id, m.kind, m.status) for m in outbox.entries(session)]


def test_nothing_is_sent_before_approval_then_one_introduction_each(
    engine: Engine, service: RoundService
) -> None:
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    assert _outbox(engine) == [], "a proposed round sends nothing"
    delivery = Delivery(engine, {"local": InboxSender(engine)})
    assert delivery.deliver_due().delivered == 0

    assert service.approve(round_id, position=1, actor="local:tessa", origin="web") == [1]
    entries = _outbox(engine)
    intros = sorted(r for r, kind, _ in entries if kind == "introduction")
    assert intros == sorted(ids[:2])
    assert not any(r in ids[2:] for r, _, _ in entries), "the unapproved group hears nothing"
    assert service.approve(round_id, position=1, actor="local:tessa", origin="web") == [], (
        "idempotent"
    )
    assert len([e for e in _outbox(engine) if e[1] == "introduction"]) == 2

    report = delivery.deliver_due()
    assert report.delivered == 2 and report.by_kind == {"introduction": 2}, (
        "follow-ups wait their turn"
    )

    conversations = ConversationService(engine, service_intake())
    shown = conversations.resume(Account("local", "anna"))
    texts = [m.text for m in shown if isinstance(m, Text)]
    assert texts[0] == "Maak kennis met je maatje!"
    card = next(m for m in shown if isinstance(m, Card))
    assert [f.label for f in card.fields] == ["Bram"]
    assert any("Anna zoekt „circulair inkopen” en Bram biedt „ervaring”" in t for t in texts)
    assert not any(
        isinstance(m, Text) and m.text.startswith("Maak kennis")
        for m in conversations.resume(Account("local", "anna"))
    ), "shown once"


def test_rejecting_closes_the_round_and_tells_who_is_left_out(
    engine: Engine, service: RoundService
) -> None:
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    service.approve(round_id, position=1, actor="local:tessa", origin="web")
    service.reject(
        round_id,
        position=2,
        reason="Chris en Dewi kennen elkaar al",
        actor="local:tessa",
        origin="web",
    )
    with Session(engine) as session:
        view = round_view(session, round_id=round_id).as_dict()
    assert view["status"] == "introduced"
    assert [g["status"] for g in view["groups"]] == ["introduced", "rejected"]
    assert view["groups"][1]["reject_reason"] == "Chris en Dewi kennen elkaar al"
    left_out = sorted(r for r, kind, _ in _outbox(engine) if kind == "left_out")
    assert left_out == sorted(ids[2:])
    with Session(engine) as session:
        texts = {
            m.recipient_id: str(m.payload) for m in outbox.entries(session) if m.kind == "left_out"
        }
    # the next round's day as people read it, in their language (Chris reads English)
    assert re.search(
        r"rond (maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag) \d", texts[ids[3]]
    )
    assert re.search(r"around [A-Z][a-z]+day \d+ [A-Z][a-z]+", texts[ids[2]])
    with pytest.raises(RoundClosed):
        service.approve(round_id, actor="local:tessa", origin="web")
    with Session(engine) as session:
        decisions = rounds.decisions_of(session, round_id=round_id)
        assert [(d.action, d.actor) for d in decisions] == [
            ("approve", "local:tessa"),
            ("reject", "local:tessa"),
        ]


def test_a_trio_is_told_kindly(engine: Engine, service: RoundService) -> None:
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    service.approve(round_id, actor=CLI_ACTOR, origin="cli")
    Delivery(engine, {"local": InboxSender(engine)}).deliver_due()
    shown = ConversationService(engine, service_intake()).resume(Account("local", "chris"))
    texts = [m.text for m in shown if isinstance(m, Text)]
    assert texts[0] == "Meet your peers!", "Chris reads English"
    assert any("odd number" in t for t in texts)


def test_only_coordinators_review_and_refusals_are_audited(
    engine: Engine, service: RoundService
) -> None:
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    with pytest.raises(NotAllowed):
        service.approve(round_id, actor="local:anna", origin="web")
    with pytest.raises(NotAllowed):
        service.reject(round_id, position=1, reason="x", actor="slack:U999", origin="slack")
    assert _outbox(engine) == []
    with Session(engine) as session:
        events = audit.events(session)
        refused = [(e.actor, e.action, e.result) for e in events if e.result == "refused"]
        assert sorted(refused) == [
            ("local:anna", "approve", "refused"),
            ("slack:U999", "reject", "refused"),
        ]
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "introduce")).all() == []


def test_follow_up_answers_feed_blocks(engine: Engine, service: RoundService) -> None:
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    service.approve(round_id, position=1, actor="local:tessa", origin="web")
    delivery = Delivery(engine, {"local": InboxSender(engine)})
    delivery.deliver_due()
    later = utcnow() + timedelta(days=15)
    assert delivery.deliver_due(now=later).by_kind == {"follow_up": 2}

    conversations = ConversationService(engine, service_intake())
    anna = Account("local", "anna")
    shown = conversations.resume(anna)
    question = next(m for m in shown if isinstance(m, Question) and m.step == "follow_up")
    assert "Bram" in question.text
    block = next(c for c in question.choices if ":block:" in c.value)
    turn = conversations.handle(anna, Inbound(choice=block.value))
    assert turn.accepted and "niet meer aan elkaar" in turn.messages[0].text  # type: ignore[union-attr]
    with Session(engine) as session:
        assert rounds.blocked_pairs(session) == [tuple(sorted(ids[:2]))]
        (answer,) = rounds.follow_ups(session)
        assert (answer.person_id, answer.answer) == (ids[0], "not_a_fit")
    # A forged button for a group one is not in records nothing.
    with Session(engine) as session:
        group_ids = [g["id"] for g in round_view(session, round_id=round_id).as_dict()["groups"]]
    conversations.handle(
        Account("local", "eva"), Inbound(choice=f"followup:{group_ids[0]}:block:{ids[0]}")
    )
    with Session(engine) as session:
        assert len(rounds.blocked_pairs(session)) == 1


def test_erased_recipients_fail_delivery_visibly(engine: Engine, service: RoundService) -> None:
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    service.approve(round_id, position=1, actor="local:tessa", origin="web")
    report = Delivery(engine, {}).deliver_due()
    assert report.failed == 2, "no sender for the platform: failed, not dropped"
    with Session(engine) as session:
        assert {m.status for m in outbox.entries(session, status="failed")} == {"failed"}
        assert session.get(Person, ids[0]) is not None


def service_intake():
    from bot.core.dialogue import Intake

    return Intake()


def test_review_in_chat_with_buttons(engine: Engine, service: RoundService) -> None:
    from bot.core.dialogue import Intake

    ids = community(engine)
    round_id = proposed_round(engine, ids)
    chat = ConversationService(engine, Intake(), rounds=service)
    tessa, anna = Account("local", "tessa"), Account("local", "anna")

    refused = chat.handle(anna, Inbound(text="ronde"))
    assert "Alleen coördinatoren" in refused.messages[-1].text  # type: ignore[union-attr]
    refused = chat.handle(anna, Inbound(choice=f"review:approve:{round_id}:1"))
    assert "Alleen coördinatoren" in refused.messages[-1].text  # type: ignore[union-attr]
    assert _outbox(engine) == []

    shown = chat.handle(tessa, Inbound(text="ronde"))
    cards = [m for m in shown.messages if isinstance(m, Card)]
    assert [c.title for c in cards] == ["Maatjes 1", "Trio 2", "Alles in één keer"]
    assert [f.label for f in cards[0].fields][:2] == ["Anna", "Bram"]
    assert cards[0].footer and "circulair inkopen" in cards[0].footer
    approve, reject, swap = (c.value for c in cards[1].choices)
    assert swap == f"review:swap:{round_id}:2"

    asked = chat.handle(tessa, Inbound(choice=reject))
    assert isinstance(asked.messages[-1], Question) and asked.messages[-1].step == "review_reason"
    done = chat.handle(tessa, Inbound(text="Chris en Dewi werken al samen"))
    assert "Groep 2 is afgewezen" in done.messages[0].text  # type: ignore[union-attr]
    remaining = [m for m in done.messages if isinstance(m, Card)]
    assert [c.title for c in remaining] == ["Maatjes 1"], "only open groups are shown"

    done = chat.handle(tessa, Inbound(choice=remaining[0].choices[0].value))
    assert "Goedgekeurd: groep 1" in done.messages[0].text  # type: ignore[union-attr]
    assert sorted(r for r, kind, _ in _outbox(engine) if kind == "introduction") == sorted(ids[:2])
    again = chat.handle(tessa, Inbound(choice=approve))
    assert "al besloten" in again.messages[0].text  # type: ignore[union-attr]
    assert "geen ronde" in chat.handle(tessa, Inbound(text="review")).messages[-1].text  # type: ignore[union-attr]
