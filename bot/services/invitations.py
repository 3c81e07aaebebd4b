"""Inviting people to the web pilot by e-mail: a list of names and addresses becomes one
invitation each, with a sign-in link, and at most one reminder a week later.

A list is checked whole before anything is stored: bad rows are reported by line number and
nothing is half-imported. Addresses already invited, or of someone already here, are skipped and
counted. An invited address becomes a web person without a profile or consent (consent is asked
in the chat, as for everyone); the invitation goes out through the outbox by e-mail, once.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.core.i18n import normalise_language, translator
from bot.core.messages import Text, to_dict
from bot.core.profile import clean_text
from bot.settings_groups import EmailSignIn, PublicLinks
from storage import identities, invitations, outbox
from storage.db import session_scope
from storage.models import Invitation, Person
from storage.types import utcnow

#: The outbox kinds of an invitation and its reminder (delivered by e-mail only).
INVITATION, INVITATION_REMINDER = "invitation", "invitation_reminder"
MAIL = "mail"
#: How long an invitation's sign-in link works (a sign-in link asked on the page: minutes).
INVITATION_LINK_DAYS = 14
REMIND_AFTER = timedelta(days=7)
MAX_NAME = 100
MAX_ROWS = 5_000
COLUMNS = ("name", "email", "language")


def normalise_address(value: str) -> str | None:
    """A work address in the form we keep (lower case), or None when it is not one: exactly one
    ``@``, a dotted domain, no spaces or angle brackets, at most 254 characters."""
    address = value.strip().lower()
    local, at, domain = address.rpartition("@")
    if (
        not at
        or not local
        or len(address) > identities.MAX_EMAIL
        or "." not in domain
        or domain.startswith(".")
        or domain.endswith(".")
        or ".." in domain
        or any(c.isspace() or c in '<>(),;:"[]\\' for c in address)
        or "@" in local
    ):
        return None
    return address


@dataclass(frozen=True)
class Invitee:
    line: int
    name: str
    email: str
    language: str


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str  # a message id (``invite.bad.*``)


class ListRefused(ValueError):
    """The list has bad rows: nothing was stored."""

    def __init__(self, problems: Sequence[BadRow]) -> None:
        super().__init__(f"{len(problems)} bad rows")
        self.problems = list(problems)

    def lines(self, language: str) -> list[str]:
        t = translator(language)
        return [t("invite.bad.line", line=p.line, reason=t(p.reason)) for p in self.problems]


def read_list(text: str, *, default_language: str, signin: EmailSignIn) -> list[Invitee]:
    """The invitees of a CSV text with the columns ``name,email`` and optionally ``language``
    (a header row first); ListRefused with every bad row when any is bad."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(rows, None)
    columns = [c.strip().lower() for c in header] if header else []
    if "name" not in columns or "email" not in columns or not set(columns) <= set(COLUMNS):
        raise ListRefused([BadRow(1, "invite.bad.header")])
    found: list[Invitee] = []
    problems: list[BadRow] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line is no row
        if len(found) + len(problems) >= MAX_ROWS:
            problems.append(BadRow(line, "invite.bad.too_many"))
            break
        if len(row) != len(columns):
            problems.append(BadRow(line, "invite.bad.columns"))
            continue
        values = dict(zip(columns, row, strict=True))
        name = clean_text(values["name"])
        address = normalise_address(values["email"])
        language = (values.get("language") or "").strip()
        chosen = normalise_language(language) if language else default_language
        if not name or len(name) > MAX_NAME:
            problems.append(BadRow(line, "invite.bad.name"))
        elif address is None:
            problems.append(BadRow(line, "invite.bad.email"))
        elif not signin.allows(address):
            problems.append(BadRow(line, "invite.bad.domain"))
        elif chosen is None:
            problems.append(BadRow(line, "invite.bad.language"))
        elif address in seen:
            problems.append(BadRow(line, "invite.bad.twice"))
        else:
            seen.add(address)
            found.append(Invitee(line, name, address, chosen))
    if problems:
        raise ListRefused(problems)
    return found


