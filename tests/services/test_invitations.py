"""Invitations: a list is taken whole or not at all, each new address is invited once (through
the outbox, by e-mail), joined and invited addresses are skipped, one reminder a week later."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.services.invitations import (
    INVITATION,
    INVITATION_REMINDER,
    Invitations,
    ListRefused,
    normalise_address,
    read_list,
)
from bot.settings_groups import EmailSignIn, PublicLinks
from storage import identities, outbox
from storage.db import session_scope
from storage.models import Invitation, Person
from storage.types import utcnow

ANY_DOMAIN = EmailSignIn((), 15, "3/hour", "10/hour")
LINKS = PublicLinks("https://maatjes.example.nl")


def _read(text: str, signin: EmailSignIn = ANY_DOMAIN) -> list:  # type: ignore[type-arg]
    return read_list(text, default_language="nl", signin=signin)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def test_a_list_with_a_bad_row_is_refused_whole_with_line_numbers() -> None:
    text = (
        "name,email,language\n"
        "Anna de Vries,anna@gemeente.nl,nl\n"
        "Bram,not-an-address,en\n"
        "\n"
        ",carla@provincie.nl,\n"
        "Daan,daan@rijksoverheid.nl,fr\n"
        "Eva,ANNA@gemeente.nl,\n"
        "Fenna,fenna@x.nl,nl,extra\n"
    )
    with pytest.raises(ListRefused) as refused:
        _read(text)
    assert [(p.line, p.reason) for p in refused.value.problems] == [
        (3, "invite.bad.email"),
        (5, "invite.bad.name"),
        (6, "invite.bad.language"),
        (7, "invite.bad.twice"),
        (8, "invite.bad.columns"),
    ]
    assert refused.value.lines("nl")[0] == "Regel 3: dit is geen e-mailadres"
    assert refused.value.lines("en")[0] == "Line 3: this is not an e-mail address"


def test_the_header_is_required_and_the_language_is_optional() -> None:
    with pytest.raises(ListRefused) as refused:
        _read("Anna,anna@gemeente.nl\n")
    assert refused.value.problems[0].line == 1
    found = _read("\ufeffEmail,Name\nanna@gemeente.nl,Anna\nbram@minienw.nl,Bram\n")
    assert [(i.email, i.name, i.language) for i in found] == [
        ("anna@gemeente.nl", "Anna", "nl"),
        ("bram@minienw.nl", "Bram", "nl"),
    ]


def test_the_domain_allow_list_applies_to_invitations() -> None:
    dutch = EmailSignIn(("*.nl",), 15, "3/hour", "10/hour")
    assert _read("name,email\nAnna,anna@gemeente.nl\n", dutch)
    with pytest.raises(ListRefused) as refused:
        _read("name,email\nAnna,anna@gemeente.nl\nBob,bob@example.com\n", dutch)
    assert [(p.line, p.reason) for p in refused.value.problems] == [(3, "invite.bad.domain")]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "anna",
        "@gemeente.nl",
        "anna@",
        "anna@nl",
        "an na@gemeente.nl",
        "a@b@c.nl",
        "anna@gemeente..nl",
        "<anna@gemeente.nl>",
        "anna@.nl",
        "x" * 250 + "@g.nl",
    ],
)
def test_what_is_not_an_address(value: str) -> None:
    assert normalise_address(value) is None


def test_each_new_address_is_invited_once_and_others_are_counted(engine: Engine) -> None:
    with session_scope(engine) as session:  # Carla already takes part on the web
        session.add(Person(platform="local", platform_user_id="carla", email="carla@x.nl"))
    service = Invitations(engine, links=LINKS)
    text = "name,email,language\nAnna,Anna@Gemeente.nl,nl\nBram,bram@minienw.nl,en\n"
    first = service.invite(_read(text + "Carla,carla@x.nl,nl\n"), actor="cli:operator")
    assert first.as_dict() == {"invited": 2, "already_invited": 0, "already_joined": 1}
    again = service.invite(_read(text), actor="cli:operator")
    assert again.as_dict() == {"invited": 0, "already_invited": 2, "already_joined": 0}
    with Session(engine) as session:
        sent = [m for m in outbox.entries(session) if m.kind == INVITATION]
        people = {p.email: p for p in session.exec(select(Person)).all()}
    assert len(sent) == 2 and {m.channel for m in sent} == {"mail"}
    anna = people["anna@gemeente.nl"]
    assert anna.platform == "local" and anna.name is None, "no profile before consent"
    assert anna.profile_completed_at is None and people["bram@minienw.nl"].language == "en"
    texts = {m.recipient_id: str(m.payload) for m in sent}
    assert "Hoi Anna" in texts[anna.id] and "Hi Bram" in texts[people["bram@minienw.nl"].id]
    assert "https://maatjes.example.nl/signin/email/" in texts[anna.id]


def test_the_invitation_link_signs_in_once(engine: Engine) -> None:
    service = Invitations(engine, links=LINKS)
    service.invite(_read("name,email\nAnna,anna@gemeente.nl\n"), actor="cli:operator")
    with Session(engine) as session:
        (message,) = outbox.entries(session)
    token = str(message.payload).split("/signin/email/")[1].split("'")[0].split('"')[0]
    with session_scope(engine) as session:
        assert identities.valid_token(session, token) is not None, "looking spends nothing"
        assert identities.spend_token(session, token) == "anna@gemeente.nl"
        assert identities.spend_token(session, token) is None, "and only once"


def test_one_reminder_a_week_later_and_none_after_joining(engine: Engine) -> None:
    clock = Clock()
    service = Invitations(engine, links=LINKS, clock=clock)
    service.invite(
        _read("name,email\nAnna,anna@gemeente.nl\nBram,bram@minienw.nl\n"), actor="cli:operator"
    )
    clock.now += timedelta(days=6)
    assert service.remind_due() == 0, "not before a week"
    with session_scope(engine) as session:  # Bram signs in meanwhile
        bram = session.exec(select(Invitation).where(Invitation.email == "bram@minienw.nl")).one()
        bram.joined_at = clock.now
        session.add(bram)
    clock.now += timedelta(days=2)
    assert service.remind_due() == 1
    assert service.remind_due() == 0, "one reminder at most"
    clock.now += timedelta(days=30)
    assert service.remind_due() == 0
    with Session(engine) as session:
        reminders = [m for m in outbox.entries(session) if m.kind == INVITATION_REMINDER]
    assert len(reminders) == 1
    states = {v.email: v for v in service.overview()}
    assert states["anna@gemeente.nl"].reminded_at is not None
    assert states["bram@minienw.nl"].joined_at is not None
