"""„Wat speelt er”: the lessons of the community, gathered from what people agreed may count.

Only texts of people with a finished profile and live consent for matching and for the lessons
(:data:`INSIGHTS`) count: their ongemak and what they work on, and their check-in answers they
shared with their group (never a private one). A quote is a text, verbatim, of someone who also
agreed to be quoted (:data:`QUOTING`), never with a name. A theme is shown only when it stands
for at least three different people. Everything is computed when it is read, from the stored
vectors (the matcher's embedder, cached per text), so an erasure or a withdrawal is gone from
the next view at once: there is no cache of themes to forget.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.core.conversation import INSIGHTS, MATCHING, QUOTING
from bot.core.i18n import join_list
from matching.themes import MIN_PEOPLE, Theme, distinct, find_themes, label_words
from storage import audit, consents, embeddings
from storage.db import session_scope
from storage.models import CheckInAnswer, Person, ProfileAnswer

if TYPE_CHECKING:
    from matching.embedders import Embedder

log = logging.getLogger(__name__)

#: The profile texts that count (the fields of ``person`` as they are named there).
PROFILE_TEXTS: Final = ("ongemak", "works_on")
CHECKIN: Final = "checkin"
_AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
REPORT_ACTION: Final = "read_insights_report"


@dataclass(frozen=True)
class Text:
    """One text that counts: whose, which field (``checkin:<id>`` for a check-in answer), when."""

    person: Person
    field: str
    text: str
    at: datetime
    quotable: bool

    @property
    def kind(self) -> str:
        return CHECKIN if self.field.startswith(CHECKIN) else "profile"


@dataclass(frozen=True)
class ThemeView:
    label: str
    words: tuple[str, ...]
    people: int
    texts: int
    quotes: tuple[str, ...]
    group: dict[str, int]
    region: dict[str, int]
    phase: dict[str, int]
    agenda: dict[str, int]
    month: dict[str, int]
    #: With a ``since`` date: how many of its people came in since, and whether it is new.
    new_people: int | None = None
    new: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "label": self.label,
            "words": list(self.words),
            "people": self.people,
            "texts": self.texts,
            "quotes": list(self.quotes),
            "group": self.group,
            "region": self.region,
            "phase": self.phase,
            "agenda": self.agenda,
            "month": self.month,
        }
        if self.new_people is not None:
            found["new_people"] = self.new_people
            found["new"] = self.new
        return found


@dataclass(frozen=True)
class GoneTheme:
    """A theme of the ``since`` day that is no longer a theme: its label and people then."""

    label: str
    words: tuple[str, ...]
    people: int

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "words": list(self.words), "people": self.people}


@dataclass(frozen=True)
class InsightsView:
    language: str
    embedder: str
    people: int  # how many people's texts counted
    texts: int
    themes: tuple[ThemeView, ...]
    since: date | None = None
    phases: dict[str, int] = field(default_factory=dict)
    #: With a ``since`` date: the themes of that day that are gone now.
    gone: tuple[GoneTheme, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        found = {
            "language": self.language,
            "embedder": self.embedder,
            "people": self.people,
            "texts": self.texts,
            "since": self.since.isoformat() if self.since else None,
            "min_people": MIN_PEOPLE,
            "phases": self.phases,
            "themes": [theme.as_dict() for theme in self.themes],
        }
        if self.since is not None:
            found["gone"] = [theme.as_dict() for theme in self.gone]
        return found


def counted_texts(session: Session) -> list[Text]:
    """Every text that may count now, in a fixed order (person, then field)."""
    allowed = consents.consenting_people(purpose=INSIGHTS)
    matching = consents.consenting_people(purpose=MATCHING)
    persons = session.exec(
        select(Person)
        .where(
            col(Person.profile_completed_at).is_not(None),
            col(Person.id).in_(allowed),
            col(Person.id).in_(matching),
        )
        .order_by(col(Person.id))
    ).all()
    by_id = {p.id: p for p in persons if p.id is not None}
    quotable = set(session.exec(consents.consenting_people(purpose=QUOTING)).all())
    committed: dict[tuple[int, str], datetime] = {}
    for row in session.exec(
        select(ProfileAnswer).where(
            ProfileAnswer.status == "committed", col(ProfileAnswer.field).in_(PROFILE_TEXTS)
        )
    ):
        if row.person_id in by_id and row.committed_at is not None:
            committed[(row.person_id, row.field)] = row.committed_at
    found: list[Text] = []
    for pid, person in by_id.items():
        for name in PROFILE_TEXTS:
            text = (getattr(person, name) or "").strip()
            if text:
                at = committed.get((pid, name)) or person.profile_completed_at or person.created_at
                found.append(Text(person, name, text, at, pid in quotable))
    shared = session.exec(
        select(CheckInAnswer)
        .where(
            col(CheckInAnswer.shared).is_(True),
            CheckInAnswer.status == "answered",
            col(CheckInAnswer.person_id).in_(list(by_id)),
        )
        .order_by(col(CheckInAnswer.person_id), col(CheckInAnswer.checkin_id))
    ).all()
    for answer in shared:
        text = (answer.text or "").strip()
        if text:
            person = by_id[answer.person_id]
            found.append(
                Text(
                    person,
                    f"{CHECKIN}:{answer.checkin_id}",
                    text,
                    answer.answered_at,
                    answer.person_id in quotable,
                )
            )
    found.sort(key=lambda t: (t.person.id or 0, t.kind != "profile", t.field))
    return found


def texts_then(session: Session, texts: Sequence[Text], cut: datetime) -> list[Text]:
    """The texts of the people who count now, as they stood at ``cut``: each profile text in
    the version committed then (its history keeps the earlier ones), each shared check-in
    answer given before it. Nobody who withdrew or was erased is in it: only ``texts``' people."""
    persons = {t.person.id or 0: t.person for t in texts}
    then: dict[tuple[int, str], tuple[datetime, str]] = {}
    for row in session.exec(
        select(ProfileAnswer).where(
            col(ProfileAnswer.field).in_(PROFILE_TEXTS),
            col(ProfileAnswer.status).in_(("committed", "superseded")),
            col(ProfileAnswer.committed_at) < cut,
        )
    ):
        at = row.committed_at
        if row.person_id not in persons or at is None:
            continue  # people who do not count now stay out (filtered here: no long IN list)
        if row.superseded_at is not None and row.superseded_at < cut:
            continue
        key = (row.person_id, row.field)
        if key not in then or then[key][0] < at:
            then[key] = (at, str(row.value or "").strip())
    now = {(t.person.id or 0, t.field): t for t in texts}
    found: list[Text] = []
    for pid, person in persons.items():
        for name in PROFILE_TEXTS:
            if (pid, name) in then:
                at, text = then[(pid, name)]
                if text:
                    found.append(Text(person, name, text, at, False))
            elif (pid, name) in now and now[(pid, name)].at < cut:
                found.append(now[(pid, name)])  # no history kept: as it is now, if it was there
    found += [t for t in texts if t.kind == CHECKIN and t.at < cut]
    found.sort(key=lambda t: (t.person.id or 0, t.kind != "profile", t.field))
    return found


