"""A small community on a real database, and a round proposed for it as the matcher would store it:
Anna, Chris and Eva in the regio, Bram and Dewi in the rijk."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.conversation import MATCHING
from bot.services.access import CLI_ACTOR
from storage import consents, people, rounds
from storage.db import session_scope

PEOPLE = [
    ("Anna", "regionaal", "nl"),
    ("Bram", "rijk", "nl"),
    ("Chris", "regionaal", "en"),
    ("Dewi", "rijk", "nl"),
    ("Eva", "regionaal", "nl"),
]


def profiled_person(
    session: Session, *, platform: str, user_id: str, name: str, group: str, language: str = "nl"
) -> int:
    """One person with consent to be matched and a finished profile (a few words per answer)."""
    person = people.get_or_create_person(
        session, platform=platform, platform_user_id=user_id, language=language
    )
    assert person.id is not None
    consents.record_consent(
        session, person_id=person.id, purpose=MATCHING, policy_version="t", given=True
    )
    for field, value in {
        "name": name,
        "organisation": f"Org {name}",
        "group": group,
        "region": "utrecht",
        "themes": ["bouw"],
        "phase": "opschalen",
        "seeks": f"{name} zoekt",
        "offers": f"{name} biedt",
    }.items():
        people.save_draft_answer(session, person_id=person.id, field=field, value=value)
    people.commit_profile(session, person=person)
    return person.id


def community(engine: Engine) -> list[int]:
    """The five of PEOPLE in the web chat."""
    with session_scope(engine) as session:
        return [
            profiled_person(
                session,
                platform="local",
                user_id=name.lower(),
                name=name,
                group=group,
                language=language,
            )
            for name, group, language in PEOPLE
        ]


def proposed_round(engine: Engine, ids: list[int]) -> int:
    explanation = {
        "themes": ["bouw"],
        "mix": True,
        "phases": ["opschalen"],
        "fit": {
            "seeker": ids[0],
            "offerer": ids[1],
            "seeks": "circulair inkopen",
            "offers": "ervaring",
        },
    }
    with session_scope(engine) as session:
        match_round = rounds.create_round(
            session,
            kind="pairs",
            origin="cli",
            proposed_by=CLI_ACTOR,
            embedder="test",
            weights={},
            groups=[
                rounds.NewGroup([ids[0], ids[1]], 0.9, explanation),
                rounds.NewGroup([ids[2], ids[3], ids[4]], 0.5, {"themes": [], "mix": True}),
            ],
        )
        assert match_round.id is not None
        return match_round.id
