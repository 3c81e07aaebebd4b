"""A community whose lessons moved: fifteen people on three topics since October 2026; in
December the five who wrote about textiles rewrote their words about roadside grass, so the
textiles theme of November is gone and a new one came in."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from bot.core.conversation import INSIGHTS, MATCHING, QUOTING
from storage import consents, people
from storage.db import session_scope

BEFORE = datetime(2026, 10, 1, 9, tzinfo=UTC)
SINCE = date(2026, 11, 1)
TOPICS = {
    "inkoop": (
        "Onze inkoopregels en de aanbesteding passen niet bij hergebruikte materialen, {n}.",
        "Circulair inkopen en aanbesteden van hergebruikte bouwmaterialen in contracten {n}.",
    ),
    "bodem": (
        "De regels voor grond en bodem maken hergebruik van vrijgekomen grond duur {n}.",
        "Hergebruik van grond, klei en bagger bij dijkversterking in het gebied {n}.",
    ),
    "textiel": (
        "Nobody pays for textile collection and sorting of worn clothing yet {n}.",
        "Textile collection, sorting and recycling of worn clothing in the region {n}.",
    ),
}
REWRITTEN = (
    "Bermgras en maaisel als biomassa: niemand neemt het maaisel af {n}.",
    "Maaisel en bermgras uit de berm vergisten of composteren als biomassa {n}.",
)


def _profile(engine: Engine, name: str, ongemak: str, works_on: str, at: datetime) -> None:
    with session_scope(engine) as session:
        person = people.get_or_create_person(
            session, platform="demo", platform_user_id=name, language="nl"
        )
        assert person.id is not None
        if person.profile_completed_at is None:
            for purpose in (MATCHING, INSIGHTS, QUOTING):
                consents.record_consent(
                    session, person_id=person.id, purpose=purpose, policy_version="t", given=True
                )
            for field, value in {
                "name": name,
                "group": "rijk" if name[-1] in "13" else "regionaal",
                "region": "utrecht",
                "themes": ["bouw"],
                "phase": "experimenteren",
            }.items():
                people.save_draft_answer(session, person_id=person.id, field=field, value=value)
        people.save_draft_answer(session, person_id=person.id, field="ongemak", value=ongemak)
        people.save_draft_answer(session, person_id=person.id, field="works_on", value=works_on)
        people.commit_profile(session, person=person, at=at)


def community_that_moved(engine: Engine) -> date:
    """Build it; returns the day to ask what changed since (between the two)."""
    for topic, (ongemak, works_on) in TOPICS.items():
        for n in range(5):
            _profile(engine, f"{topic}{n}", ongemak.format(n=n), works_on.format(n=n), BEFORE)
    for n in range(5):
        ongemak, works_on = (text.format(n=n) for text in REWRITTEN)
        _profile(engine, f"textiel{n}", ongemak, works_on, datetime.now(UTC))
    return SINCE