def _counts(values: Sequence[str | None]) -> dict[str, int]:
    return dict(sorted(Counter(v for v in values if v).items()))


def _month(at: datetime) -> str:
    return at.astimezone(_AMSTERDAM).strftime("%Y-%m")


def _themes_of(matrix: Any, texts: Sequence[Text]) -> list[Theme]:
    if not texts:
        return []
    return find_themes(
        matrix,
        [t.text for t in texts],
        [t.person.id or 0 for t in texts],
        [t.quotable for t in texts],
        kinds=[t.field if t.kind == "profile" else CHECKIN for t in texts],
    )


def _key(text: Text) -> tuple[int, str, str]:
    return (text.person.id or 0, text.field, text.text)


def _label(theme: Theme, texts: Sequence[Text], language: str) -> list[str]:
    members = [texts[i] for i in theme.members]
    return label_words(
        list(theme.words),
        [m.text for m in members],
        owners=[m.person.id or 0 for m in members],
        language=language,
    )


def _gone(
    now: Sequence[Theme],
    texts: Sequence[Text],
    then: Sequence[Theme],
    earlier: Sequence[Text],
    language: str,
) -> list[GoneTheme]:
    """The themes of then that no theme now continues: none holds at least half their texts (a
    text that changed since is not the same text)."""
    held = [{_key(texts[i]) for i in theme.members} for theme in now]
    gone = []
    for theme in then:
        keys = [_key(earlier[i]) for i in theme.members]
        most = max((sum(1 for key in keys if key in theirs) for theirs in held), default=0)
        if most * 2 < len(keys):
            gone.append(
                GoneTheme(
                    label=join_list(_label(theme, earlier, language), language),
                    words=tuple(distinct([w for w, _ in theme.words])[:8]),
                    people=len(theme.people),
                )
            )
    return gone