@dataclass
class InviteReport:
    invited: int = 0
    already_invited: int = 0
    already_joined: int = 0
    invited_addresses: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, int]:
        return {
            "invited": self.invited,
            "already_invited": self.already_invited,
            "already_joined": self.already_joined,
        }


@dataclass(frozen=True)
class InvitationView:
    """One invitation on the dashboard: invited, joined, profile done."""

    email: str
    name: str | None
    language: str
    invited_at: datetime
    reminded_at: datetime | None
    joined_at: datetime | None
    profile_done: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "language": self.language,
            "invited_at": self.invited_at.isoformat(),
            "reminded_at": self.reminded_at.isoformat() if self.reminded_at else None,
            "joined": self.joined_at is not None,
            "profile_done": self.profile_done,
        }


class Invitations:
    def __init__(
        self,
        engine: Engine,
        *,
        links: PublicLinks,
        clock: Any = utcnow,
        link_days: int = INVITATION_LINK_DAYS,
    ) -> None:
        self.engine = engine
        self.links = links
        self.clock = clock
        self.link_lifetime = timedelta(days=link_days)

    def invite(self, invitees: Sequence[Invitee], *, actor: str) -> InviteReport:
        """Invite each new address once, in one transaction (all or nothing)."""
        report = InviteReport()
        now = self.clock()
        with session_scope(self.engine) as session:
            for invitee in invitees:
                if invitations.get(session, invitee.email) is not None:
                    report.already_invited += 1
                    continue
                if identities.person_by_email(session, invitee.email) is not None:
                    report.already_joined += 1
                    continue
                person = Person(
                    platform="local",
                    platform_user_id=identities.email_identity(invitee.email),
                    email=invitee.email,
                    language=invitee.language,
                )
                session.add(person)
                session.flush()
                assert person.id is not None
                invitation = invitations.add(
                    session,
                    email=invitee.email,
                    name=invitee.name,
                    language=invitee.language,
                    invited_by=actor,
                    person_id=person.id,
                    at=now,
                )
                self._send(session, invitation, person.id, INVITATION, now)
                report.invited += 1
                report.invited_addresses.append(invitee.email)
        return report

    def remind_due(self) -> int:
        """The one reminder, a week after an invitation nobody used."""
        now = self.clock()
        sent = 0
        with session_scope(self.engine) as session:
            for invitation in invitations.due_for_reminder(
                session, invited_before=now - REMIND_AFTER
            ):
                assert invitation.person_id is not None
                invitation.reminded_at = now
                session.add(invitation)
                self._send(session, invitation, invitation.person_id, INVITATION_REMINDER, now)
                sent += 1
        return sent

    def overview(self) -> list[InvitationView]:
        with Session(self.engine) as session:
            rows = invitations.all_invitations(session)
            ids = [r.person_id for r in rows if r.person_id is not None]
            done = {
                p.id
                for p in session.exec(select(Person).where(Person.id.in_(ids)))  # type: ignore[union-attr]
                if p.profile_completed_at is not None
            }
            return [_view(r, r.person_id in done) for r in rows]

    def _send(
        self, session: Session, invitation: Invitation, person_id: int, kind: str, now: datetime
    ) -> None:
        token = secrets.token_urlsafe(32)
        identities.issue_token(
            session,
            token=token,
            email=invitation.email,
            lifetime=self.link_lifetime,
            purpose="invitation",
            now=now,
        )
        t = translator(invitation.language)
        url = self.links.person_link(f"/signin/email/{token}")
        days = self.link_lifetime.days
        messages = [
            Text(t(f"{kind}.greeting", name=invitation.name or "")),
            Text(t(f"{kind}.body")),
            Text(t("invitation.link", url=url, days=days)),
        ]
        outbox.enqueue(
            session,
            dedupe_key=f"{kind}:{invitation.id}",
            recipient_id=person_id,
            kind=kind,
            payload={"messages": [to_dict(m) for m in messages]},
            channel=MAIL,
        )


def _view(row: Invitation, profile_done: bool) -> InvitationView:
    return InvitationView(
        email=row.email,
        name=row.name,
        language=row.language,
        invited_at=row.invited_at,
        reminded_at=row.reminded_at,
        joined_at=row.joined_at,
        profile_done=profile_done,
    )
