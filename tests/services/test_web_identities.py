"""Web identities on a real database: who an identity is, and signing out everywhere."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.services.web_identities import WebIdentities
from storage import identities
from storage.db import session_scope
from storage.models import Person


def test_sign_in_creates_one_person_and_finds_them_again(engine: Engine) -> None:
    web = WebIdentities(engine)
    first = web.sign_in(
        "email:ann@example.org", email="Ann@Example.org", display_name=None, language="nl"
    )
    again = web.sign_in(
        "email:ann@example.org", email="ann@example.org", display_name=None, language="en"
    )
    assert first.person_id == again.person_id
    assert first.user_id == "email:ann@example.org"
    assert first.email == "ann@example.org"
    assert web.session_open(first.identity, first.version)


def test_sign_in_finds_the_person_by_address(engine: Engine) -> None:
    with session_scope(engine) as session:
        person = Person(platform="local", platform_user_id="bea", email="bea@example.org")
        session.add(person)
        session.flush()
        person_id = person.id
    signed = WebIdentities(engine).sign_in(
        identities.oidc_identity("https://idp", "42"),
        email="bea@example.org",
        display_name="Bea",
        language="nl",
    )
    assert signed.person_id == person_id
    assert signed.user_id == "bea"


def test_end_sessions_closes_old_versions(engine: Engine) -> None:
    web = WebIdentities(engine)
    signed = web.sign_in(
        "email:cas@example.org", email="cas@example.org", display_name=None, language="nl"
    )
    web.end_sessions(signed.identity)
    assert not web.session_open(signed.identity, signed.version)
    assert not web.session_open(signed.identity, True)
    assert not web.session_open("email:nobody@example.org", 0)
    assert web.session_open(signed.identity, signed.version + 1)


def test_attach_email_to_a_name_trial_person(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Person(platform="local", platform_user_id="dirk"))
        session.add(Person(platform="local", platform_user_id="eva", email="eva@example.org"))
    web = WebIdentities(engine)
    attached = web.attach_email("dirk", "Dirk@Example.org")
    assert attached is not None and attached.user_id == "dirk"
    assert web.attach_email("dirk", "eva@example.org") is None
    assert (
        web.sign_in(
            "email:dirk@example.org", email="dirk@example.org", display_name=None, language="nl"
        ).user_id
        == "dirk"
    )