class InsightsService:
    """The themes of the community, for the dashboard and ``maatjes insights``."""

    def __init__(self, engine: Engine, embedder: Callable[[], Embedder]) -> None:
        self.engine = engine
        self._embedder = embedder

    def _vectors(self, session: Session, texts: Sequence[Text], *, keep: bool = True) -> Any:
        """One vector per text: stored ones whose text is unchanged, the rest embedded and kept
        (with ``keep=False`` not kept: an earlier version of a text must not replace the vector
        of the current one)."""
        model = self._embedder()
        ids = sorted({t.person.id or 0 for t in texts})
        stored = embeddings.cached(session, person_ids=ids, embedder=model.name)
        matrix = np.zeros((len(texts), model.dimensions), np.float32)
        missing: list[int] = []
        for row, item in enumerate(texts):
            hit = stored.get((item.person.id or 0, item.field))
            if (
                hit
                and hit.text_hash == embeddings.text_hash(item.text)
                and hit.dimensions == model.dimensions
            ):
                matrix[row] = np.frombuffer(hit.vector, dtype=np.float32)
            else:
                missing.append(row)
        if missing:
            fresh = model.encode([texts[row].text for row in missing])
            rows = []
            for row, vector in zip(missing, fresh, strict=True):
                matrix[row] = vector
                item = texts[row]
                rows.append(
                    embeddings.StoredVector(
                        item.person.id or 0,
                        item.field,
                        embeddings.text_hash(item.text),
                        vector.astype(np.float32).tobytes(),
                        len(vector),
                    )
                )
            if keep:
                embeddings.store(session, embedder=model.name, vectors=rows)
            log.info("embedded texts for insights", extra={"count": len(rows)})
        return matrix, model.name

    def themes(
        self,
        *,
        language: str = "nl",
        since: date | None = None,
        actor: str | None = None,
        action: str = "read_insights",
        origin: str = "dashboard",
    ) -> InsightsView:
        """The themes as they stand now; with ``actor`` the reading is in the audit trail.

        With ``since``: per theme, who came in since that day, and which themes of that day are
        gone (the themes of the texts that count now, as those stood then, of which no theme now
        holds at least half the texts)."""
        cut = datetime.combine(since, time(), tzinfo=_AMSTERDAM) if since else None
        with session_scope(self.engine) as session:
            texts = counted_texts(session)
            matrix, embedder = self._vectors(session, texts) if texts else (np.zeros((0, 1)), "")
            earlier = texts_then(session, texts, cut) if cut is not None and texts else []
            earlier_matrix = self._vectors(session, earlier, keep=False)[0] if earlier else None
            if actor is not None:
                audit.record(
                    session,
                    actor=actor,
                    action=action,
                    object_type="insights",
                    object_id=None,
                    result="ok",
                    origin=origin,
                    detail={"since": since.isoformat()} if since else {},
                )
        found = _themes_of(matrix, texts)
        gone = (
            _gone(found, texts, _themes_of(earlier_matrix, earlier), earlier, language)
            if earlier_matrix is not None
            else []
        )
        views = []
        for theme in found:
            members = [texts[i] for i in theme.members]
            persons = {m.person.id: m.person for m in members}.values()
            ranked = list(theme.words)
            chosen = _label(theme, texts, language)
            checkins: dict[str, set[int]] = {}
            for m in members:
                if m.kind == CHECKIN:
                    checkins.setdefault(_month(m.at), set()).add(m.person.id or 0)
            new_people = new = None
            if cut is not None:
                first: dict[int, datetime] = {}
                for m in members:
                    pid = m.person.id or 0
                    first[pid] = min(first.get(pid, m.at), m.at)
                new_people = sum(1 for at in first.values() if at >= cut)
                new = len(first) - new_people < MIN_PEOPLE
            views.append(
                ThemeView(
                    label=join_list(chosen, language),
                    words=tuple(distinct([w for w, _ in ranked])[:8]),
                    people=len(theme.people),
                    texts=len(members),
                    quotes=tuple(texts[i].text for i in theme.quotes),
                    group=_counts([p.group for p in persons]),
                    region=_counts([p.region for p in persons]),
                    phase=_counts([p.phase for p in persons]),
                    agenda=_counts([a for p in persons for a in (p.themes or ())]),
                    month={m: len(ids) for m, ids in sorted(checkins.items())},
                    new_people=new_people,
                    new=new,
                )
            )
        everyone = {t.person.id: t.person for t in texts}.values()
        return InsightsView(
            language=language,
            embedder=embedder,
            people=len(everyone),
            texts=len(texts),
            themes=tuple(views),
            since=since,
            phases=_counts([p.phase for p in everyone]),
            gone=tuple(gone),
        )

    def last_report(self, *, before: date) -> date | None:
        """The day of the last printable report opened before ``before`` (Amsterdam days)."""
        cut = datetime.combine(before, time(), tzinfo=_AMSTERDAM)
        with Session(self.engine) as session:
            found = audit.latest_at(session, action=REPORT_ACTION, before=cut)
        return found.astimezone(_AMSTERDAM).date() if found is not None else None
