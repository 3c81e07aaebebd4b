"""Everyone in the community as a coordinator finds them: a searchable list, a page at a time,
and one person's profile to read (each reading is audited as ``read_profile``, not as an export).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage import audit, people
from storage.db import session_scope
from storage.models import GroupMember, MatchGroup, Person
from storage.types import utcnow

#: the longest search text taken (longer is cut, never an error)
MAX_QUERY = 100


@dataclass(frozen=True)
class PersonRow:
    """A line of the people page."""

    id: int
    name: str | None
    organisation: str | None
    group: str | None
    themes: tuple[str, ...]
    profile_done: bool


@dataclass(frozen=True)
class PeoplePage:
    rows: tuple[PersonRow, ...]
    total: int
    pages: int


@dataclass(frozen=True)
class Membership:
    """A group a person is (or was) in, for a link to its round."""

    round_id: int
    position: int
    kind: str
    status: str


@dataclass(frozen=True)
class Profile:
    """What a person told about themselves, as a reviewer reads it."""

    id: int
    name: str | None
    organisation: str | None
    organisation_kind: str | None
    group: str | None
    region: str | None
    themes: tuple[str, ...]
    themes_other: str | None
    phase: str | None
    works_on: str | None
    seeks: str | None
    offers: str | None
    ongemak: str | None
    language: str
    profile_completed_at: datetime | None
    paused: bool
    memberships: tuple[Membership, ...]


def _row(person: Person) -> PersonRow:
    assert person.id is not None
    return PersonRow(
        id=person.id,
        name=person.name,
        organisation=person.organisation,
        group=person.group,
        themes=tuple(person.themes or ()),
        profile_done=person.profile_completed_at is not None,
    )


class PeopleDirectory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search(
        self, *, text: str = "", theme: str | None = None, number: int = 1, size: int = 50
    ) -> PeoplePage:
        """People whose name or organisation contains ``text`` (any case) and who chose
        ``theme``, by name; page ``number`` of ``size``."""
        query = select(Person)
        words = text.strip()[:MAX_QUERY]
        if words:
            escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            query = query.where(
                or_(
                    func.lower(col(Person.name)).like(pattern, escape="\\"),
                    func.lower(col(Person.organisation)).like(pattern, escape="\\"),
                )
            )
        query = query.order_by(func.lower(func.coalesce(col(Person.name), "")), col(Person.id))
        with Session(self.engine) as session:
            found = [_row(p) for p in session.exec(query).all()]
        if theme:  # themes are a JSON list: filtered here, the same on every database
            found = [r for r in found if theme in r.themes]
        pages = max(1, -(-len(found) // size))
        start = (min(number, pages) - 1) * size
        return PeoplePage(rows=tuple(found[start : start + size]), total=len(found), pages=pages)

    def name_of(self, person_id: int) -> PersonRow | None:
        """Who a person is (no profile texts, so not audited): for the privacy page."""
        with Session(self.engine) as session:
            person = session.get(Person, person_id)
            return _row(person) if person is not None else None

    def read(self, person_id: int, *, actor: str, origin: str = "dashboard") -> Profile | None:
        """One person's profile, or None; the reading is in the audit trail."""
        with session_scope(self.engine) as session:
            person = session.get(Person, person_id)
            if person is None:
                return None
            audit.record(
                session,
                actor=actor,
                action="read_profile",
                object_type="person",
                object_id=person_id,
                result="ok",
                origin=origin,
            )
            groups = session.exec(
                select(MatchGroup)
                .join(GroupMember, col(GroupMember.group_id) == col(MatchGroup.id))
                .where(col(GroupMember.person_id) == person_id)
                .order_by(col(MatchGroup.round_id).desc(), col(MatchGroup.position))
            ).all()
            return Profile(
                id=person_id,
                name=person.name,
                organisation=person.organisation,
                organisation_kind=person.organisation_kind,
                group=person.group,
                region=person.region,
                themes=tuple(person.themes or ()),
                themes_other=person.themes_other,
                phase=person.phase,
                works_on=person.works_on,
                seeks=person.seeks,
                offers=person.offers,
                ongemak=person.ongemak,
                language=person.language,
                profile_completed_at=person.profile_completed_at,
                paused=people.is_paused(person, today=utcnow().date()),
                memberships=tuple(
                    Membership(g.round_id, g.position, g.kind, g.status) for g in groups
                ),
            )
