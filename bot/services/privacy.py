"""Privacy use cases: a person's data export, erasure ("vergeet mij") and retention.

Every chat reaches these through the conversation service (commands ``mijn gegevens`` and
``vergeet mij``), the operator through ``maatjes export`` / ``maatjes forget`` / ``maatjes
retention``, and the scheduler runs retention daily. Exports are delivered as a short-lived signed
link served by the app, so they work the same in the web chat, Slack and Teams.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.checkins import AMSTERDAM
from bot.core.i18n import format_day, translator
from bot.core.messages import Text, to_dict
from bot.settings_groups import PrivacySettings
from matching.scoring import first_sentence
from storage import audit, events, outbox
from storage import privacy as stored
from storage.db import purge_deleted, session_scope
from storage.models import Person
from storage.types import utcnow

log = logging.getLogger(__name__)

EXPORT_FORMAT = "maatjes-export/1"
_SALT = "maatjes.privacy.export"
#: spent export links, as keys in the table of events seen once
_SPENT = "export-link"


def _link_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class LinkInvalid(Exception):
    """The export link is forged, broken or names someone who is no longer here."""


class LinkExpired(LinkInvalid):
    pass


class LinkUsed(LinkInvalid):
    """The export link was downloaded once already: each link works one time."""


@dataclass
class ErasureReport:
    pseudonym: str
    removed: dict[str, int]
    purged: bool


@dataclass
class RetentionReport:
    warned: list[int] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"warned": len(self.warned), "erased": len(self.erased)}


def identity_of(person: Person) -> str:
    return f"{person.platform}:{person.platform_user_id}"


class PrivacyService:
    def __init__(
        self, engine: Engine, settings: PrivacySettings, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self._secret = settings.signing_key
        self._signer = URLSafeTimedSerializer(self._secret, salt=_SALT)

    # --- export --------------------------------------------------------------------------------

    def export(self, person_id: int, *, actor: str | None = None, origin: str = "cli") -> Any:
        """Everything held about a person as JSON-ready data, or None. The export is audited."""
        with session_scope(self.engine) as session:
            person = session.get(Person, person_id)
            if person is None:
                return None
            audit.record(
                session,
                actor=actor or identity_of(person),
                action="export",
                object_type="person",
                object_id=person_id,
                result="ok",
                origin=origin,
            )
            data = stored.person_data(session, person_id=person_id)
        return {
            "format": EXPORT_FORMAT,
            "generated_at": self.clock().isoformat(),
            "privacy_policy_version": self.settings.policy_version,
            "controller_contact": self.settings.contact,
            **(data or {}),
        }

    def export_bytes(self, person_id: int, **kwargs: Any) -> bytes | None:
        data = self.export(person_id, **kwargs)
        if data is None:
            return None
        return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")

    def export_link(self, person_id: int) -> str:
        """A download link for this person's export, valid for a few minutes."""
        with Session(self.engine) as session:
            person = session.get(Person, person_id)
            if person is None:
                raise LinkInvalid(str(person_id))
            # The token is signed, not encrypted: it carries the id and a keyed hash of the
            # account, never the account itself.
            # A nonce makes every link its own, so spending one never spends another.
            token = self._signer.dumps(
                {"p": person_id, "a": self._account_check(person), "n": secrets.token_urlsafe(6)}
            )
        return self.settings.links.person_link(f"/privacy/export/{token}")

    def read_link(self, token: str) -> int:
        """The person a link is for; LinkExpired / LinkInvalid otherwise."""
        try:
            data = self._signer.loads(token, max_age=self.settings.export_link_minutes * 60)
        except SignatureExpired as expired:
            raise LinkExpired from expired
        except BadSignature as bad:
            raise LinkInvalid from bad
        if not isinstance(data, dict) or not isinstance(data.get("p"), int):
            raise LinkInvalid
        with Session(self.engine) as session:
            person = session.get(Person, data["p"])
            # SQLite may give an erased person's id to someone new: the identity must match too.
            if person is None or self._account_check(person) != data.get("a"):
                raise LinkInvalid
        return int(data["p"])

    def link_used(self, token: str) -> bool:
        with Session(self.engine) as session:
            return events.seen(session, platform=_SPENT, event_id=_link_key(token))

    def spend_link(self, token: str) -> int:
        """The person a link is for, spending it: only the first caller gets the id, later
        ones LinkUsed (recorded in the database, so across processes too)."""
        person_id = self.read_link(token)
        with session_scope(self.engine) as session:
            if not events.first_time(session, platform=_SPENT, event_id=_link_key(token)):
                raise LinkUsed
        return person_id

    def _account_check(self, person: Person) -> str:
        return self.pseudonym(identity_of(person)).removeprefix("erased:")[:16]

    # --- erasure -------------------------------------------------------------------------------

    def pseudonym(self, identity: str) -> str:
        """A stable keyed hash of an identity: the audit can say "this account was erased" to
        whoever already knows the account, and tells nobody else who it was."""
        digest = hmac.new(self._secret.encode(), identity.encode(), hashlib.sha256).hexdigest()
        return f"erased:{digest[:20]}"

    def erase(
        self, person_id: int, *, actor: str | None = None, origin: str = "cli"
    ) -> ErasureReport | None:
        """Erase a person and everything of theirs; groups stay for the others. ``actor`` None
        means the person asked themselves (the audit names only their pseudonym)."""
        with session_scope(self.engine) as session:
            person = session.get(Person, person_id)
            if person is None:
                return None
            pseudonym = self.pseudonym(identity_of(person))
            placeholder = translator(self.settings.default_language)("privacy.erased_placeholder")
            texts = stored.typed_texts(session, person_id=person_id)
            fragments = texts + [first_sentence(text) for text in texts]
            removed = stored.erase_person(
                session,
                person_id=person_id,
                fragments=fragments,
                placeholder=placeholder,
                pseudonym=pseudonym,
            )
            assert removed is not None
            audit.record(
                session,
                actor=actor or pseudonym,
                action="erase",
                object_type="person",
                object_id=pseudonym,
                result="ok",
                origin=origin,
                detail={"removed": removed},
                at=self.clock(),
            )
        purged = purge_deleted(self.engine)
        if not purged:
            log.warning("erased rows not yet checkpointed", extra={"origin": origin})
        log.info("person erased", extra={"origin": origin, "removed": removed})
        return ErasureReport(pseudonym=pseudonym, removed=removed, purged=purged)

    # --- retention -----------------------------------------------------------------------------

    def run_retention(
        self, now: datetime | None = None, *, dry_run: bool = False
    ) -> RetentionReport:
        """Warn whoever has been inactive for the retention period; erase whoever was warned a
        grace period ago and has not been back since (any turn clears the warning)."""
        now = now or self.clock()
        inactive = timedelta(days=self.settings.retention_inactive_days)
        grace = timedelta(days=self.settings.retention_grace_days)
        report = RetentionReport()
        with session_scope(self.engine) as session:
            due = list(stored.warned_before(session, before=now - grace))
            for person in stored.inactive_unwarned(session, before=now - inactive):
                assert person.id is not None
                report.warned.append(person.id)
                if dry_run:
                    continue
                t = translator(person.language)
                deadline = format_day((now + grace).astimezone(AMSTERDAM).date(), person.language)
                message = Text(
                    t(
                        "retention.warning",
                        days=self.settings.retention_inactive_days,
                        date=deadline,
                    ),
                    tone="notice",
                )
                outbox.enqueue(
                    session,
                    dedupe_key=f"retention-warning:{person.id}:{now.date().isoformat()}",
                    recipient_id=person.id,
                    kind="retention_warning",
                    payload={"messages": [to_dict(message)]},
                    not_before=now,
                )
                person.retention_warned_at = now
                session.add(person)
            if dry_run:
                session.rollback()
        for person_id in due:
            if dry_run:
                report.erased.append(str(person_id))
                continue
            erased = self.erase(person_id, actor="maatjes:retention", origin="scheduler")
            if erased is not None:
                report.erased.append(erased.pseudonym)
        return report


def report_dict(report: ErasureReport) -> dict[str, Any]:
    return asdict(report)
