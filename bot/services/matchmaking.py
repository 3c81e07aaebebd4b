"""The matching engine behind rounds: loads the community, embeds what changed, proposes groups.

``matching`` is pure; this service is where profiles come out of storage, vectors are cached in
storage, and the history of earlier rounds, blocked pairs and existing clubs go in.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.conversation import MATCHING
from bot.services import learning
from bot.services.errors import MatchingUnavailable
from bot.services.group_scores import WeakRule, shown_score, weak_summary
from bot.services.views import GroupView, MemberView, ProposalView, mean_of
from bot.settings_groups import MatchingSettings
from matching.embedders import (
    Embedder,
    EmbedderUnavailable,
    Vectors,
    for_matching,
    load_embedder,
)
from matching.grouping import form_clubs
from matching.learning import apart_penalty
from matching.pairing import pair_up
from matching.scoring import (
    TEXT_FIELDS,
    Embedded,
    Floors,
    Profile,
    Weights,
    affinity_parts,
    cross_fit,
    explain,
    group_score,
    mean_pair_score,
    score_of,
)
from storage import checkins, embeddings, people, rounds
from storage.db import session_scope
from storage.models import Person
from storage.types import utcnow

log = logging.getLogger(__name__)


def weights_from(settings: MatchingSettings) -> Weights:
    return Weights(
        cross=settings.weight_cross,
        work=settings.weight_work,
        themes=settings.weight_themes,
        mix=settings.weight_mix,
        phase=settings.weight_phase,
        history=settings.weight_history,
        history_half_life_days=settings.history_half_life_days,
    )


@dataclass(frozen=True)
class Taken:
    """Who a new round finds already placed: in proposals under review, and running clubs."""

    proposed: set[int]
    clubs: dict[int, list[int]]
    notes: dict[int, str] = default(default_factory=dict)  # why a club was kept ("met")


@dataclass(frozen=True)
class Plan:
    """A proposal before it is stored: who, in which groups, why, with what score."""

    kind: str
    people: list[Person]
    groups: list[list[int]]  # indices into people
    scores: Any
    explanations: list[dict[str, Any]]
    weights: dict[str, Any]
    embedder: str
    extends: list[int | None]  # the existing club a group grows, if any

    def group_score(self, index: int) -> float:
        return group_score(self.scores, self.groups[index])


class Matchmaker:
    """Implements ``rounds.Proposer`` for the bot: settings in, groups out."""

    def __init__(self, settings: MatchingSettings, *, clock: Any = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    # --- the model ------------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                try:
                    # people are compared in the embedder's community view
                    self._embedder = for_matching(
                        load_embedder(
                            self.settings.embedder,
                            allow_download=self.settings.allow_model_download,
                            threads=self.settings.embedder_threads,
                        )
                    )
                except EmbedderUnavailable as error:
                    raise MatchingUnavailable(str(error)) from error
            return self._embedder

    @property
    def embedder_name(self) -> str:
        return self.embedder.name

    def embed(self, session: Session, persons: Sequence[Person]) -> Embedded:
        """Vectors for everyone's texts: from the cache when the text is unchanged, else fresh."""
        model = self.embedder
        ids = [p.id for p in persons if p.id is not None]
        stored = embeddings.cached(session, person_ids=ids, embedder=model.name)
        result = {f: np.zeros((len(persons), model.dimensions), np.float32) for f in TEXT_FIELDS}
        missing: list[tuple[int, str, str, str]] = []
        for row, person in enumerate(persons):
            for field in TEXT_FIELDS:
                text = (getattr(person, field) or "").strip()
                if not text:
                    continue  # nothing said: no affinity from this field
                digest = embeddings.text_hash(text)
                hit = stored.get((person.id or 0, field))
                if hit and hit.text_hash == digest and hit.dimensions == model.dimensions:
                    result[field][row] = np.frombuffer(hit.vector, dtype=np.float32)
                else:
                    missing.append((row, field, text, digest))
        if missing:
            vectors: Vectors = model.encode([text for _, _, text, _ in missing])
            fresh = []
            for (row, field, _, digest), vector in zip(missing, vectors, strict=True):
                result[field][row] = vector
                person_id = persons[row].id
                assert person_id is not None
                fresh.append(
                    embeddings.StoredVector(
                        person_id, field, digest, vector.astype(np.float32).tobytes(), len(vector)
                    )
                )
            embeddings.store(session, embedder=model.name, vectors=fresh)
            log.info("embedded texts", extra={"count": len(fresh), "embedder": model.name})
        return Embedded.of(result)

    def embed_person(self, engine: Engine, person_id: int) -> None:
        """Embed one person's profile now (after an intake or an edit), so rounds start warm."""
        with session_scope(engine) as session:
            person = session.get(Person, person_id)
            if person is not None and person.profile_completed_at is not None:
                self.embed(session, [person])

    # --- proposing ------------------------------------------------------------------------------

    def candidates(self, session: Session, *, now: datetime) -> list[Person]:
        """Finished profiles with live consent, minus whoever paused."""
        everyone = people.list_people(session, completed_only=True, consent_for=MATCHING)
        today = now.date()
        return [p for p in everyone if not people.is_paused(p, today=today)]

    def free(self, session: Session, *, kind: str, now: datetime) -> tuple[list[Person], Taken]:
        """Candidates a new round may place: not in a proposal awaiting review, and for clubs
        not in a running club (that club takes newcomers instead; a club gone quiet frees its
        members, and so does one that did not meet after the follow-up; who said a club was not
        a fit leaves it). Also returns the running clubs as the next round keeps them."""
        live = rounds.live_groups(session)
        taken = rounds.spoken_for(session, groups=live)
        clubs: dict[int, list[int]] = {}
        notes: dict[int, str] = {}
        if kind != "pairs":
            quiet = set(checkins.quiet_groups(session))  # stopped meeting: members are free
            running = {
                gid: members
                for gid, members in rounds.running_clubs(session, groups=live).items()
                if gid not in quiet
            }
            kept = learning.kept_clubs(session, running)
            clubs, notes = kept.clubs, kept.notes
        persons = [p for p in self.candidates(session, now=now) if p.id not in taken]
        return persons, Taken(proposed=taken, clubs=clubs, notes=notes)

    def unplaced(self, session: Session, placed: set[int], *, kind: str) -> list[int]:
        """Whom a coordinator may bring into a round under review: candidates in none of its
        groups, in no other proposal and (for clubs) in no running club."""
        persons, taken = self.free(session, kind=kind, now=self.clock())
        in_club = {p for members in taken.clubs.values() for p in members}
        return [
            p.id for p in persons if p.id is not None and p.id not in placed and p.id not in in_club
        ]

    def _score(
        self, session: Session, persons: Sequence[Person], *, now: datetime
    ) -> tuple[list[Profile], Embedded, Any, dict[str, Any]]:
        profiles = [
            Profile(
                key=p.id or 0,
                group=p.group,
                themes=frozenset(p.themes or ()),
                phase=p.phase,
                texts={f: getattr(p, f) or "" for f in TEXT_FIELDS},
            )
            for p in persons
        ]
        vectors = self.embed(session, persons)
        parts = affinity_parts(
            profiles,
            vectors,
            weights_from(self.settings),
            history=rounds.match_history(session),
            now=now,
        )
        # who said "not a fit" is kept apart from that group's members for a long while: a
        # penalty on top of history's, shown as part of it
        parts["history"] = parts["history"] - apart_penalty(
            [p.key for p in profiles],
            learning.outcomes(session).values(),
            now=now,
            rules=learning.rules_from(self.settings),
        )
        scores = sum(parts.values(), np.zeros((len(profiles), len(profiles))))
        np.fill_diagonal(scores, 0.0)
        return profiles, vectors, scores, parts

    def assess(self, session: Session, person_ids: Sequence[int]) -> Assessment:
        persons = [p for p in (session.get(Person, pid) for pid in person_ids) if p is not None]
        profiles, vectors, scores, parts = self._score(session, persons, now=self.clock())
        fit = cross_fit(vectors)
        return Assessment(
            profiles=profiles,
            scores=scores,
            fit=fit,
            parts=parts,
            weights=weights_from(self.settings),
            floors=Floors.of(fit, profiles, parts),
        )

    def plan(self, session: Session, *, kind: str) -> Plan:
        now = self.clock()
        persons, taken = self.free(session, kind=kind, now=now)
        weights = weights_from(self.settings)
        profiles, vectors, scores, parts = self._score(session, persons, now=now)
        index = {p.id: i for i, p in enumerate(persons)}
        forbidden = [
            (index[a], index[b])
            for a, b in rounds.blocked_pairs(session)
            if a in index and b in index
        ]
        extends: list[int | None] = []
        clubs: dict[int, list[int]] = {}
        if kind == "pairs":
            groups = [list(g) for g in pair_up(scores, forbidden=forbidden) if len(g) > 1]
            extends = [None] * len(groups)
        else:
            for gid, members in taken.clubs.items():
                present = [index[m] for m in members if m in index]
                if present:
                    clubs[gid] = present
            existing = list(clubs.values())
            found = form_clubs(
                scores,
                [p.group for p in persons],
                min_size=self.settings.club_min_size,
                max_size=self.settings.club_max_size,
                existing=existing,
                forbidden=forbidden,
            )
            origin = {frozenset(members): gid for gid, members in clubs.items()}
            groups = []
            for club in found:
                if len(club) < 2:
                    continue
                grown = next((gid for members, gid in origin.items() if members <= set(club)), None)
                if grown is not None and set(club) == set(clubs[grown]):
                    continue  # an existing club without newcomers: nothing to propose
                groups.append(club)
                extends.append(grown)
        fit = cross_fit(vectors)
        floors = Floors.of(fit, profiles, parts)
        explanations = []
        for club, grown in zip(groups, extends, strict=True):
            explanation = explain(club, profiles, fit, parts=parts, weights=weights, floors=floors)
            if grown is not None:
                explanation["extends"] = grown
                if grown in taken.notes:  # why the club goes on (a machine note, no quote)
                    explanation["kept"] = taken.notes[grown]
                explanation["newcomers"] = [
                    profiles[i].key for i in club if i not in set(clubs[grown])
                ]
            explanations.append(explanation)
        # best first on the score people see (0-100, the mean over a group's pairs), so a trio
        # is not listed below a weaker club of five for having fewer pairs to add up
        order = sorted(
            range(len(groups)),
            key=lambda g: (
                -score_of(parts, groups[g], weights)["value"],
                -mean_pair_score(scores, groups[g]),
            ),
        )
        rules = learning.rules_from(self.settings)
        placed = {persons[i].id: g for g, members in enumerate(groups) for i in members}
        apart = {  # two people a "not a fit" keeps apart who are indeed apart in this proposal
            (a, b)
            for a, b, _ in learning.apart_pairs(session)
            if a in index and b in index and placed.get(a, -1) != placed.get(b, -2)
        }
        return Plan(
            kind=kind,
            people=list(persons),
            groups=[groups[g] for g in order],
            scores=scores,
            explanations=[explanations[g] for g in order],
            weights={
                **weights.as_dict(),
                "kind": kind,
                **WeakRule.of(self.settings).as_dict(),
                "not_a_fit": rules.not_a_fit_weight,
                "not_a_fit_half_life_days": rules.not_a_fit_half_life_days,
                "kept_apart": len(apart) if rules.not_a_fit_weight else 0,
            },
            embedder=self.embedder.name,
            extends=[extends[g] for g in order],
        )

    def propose(
        self, session: Session, *, kind: str
    ) -> tuple[list[rounds.NewGroup], dict[str, Any]]:
        plan = self.plan(session, kind=kind)
        groups = [
            rounds.NewGroup(
                members=[plan.people[i].id or 0 for i in members],
                score=plan.group_score(position),
                explanation=plan.explanations[position],
            )
            for position, members in enumerate(plan.groups)
        ]
        return groups, plan.weights


