"""The matching engine behind rounds, on real databases and the real default embedder: the demo
community proposed as clubs and pairs, who is left out, history, blocks, existing clubs, the
embedding cache, and the command line (`maatjes match --dry-run`, `round propose --json`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.core.conversation import MATCHING, CoreConfig
from bot.core.dialogue import Intake
from bot.services.access import CLI_ACTOR
from bot.services.community import load_demo
from bot.services.conversations import ConversationService
from bot.services.errors import NotAllowed, NotEnoughPeople, UnknownRound
from bot.services.matchmaking import Matchmaker
from bot.services.round_views import round_view
from bot.services.rounds import RoundService
from bot.settings import Settings
from matching.embedders import Vectors, for_matching, load_embedder
from storage import consents, people, rounds
from storage.db import session_scope
from storage.models import MatchRound, Person, ProfileEmbedding
from storage.types import utcnow
from tests.support.chat import Chat, complete_dutch_intake
from tests.support.cli import maatjes


def _settings(database_url: str, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, coordinators="local:tessa", **extra
    )


class Counting:
    """The real embedder in the view the matcher uses, counting the texts it is asked to encode."""

    def __init__(self, spec: str) -> None:
        self.inner = for_matching(load_embedder(spec))
        self.name = self.inner.name
        self.dimensions = self.inner.dimensions
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return self.inner.encode(texts)


def _matchmaker(settings: Settings, spec: str = "default") -> tuple[Matchmaker, Counting]:
    matchmaker = Matchmaker(settings.groups.matching)
    counting = Counting(spec)
    matchmaker._embedder = counting
    return matchmaker, counting


def _groups_of_round(engine: Engine, round_id: int) -> list[list[int]]:
    with Session(engine) as session:
        view = round_view(session, round_id=round_id).as_dict()
    return [g["members"] for g in view["groups"]]


@pytest.fixture
def demo(database_url: str, engine: Engine) -> Settings:
    settings = _settings(database_url)
    assert load_demo(settings.resolved_database_url) == 76
    return settings


def _people_by_id(engine: Engine) -> dict[int, Person]:
    with Session(engine) as session:
        return {p.id: p for p in session.exec(select(Person)) if p.id is not None}


def test_demo_clubs_are_valid_mixed_and_explained(engine: Engine, demo: Settings) -> None:
    matchmaker, counting = _matchmaker(demo)
    service = RoundService(engine, demo.groups.rounds, proposer=matchmaker)
    round_id = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    with Session(engine) as session:
        view = round_view(session, round_id=round_id, language="nl").as_dict()
        english = round_view(session, round_id=round_id, language="en").as_dict()
        stored = session.exec(select(func.count()).select_from(ProfileEmbedding)).one()
    everyone = _people_by_id(engine)
    members = [m for g in view["groups"] for m in g["members"]]
    assert sorted(members) == sorted(everyone), "every demo person in exactly one club"
    for group, other in zip(view["groups"], english["groups"], strict=True):
        assert 3 <= len(group["members"]) <= 5
        assert {everyone[m].group for m in group["members"]} >= {"regionaal", "rijk"}
        names = [everyone[m].name for m in group["members"]]
        assert any(name and name in group["explanation"] for name in names)
        assert group["explanation"] != other["explanation"], "Dutch and English differ"
    scores = [g["score"] for g in view["groups"]]
    assert scores == sorted(scores, reverse=True), "best groups first"
    assert stored == len(counting.texts) > 0, "every embedded text is cached"


def test_pairs_avoid_recent_partners_and_blocked_pairs(engine: Engine, demo: Settings) -> None:
    matchmaker, _ = _matchmaker(demo)
    service = RoundService(engine, demo.groups.rounds, proposer=matchmaker)
    first = service.propose(actor=CLI_ACTOR, origin="cli", kind="pairs")
    service.approve(first, actor=CLI_ACTOR, origin="cli")
    before = {frozenset(g) for g in _groups_of_round(engine, first)}
    assert sum(len(g) for g in before) == 76

    with Session(engine) as session:
        plan = matchmaker.plan(session, kind="pairs")
    again = {frozenset(plan.people[i].id for i in g) for g in plan.groups}
    assert not before & again, "nobody meets last round's maatje again"

    # an old match (a year ago) may come back: the penalty has decayed
    with session_scope(engine) as session:
        for group in rounds.groups_of(session, round_id=first):
            group.introduced_at = utcnow() - timedelta(days=3650)
            session.add(group)
    with Session(engine) as session:
        later = matchmaker.plan(session, kind="pairs")
    reunions = {frozenset(later.people[i].id for i in g) for g in later.groups} & before
    assert reunions, "after ten years, good old pairs are possible again"

    a, b = sorted(next(iter(reunions)))
    with session_scope(engine) as session:
        rounds.block_pair(session, a=a, b=b, reason="never_again")
    with Session(engine) as session:
        blocked = matchmaker.plan(session, kind="pairs")
    for group in blocked.groups:
        assert not {a, b} <= {blocked.people[i].id for i in group}


def test_paused_and_withdrawn_people_are_left_out(engine: Engine, demo: Settings) -> None:
    everyone = sorted(_people_by_id(engine))
    paused, withdrawn = everyone[0], everyone[1]
    with session_scope(engine) as session:
        person = session.get(Person, paused)
        assert person is not None
        people.set_pause(
            session, person=person, paused=True, until=(utcnow() + timedelta(days=30)).date()
        )
        assert consents.withdraw_consent(session, person_id=withdrawn, purpose=MATCHING) == 1
    matchmaker, _ = _matchmaker(demo)
    with Session(engine) as session:
        for kind in ("clubs", "pairs"):
            plan = matchmaker.plan(session, kind=kind)
            placed = {plan.people[i].id for g in plan.groups for i in g}
            assert paused not in placed and withdrawn not in placed
            assert len(placed) == 74


def _add_person(engine: Engine, key: str, name: str, group: str) -> int:
    with session_scope(engine) as session:
        person = people.get_or_create_person(
            session, platform="local", platform_user_id=key, language="nl"
        )
        assert person.id is not None
        consents.record_consent(
            session, person_id=person.id, purpose=MATCHING, policy_version="t", given=True
        )
        for field, value in {
            "name": name,
            "group": group,
            "themes": ["bouw"],
            "phase": "verkennen",
            "works_on": "Circulaire bouwprojecten en hergebruik van materialen",
            "seeks": "Gemeenten die al circulair aanbesteden in de bouw",
            "offers": "Kennis van de landelijke regels voor secundaire bouwstoffen",
        }.items():
            people.save_draft_answer(session, person_id=person.id, field=field, value=value)
        people.commit_profile(session, person=person)
        return person.id


def test_newcomers_join_existing_clubs_first(engine: Engine, demo: Settings) -> None:
    matchmaker, _ = _matchmaker(demo)
    service = RoundService(engine, demo.groups.rounds, proposer=matchmaker)
    first = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    service.approve(first, actor=CLI_ACTOR, origin="cli")
    clubs = _groups_of_round(engine, first)
    newcomer_id = _add_person(engine, "nieuw", "Nina Nieuw", "rijk")
    with Session(engine) as session:
        plan = matchmaker.plan(session, kind="clubs")
    assert len(plan.groups) == 1, "only the club that grows is proposed again"
    grown = {plan.people[i].id for i in plan.groups[0]}
    assert newcomer_id in grown
    assert any(set(club) == grown - {newcomer_id} for club in clubs), "the club keeps everyone"
    assert plan.explanations[0]["newcomers"] == [newcomer_id]
    assert plan.extends[0] is not None


def test_the_cache_reembeds_only_what_changed(engine: Engine, demo: Settings) -> None:
    matchmaker, counting = _matchmaker(demo)
    with session_scope(engine) as session:
        matchmaker.plan(session, kind="pairs")
    first = len(counting.texts)
    assert first >= 76 * 2
    with session_scope(engine) as session:
        matchmaker.plan(session, kind="pairs")
    assert len(counting.texts) == first, "nothing changed: nothing embedded"

    person_id = min(_people_by_id(engine))
    with session_scope(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        people.save_draft_answer(
            session, person_id=person_id, field="seeks", value="Iemand met kennis van textiel"
        )
        people.commit_profile(session, person=person)
        matchmaker.plan(session, kind="pairs")
    assert counting.texts[first:] == ["Iemand met kennis van textiel"]

    other, other_counting = _matchmaker(demo, "tfidf")
    with session_scope(engine) as session:
        other.plan(session, kind="pairs")
    assert len(other_counting.texts) == first, "another model embeds everything once"
    with Session(engine) as session:
        names = set(session.exec(select(ProfileEmbedding.embedder)))
    assert names == {counting.name, other_counting.name}


def test_cached_vectors_equal_fresh_ones(engine: Engine, demo: Settings) -> None:
    matchmaker, _ = _matchmaker(demo)
    with session_scope(engine) as session:
        persons = matchmaker.candidates(session, now=utcnow())[:5]
        fresh = matchmaker.embed(session, persons)
    with Session(engine) as session:
        persons = matchmaker.candidates(session, now=utcnow())[:5]
        cached = matchmaker.embed(session, persons)
    assert np.allclose(fresh.seeks, cached.seeks)
    assert np.allclose(fresh.offers, cached.offers)


def test_finishing_the_intake_embeds_the_profile(engine: Engine, database_url: str) -> None:
    settings = _settings(database_url)
    matchmaker, counting = _matchmaker(settings, "tfidf")
    service = ConversationService(
        engine,
        Intake(CoreConfig(policy_version="test-1")),
        on_profile_committed=lambda person_id: matchmaker.embed_person(engine, person_id),
    )
    complete_dutch_intake(Chat(service))
    assert len(counting.texts) == 3, "works_on, seeks and offers"
    with Session(engine) as session:
        rows = session.exec(select(ProfileEmbedding)).all()
    assert sorted(r.field for r in rows) == ["offers", "seeks", "works_on"]


def test_too_few_people_is_a_clear_refusal(engine: Engine, database_url: str) -> None:
    settings = _settings(database_url)
    matchmaker, _ = _matchmaker(settings, "tfidf")
    service = RoundService(engine, settings.groups.rounds, proposer=matchmaker)
    with pytest.raises(NotEnoughPeople):
        service.propose(actor=CLI_ACTOR, origin="cli", kind="pairs")
    with Session(engine) as session:
        assert session.exec(select(MatchRound)).all() == []


def test_scheduled_rounds_happen_once_per_period(engine: Engine, demo: Settings) -> None:
    when = utcnow()
    one = RoundService(
        engine, demo.groups.rounds, proposer=_matchmaker(demo, "tfidf")[0], clock=lambda: when
    )
    two = RoundService(
        engine, demo.groups.rounds, proposer=_matchmaker(demo, "tfidf")[0], clock=lambda: when
    )
    first = one.propose_scheduled()
    assert first is not None
    assert two.propose_scheduled() is None, "a round awaits review"
    with Session(engine) as session:
        positions = [g["position"] for g in round_view(session, round_id=first).as_dict()["groups"]]
    for position in positions:
        one.reject(first, position=position, reason="test", actor=CLI_ACTOR, origin="cli")
    assert two.propose_scheduled() is None, "this period had its round"
    later = RoundService(
        engine,
        demo.groups.rounds,
        proposer=_matchmaker(demo, "tfidf")[0],
        clock=lambda: when + timedelta(days=demo.round_interval_days),
    )
    assert later.propose_scheduled() is not None, "the next period gets a new round"


# --- the command line ---------------------------------------------------------------------------


def test_match_dry_run_prints_and_stores_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert maatjes("demo", data_dir=data).returncode == 0
    result = maatjes("match", "--dry-run", "--kind", "pairs", "--json", data_dir=data)
    assert result.returncode == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["status"] == "dry-run" and view["kind"] == "pairs"
    assert sorted(m for g in view["groups"] for m in g["members"]) == list(range(1, 77))
    assert all(g["explanation"] for g in view["groups"])
    text = maatjes("match", "--lang", "en", data_dir=data)
    assert text.returncode == 0, text.stderr
    assert "nothing is stored or sent" in text.stdout
    assert "Proposal (clubs, dry-run)" in text.stdout and "None" not in text.stdout
    assert "Regions and national government at one table" in text.stdout
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{data / 'maatjes.db'}")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(MatchRound)).one() == 0
        assert session.exec(select(func.count()).select_from(ProfileEmbedding)).one() == 0
    engine.dispose()


def test_round_propose_json_and_too_few_people(tmp_path: Path) -> None:
    data = tmp_path / "data"
    empty = maatjes("round", "propose", "--json", data_dir=data)
    assert empty.returncode == 1
    assert "too few people" in empty.stderr and "Traceback" not in empty.stderr
    assert maatjes("demo", data_dir=data).returncode == 0
    result = maatjes("round", "propose", "--json", "--kind", "clubs", data_dir=data)
    assert result.returncode == 0, result.stderr
    view = json.loads(result.stdout)
    assert isinstance(view["id"], int)
    assert view["groups"] and all(3 <= len(g["members"]) <= 5 for g in view["groups"])
    assert all(isinstance(g["explanation"], str) and g["explanation"] for g in view["groups"])
    shown = maatjes("round", "show", str(view["id"]), "--json", data_dir=data)
    assert json.loads(shown.stdout)["groups"] == view["groups"]


# --- swapping and moving during review -----------------------------------------------------------


def _round_total(engine: Engine, round_id: int) -> float:
    with Session(engine) as session:
        return sum(g.score for g in rounds.groups_of(session, round_id=round_id))


def test_swap_alternatives_are_ranked_and_their_effect_is_real(
    engine: Engine, demo: Settings
) -> None:
    matchmaker, _ = _matchmaker(demo, "tfidf")
    service = RoundService(engine, demo.groups.rounds, proposer=matchmaker)
    round_id = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    before = _groups_of_round(engine, round_id)
    member = before[0][0]
    options = service.alternatives(round_id, position=1, member=member)
    assert 1 <= len(options) <= 3
    assert [o.delta for o in options] == sorted((o.delta for o in options), reverse=True)
    everyone = _people_by_id(engine)
    for option in service.alternatives(round_id, position=1, member=member, limit=1000):
        assert option.kind in ("swap", "move", "replace")

    with pytest.raises(NotAllowed):
        service.rearrange(
            round_id,
            position=1,
            member=member,
            with_person=options[0].with_person,
            to_position=options[0].other_position,
            actor="local:anna",
            origin="chat",
        )
    total = _round_total(engine, round_id)
    best = options[0]
    done = service.rearrange(
        round_id,
        position=1,
        member=member,
        with_person=best.with_person,
        to_position=best.other_position if best.kind == "move" else None,
        actor=CLI_ACTOR,
        origin="cli",
    )
    assert done == best
    assert _round_total(engine, round_id) == pytest.approx(total + best.delta, abs=1e-6)
    after = _groups_of_round(engine, round_id)
    assert member not in after[0]
    if best.kind == "swap":
        assert best.with_person in after[0]
        assert member in after[(best.other_position or 0) - 1]
    for group in after:
        assert 3 <= len(group) <= 5
        assert {everyone[m].group for m in group} >= {"regionaal", "rijk"}, "the mix survives"
    with Session(engine) as session:
        decisions = [d.action for d in rounds.decisions_of(session, round_id=round_id)]
        match_round = session.get(MatchRound, round_id)
        assert match_round is not None and match_round.status == "under_review"
    assert decisions == [best.kind]
    with pytest.raises(UnknownRound):  # an option that is not offered is refused
        service.rearrange(
            round_id,
            position=1,
            member=after[0][0],
            with_person=after[0][1],
            actor=CLI_ACTOR,
            origin="cli",
        )


def test_replacing_someone_leaves_them_out_kindly(engine: Engine, demo: Settings) -> None:
    matchmaker, _ = _matchmaker(demo, "tfidf")
    service = RoundService(engine, demo.groups.rounds, proposer=matchmaker)
    round_id = service.propose(actor=CLI_ACTOR, origin="cli", kind="pairs")
    late = _add_person(engine, "laat", "Lotte Laat", "regionaal")  # joins after the proposal
    groups = _groups_of_round(engine, round_id)
    member = groups[0][0]
    options = service.alternatives(round_id, position=1, member=member, limit=1000)
    replace = [o for o in options if o.kind == "replace"]
    assert [o.with_person for o in replace] == [late]
    service.rearrange(
        round_id, position=1, member=member, with_person=late, actor=CLI_ACTOR, origin="cli"
    )
    service.approve(round_id, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        from storage import outbox

        left_out = [m.recipient_id for m in outbox.entries(session) if m.kind == "left_out"]
    assert left_out == [member]


def test_swap_on_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert maatjes("demo", data_dir=data).returncode == 0
    view = json.loads(maatjes("round", "propose", "--json", data_dir=data).stdout)
    member = view["groups"][0]["members"][0]
    listed = maatjes(
        "round",
        "alternatives",
        str(view["id"]),
        "--group",
        "1",
        "--member",
        str(member),
        "--json",
        data_dir=data,
    )
    assert listed.returncode == 0, listed.stderr
    options = json.loads(listed.stdout)
    assert 1 <= len(options) <= 3
    best = options[0]
    args = (
        ["--with", str(best["with_person"])]
        if best["with_person"]
        else ["--to", str(best["other_position"])]
    )
    done = maatjes(
        "round",
        "swap",
        str(view["id"]),
        "--group",
        "1",
        "--member",
        str(member),
        *args,
        data_dir=data,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("done: ")
    shown = json.loads(maatjes("round", "show", str(view["id"]), "--json", data_dir=data).stdout)
    assert member not in shown["groups"][0]["members"]
    bad = maatjes(
        "round",
        "swap",
        str(view["id"]),
        "--group",
        "1",
        "--member",
        "99999",
        "--with",
        "1",
        data_dir=data,
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def test_swap_in_chat_with_buttons(engine: Engine, demo: Settings) -> None:
    from bot.core.messages import Account, Card, Inbound

    matchmaker, _ = _matchmaker(demo, "tfidf")
    service = RoundService(engine, demo.groups.rounds, proposer=matchmaker)
    round_id = service.propose(actor=CLI_ACTOR, origin="cli", kind="pairs")
    chat = ConversationService(engine, Intake(CoreConfig(policy_version="t")), rounds=service)
    tessa = Account("local", "tessa")
    shown = chat.handle(tessa, Inbound(text="ronde"))
    first = next(m for m in shown.messages if isinstance(m, Card))
    swap = [c.value for c in first.choices if c.value.startswith("review:swap:")]
    assert swap == [f"review:swap:{round_id}:1"]

    which = chat.handle(tessa, Inbound(choice=swap[0])).messages
    assert len(which) == 1 and isinstance(which[0], Card)
    member_choice = which[0].choices[0]
    member = int(member_choice.value.rsplit(":", 1)[1])
    assert member_choice.label == _people_by_id(engine)[member].name

    offered = chat.handle(tessa, Inbound(choice=member_choice.value)).messages
    card = offered[0]
    assert isinstance(card, Card) and 1 <= len(card.choices) <= 3
    assert all("Totale score van de ronde" in f.value for f in card.fields)
    expected = service.alternatives(round_id, position=1, member=member)[0]
    done = chat.handle(tessa, Inbound(choice=card.choices[0].value)).messages
    assert "Groep 1 is aangepast" in getattr(done[0], "text", "")
    assert member not in _groups_of_round(engine, round_id)[0]
    assert (
        expected.with_person is None
        or expected.with_person in _groups_of_round(engine, round_id)[0]
    )

    anna = Account("local", "anna")
    refused = chat.handle(anna, Inbound(choice=swap[0])).messages
    assert "Alleen coördinatoren" in getattr(refused[-1], "text", "")