@dataclass(frozen=True)
class Assessment:
    """Affinities among a fixed set of people: scores and explanations of any grouping of them."""

    profiles: list[Profile]
    scores: Any
    fit: Any
    parts: dict[str, Any]
    weights: Weights
    floors: Floors

    @property
    def index(self) -> dict[int, int]:
        return {p.key: i for i, p in enumerate(self.profiles)}

    def group_score(self, person_ids: Sequence[int]) -> float:
        index = self.index
        return group_score(self.scores, [index[p] for p in person_ids])

    def group_points(self, person_ids: Sequence[int]) -> float:
        """The score a reviewer reads: the mean pair affinity on 0–100 (``score_of``)."""
        index = self.index
        return float(score_of(self.parts, [index[p] for p in person_ids], self.weights)["value"])

    def explain(self, person_ids: Sequence[int]) -> dict[str, Any]:
        index = self.index
        return explain(
            [index[p] for p in person_ids],
            self.profiles,
            self.fit,
            parts=self.parts,
            weights=self.weights,
            floors=self.floors,
        )


def plan_view(plan: Plan, *, language: str = "nl") -> ProposalView:
    """A dry-run proposal, made of the same group and member views as a stored round."""
    from bot.core.explain import render_explanation
    from bot.core.i18n import translator

    t = translator(language)
    names = {p.id or 0: p.name or "?" for p in plan.people}
    rule = WeakRule.stored(plan.weights)
    shown = [
        shown_score(
            plan.explanations[i],
            summed=plan.group_score(i),
            size=len(members),
            weights=plan.weights,
            rule=rule,
            names=names,
            t=t,
        )
        for i, members in enumerate(plan.groups)
    ]
    mean = mean_of([s.value for s in shown])
    groups = []
    for position, members in enumerate(plan.groups):
        persons = [plan.people[i] for i in members]
        score = shown[position]
        groups.append(
            GroupView(
                position=position + 1,
                kind=("pair" if len(members) == 2 else "trio") if plan.kind == "pairs" else "club",
                status="dry-run",
                score=score.value,
                score_vs_round=round(score.value - mean, 1),
                people=tuple(MemberView.of(p) for p in persons),
                explanation=render_explanation(plan.explanations[position], names, t),
                extends=plan.extends[position],
                explanation_data=plan.explanations[position],
                score_parts=score.parts,
                weak=score.weak,
            )
        )
    placed = {i for members in plan.groups for i in members}
    weak = [g.position for g in groups if g.weak]
    return ProposalView(
        kind=plan.kind,
        embedder=plan.embedder,
        weights=plan.weights,
        people=len(plan.people),
        unplaced=tuple(plan.people[i].id for i in range(len(plan.people)) if i not in placed),
        mean_score=round(mean, 1),
        total_score=round(sum(plan.group_score(i) for i in range(len(plan.groups))), 4),
        groups=tuple(groups),
        weak_summary=weak_summary(weak, len(groups), t),
    )
