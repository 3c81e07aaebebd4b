"""A club's life over many rounds, on real databases through the real services: a club that grows
stays one club, proposing copes with whatever the database holds, and nobody is lost or ends up in
two clubs — checked step by step by a state machine that runs round after round with newcomers,
pauses, withdrawals, erasures, rejections, swaps and (partial) approvals in between."""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.app import create_app
from bot.core.conversation import MATCHING, CoreConfig
from bot.core.dialogue import Intake
from bot.core.messages import Account
from bot.services.access import CLI_ACTOR
from bot.services.accounts import Accounts
from bot.services.checkins import CheckInService
from bot.services.community import load_demo
from bot.services.conversations import ConversationService
from bot.services.errors import NotEnoughPeople
from bot.services.matchmaking import Matchmaker
from bot.services.privacy import PrivacyService
from bot.services.rounds import RoundService
from bot.services.threads import GroupThreads
from bot.settings import Settings
from matching.embedders import load_embedder
from storage import checkins, consents, outbox, people, rounds
from storage.db import make_engine, migrate, session_scope
from storage.models import Consent, GroupMember, MatchGroup, Person
from storage.types import utcnow
from tests.support.chat import Chat
from tests.support.cli import maatjes

TFIDF = load_embedder("tfidf")  # fast, no model: many rounds in seconds

TEXTS = [
    ("Circulaire bouwprojecten en hergebruik van materialen", "Gemeenten die circulair bouwen"),
    ("Inkoop van circulair meubilair voor de provincie", "Ervaring met circulair inkopen"),
    ("Textielinzameling en hergebruik in de regio", "Partners voor textielrecycling"),
    ("Landelijk beleid voor secundaire grondstoffen", "Praktijkvoorbeelden uit gemeenten"),
    ("Een kringloopcentrum opzetten met de gemeente", "Kennis van regels voor afval"),
    ("Biobased bouwen met hennep en vlas", "Boeren en bouwers die willen meedoen"),
]


def _settings(**extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        coordinators="local:tessa",
        secret_key="a-test-secret-that-is-long-enough",
        public_url="http://localhost:8000/",  # name sign-in: this machine only
        embedder="tfidf",
        **extra,
    )


def add_person(engine: Engine, key: str, index: int) -> int:
    """A finished profile with consent for matching, as the intake leaves it."""
    works_on, seeks = TEXTS[index % len(TEXTS)]
    with session_scope(engine) as session:
        person = people.get_or_create_person(
            session, platform="local", platform_user_id=key, language="nl"
        )
        assert person.id is not None
        consents.record_consent(
            session, person_id=person.id, purpose=MATCHING, policy_version="t", given=True
        )
        for field, value in {
            "name": f"Persoon {key}",
            "organisation": f"Organisatie {index % 4}",
            "group": ("regionaal", "rijk")[index % 2],
            "themes": ["bouw"] if index % 3 else ["textiel"],
            "phase": "verkennen",
            "works_on": works_on,
            "seeks": seeks,
            "offers": f"Kennis van {works_on.lower()}",
        }.items():
            people.save_draft_answer(session, person_id=person.id, field=field, value=value)
        people.commit_profile(session, person=person)
        return person.id


def matchmaker(settings: Settings) -> Matchmaker:
    found = Matchmaker(settings.groups.matching)
    found._embedder = TFIDF
    return found


def live_clubs_of(session: Session) -> dict[int, set[int]]:
    return rounds.live_memberships(session)


def running_members(session: Session) -> dict[int, list[int]]:
    """Every running group with its members, straight from the tables."""
    ids = session.exec(
        select(MatchGroup.id).where(col(MatchGroup.status).in_(rounds.RUNNING))
    ).all()
    return rounds.members_of(session, group_ids=[i for i in ids if i is not None])


# --- the issue's case: three rounds -----------------------------------------------------------


def _three_rounds(engine: Engine, service: RoundService) -> tuple[int, int, list[int]]:
    first = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    service.approve(first, actor=CLI_ACTOR, origin="cli")
    newcomers = [add_person(engine, f"nieuw{i}", i) for i in range(3)]
    second = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    service.approve(second, actor=CLI_ACTOR, origin="cli")
    return first, second, newcomers


def test_a_club_that_takes_newcomers_stays_one_club(database_url: str, engine: Engine) -> None:
    demo = _settings(database_url=database_url)
    assert load_demo(demo.resolved_database_url) == 76
    service = RoundService(engine, demo.groups.rounds, proposer=matchmaker(demo))
    first, second, newcomers = _three_rounds(engine, service)
    with Session(engine) as session:
        grown = rounds.groups_of(session, round_id=second)
        assert grown and all(g.status == rounds.MERGED for g in grown), "no second copy"
        clubs = {g.id: g for g in rounds.groups_of(session, round_id=first)}
        extended = {rounds.extended_club(g) for g in grown}
        assert extended <= set(clubs) and None not in extended
        members = rounds.members_of(session, group_ids=list(clubs))
        assert set(newcomers) <= {p for ids in members.values() for p in ids}
        assert all(len(live) == 1 for live in live_clubs_of(session).values())
        assert all(clubs[c].status == rounds.INTRODUCED for c in extended)
        sent = [
            (m.kind, m.recipient_id, m.payload.get("group_id")) for m in outbox.entries(session)
        ]
        old = {p for c in extended for p in members[c or 0] if p not in newcomers}
        introduced_twice = [r for k, r, _ in sent if k == "introduction" and r in old]
        assert len(introduced_twice) == len(old), "members were introduced once, in round 1"
        for person in newcomers:  # only the newcomers are introduced, to the club itself
            mine = [(k, g) for k, r, g in sent if r == person]
            assert ("introduction", next(c for c in extended if person in members[c or 0])) in mine
        joined = [(r, g) for k, r, g in sent if k == "club_joined"]
        assert {r for r, _ in joined} == old, "the members hear who joined"
        notice = next(m for m in outbox.entries(session) if m.kind == "club_joined")
        assert "Jullie clubje wordt groter" in str(notice.payload)
        # one club: check-ins are planned once, for the club; its thread lists the newcomers
        assert not {g.id for g in grown} & {g.id for g in checkins.groups_without_plan(session)}
    threads = GroupThreads(engine, link=Settings(_env_file=None).person_link)
    mine = threads.groups(Account("local", "nieuw0"))
    assert len(mine) == 1 and mine[0]["id"] in extended
    # the third round proposes: everyone is in a club, so it says so (no crash)
    with pytest.raises(NotEnoughPeople):
        service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    add_person(engine, "nieuw9", 9)
    third = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    service.approve(third, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        assert all(len(live) == 1 for live in live_clubs_of(session).values())
        placed = {p for ids in running_members(session).values() for p in ids}
        assert len(placed) == 76 + 4


def test_reviewing_a_proposal_that_grows_a_club_leaves_the_club_intact(
    database_url: str, engine: Engine
) -> None:
    demo = _settings(database_url=database_url)
    assert load_demo(demo.resolved_database_url) == 76
    service = RoundService(engine, demo.groups.rounds, proposer=matchmaker(demo))
    first = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    service.approve(first, actor=CLI_ACTOR, origin="cli")
    newcomers = [add_person(engine, f"nieuw{i}", i) for i in range(4)]
    second = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    with Session(engine) as session:
        before = running_members(session)
        proposals = rounds.groups_of(session, round_id=second)
        members = rounds.members_of(session, group_ids=[g.id or 0 for g in proposals])
        growing = [(g.position, rounds.extended_club(g), members[g.id or 0]) for g in proposals]
    assert growing and all(club is not None for _, club, _ in growing)
    position, club, ids = growing[0]
    assert club is not None
    for member in before[club]:  # the club's own members stay where they are
        assert service.alternatives(second, position=position, member=member) == []
    mine = [p for p in ids if p in newcomers]
    options = [
        o for p in mine for o in service.alternatives(second, position=position, member=p, limit=10)
    ]
    assert options, "a newcomer can be swapped or moved"
    chosen = options[0]
    service.rearrange(
        second,
        position=position,
        member=chosen.member,
        with_person=chosen.with_person,
        to_position=chosen.other_position,
        actor=CLI_ACTOR,
        origin="cli",
    )
    with Session(engine) as session:
        assert running_members(session) == before, "a swap changes no running club"
        changed = next(
            g for g in rounds.groups_of(session, round_id=second) if g.position == position
        )
        now = rounds.members_of(session, group_ids=[changed.id or 0])[changed.id or 0]
        assert rounds.extended_club(changed) == club, "still grows the same club"
        assert changed.explanation["newcomers"] == [p for p in now if p not in before[club]]
    for other, _, _ in growing[1:]:
        service.reject(second, position=other, reason="later", actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        assert running_members(session) == before, "a rejection changes no running club"
    service.approve(second, position=position, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        after = running_members(session)
        assert set(after) == set(before), "no new club: the club grew"
        assert set(after[club]) == set(before[club]) | set(now)
        assert all(after[g] == before[g] for g in before if g != club)
    if len(growing) > 1:  # the rejected newcomers are free again: the next round places them
        assert service.propose_scheduled() is not None
    with Session(engine) as session:
        assert all(len(live) == 1 for live in live_clubs_of(session).values())


def test_a_club_that_stopped_meeting_ends_when_its_members_are_matched_anew(
    database_url: str, engine: Engine
) -> None:
    settings_ = _settings(database_url=database_url)
    service = RoundService(engine, settings_.groups.rounds, proposer=matchmaker(settings_))
    for i in range(9):
        add_person(engine, f"p{i}", i)
    first = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    service.approve(first, actor=CLI_ACTOR, origin="cli")
    with session_scope(engine) as session:
        quiet = rounds.groups_of(session, round_id=first)[0]
        assert quiet.id is not None
        for sequence in (1, 2):  # two check-ins nobody answered
            checkins.schedule(
                session, group_id=quiet.id, sequence=sequence, prompt_code="x", due_at=utcnow()
            )
            row = checkins.history(session, group_id=quiet.id)[-1]
            for before, after in (
                (checkins.SCHEDULED, checkins.SENT),
                (checkins.SENT, checkins.CLOSED),
            ):
                checkins.transition(
                    session,
                    checkin_id=row.id or 0,
                    from_status=before,
                    to_status=after,
                    at=utcnow(),
                )
        checkins.schedule(session, group_id=quiet.id, sequence=3, prompt_code="x", due_at=utcnow())
        assert checkins.quiet_groups(session) == [quiet.id]
        members = rounds.members_of(session, group_ids=[quiet.id])[quiet.id]
    second = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    service.approve(second, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        ended = session.get(MatchGroup, quiet.id)
        assert ended is not None and ended.status == rounds.DISSOLVED
        assert [c.status for c in checkins.history(session, group_id=quiet.id)][
            -1
        ] == checkins.MISSED
        assert all(len(live) == 1 for live in live_clubs_of(session).values())
        placed = {p for ids in running_members(session).values() for p in ids}
        assert set(members) <= placed, "its members are in a running club again"
        met = {frozenset((a, b)) for a, b, _ in rounds.match_history(session)}
        assert frozenset(members[:2]) in met, "that they met stays in the history"


def test_a_new_maatje_takes_over_from_last_rounds(database_url: str, engine: Engine) -> None:
    settings_ = _settings(database_url=database_url, round_kind="pairs")
    service = RoundService(engine, settings_.groups.rounds, proposer=matchmaker(settings_))
    for i in range(8):
        add_person(engine, f"p{i}", i)
    first = service.propose(actor=CLI_ACTOR, origin="cli")
    service.approve(first, actor=CLI_ACTOR, origin="cli")
    with session_scope(engine) as session:
        old = rounds.groups_of(session, round_id=first)
        pairs = rounds.members_of(session, group_ids=[g.id or 0 for g in old])
    second = service.propose(actor=CLI_ACTOR, origin="cli")
    service.approve(second, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        assert all(len(live) == 1 for live in live_clubs_of(session).values())
        ended = {g.id: g.status for g in rounds.groups_of(session, round_id=first)}
        assert set(ended.values()) == {rounds.SUPERSEDED}
        first_pair = next(iter(pairs.values()))
        key = session.get(Person, first_pair[0])
        assert key is not None
    threads = GroupThreads(engine, link=Settings(_env_file=None).person_link)
    listed = {g["id"] for g in threads.groups(Account("local", key.platform_user_id))}
    assert set(ended) & listed, "last round's thread stays readable"
    assert len(listed) == 2


def test_the_issue_case_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAATJES_EMBEDDER", "tfidf")
    monkeypatch.setenv("MAATJES_SCHEDULER", "false")
    data = tmp_path / "data"
    assert maatjes("demo", data_dir=data).returncode == 0
    for round_id in (1, 2):
        proposed = maatjes("round", "propose", data_dir=data)
        assert proposed.returncode == 0, proposed.stderr
        approved = maatjes("round", "approve", str(round_id), data_dir=data)
        assert approved.returncode == 0, approved.stderr
        if round_id == 1:
            engine = make_engine(f"sqlite:///{data / 'maatjes.db'}")
            for i in range(3):
                add_person(engine, f"nieuw{i}", i)
    third = maatjes("round", "propose", data_dir=data)
    assert "Traceback" not in third.stderr and "more than one" not in third.stderr
    assert third.returncode == 1 and "too few people" in third.stderr, "everyone is in a club"
    add_person(engine, "nieuw9", 9)
    third = maatjes("round", "propose", data_dir=data)
    assert third.returncode == 0, third.stderr
    with Session(engine) as session:
        assert all(len(live) == 1 for live in live_clubs_of(session).values())
    engine.dispose()


def _login(client: TestClient) -> str:
    def csrf(path: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
        assert found
        return found.group(1)

    response = client.post(
        "/dashboard/login",
        data={
            "username": "tessa",
            "password": "een lang wachtwoord",
            "csrf": csrf("/dashboard/login"),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    return csrf("/dashboard/rounds")


def _corrupt_like_before(engine: Engine) -> None:
    """What rounds wrote before clubs grew in place: the grown club as a second introduced copy."""
    newcomer = add_person(engine, "kopie", 5)
    with session_scope(engine) as session:
        introduced = [
            g
            for g in session.exec(select(MatchGroup).where(MatchGroup.status == "introduced"))
            if g.kind == "club"
        ]
        old = introduced[0]
        assert old.id is not None
        members = rounds.members_of(session, group_ids=[old.id])[old.id]
        copy = rounds.create_round(
            session,
            kind="clubs",
            origin="cli",
            proposed_by=CLI_ACTOR,
            embedder="test",
            weights={},
            groups=[rounds.NewGroup([*members, newcomer], 1.0, {"extends": old.id})],
        )
        copy.status = "introduced"
        for group in rounds.groups_of(session, round_id=copy.id or 0):
            group.status, group.introduced_at = "introduced", utcnow()
            session.add(group)


def test_the_dashboard_proposes_round_after_round_and_never_fails(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app_settings = _settings(data_dir=tmp_path / "data", scheduler=False)
    app = create_app(app_settings)
    Accounts(app.state.maatjes.engine).set_password("tessa", "een lang wachtwoord")
    engine = app.state.maatjes.engine
    assert load_demo(_settings(data_dir=tmp_path / "data").resolved_database_url) == 76
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = _login(client)

        def propose() -> int:
            response = client.post(
                "/dashboard/rounds", data={"csrf": token}, follow_redirects=False
            )
            assert response.status_code == 303, response.text
            return int(response.headers["location"].rsplit("/", 1)[1])

        def approve(round_id: int) -> None:
            asked = client.get(f"/dashboard/rounds/{round_id}/approve-all").text
            waiting = re.search(r'name="groups" value="(\d+)"', asked)
            assert waiting, "approving all is confirmed for the number of groups shown"
            response = client.post(
                f"/dashboard/rounds/{round_id}/approve",
                data={"csrf": token, "confirm": "yes", "groups": waiting.group(1)},
                follow_redirects=False,
            )
            assert response.status_code == 303

        approve(propose())
        for i in range(3):
            add_person(engine, f"nieuw{i}", i)
        second = propose()
        approve(second)
        page = client.get(f"/dashboard/rounds/{second}").text
        assert "de nieuwkomers zitten nu in het bestaande clubje" in page
        full = client.post("/dashboard/rounds", data={"csrf": token}, follow_redirects=False)
        assert full.status_code == 409 and "niemand om in te delen" in full.text
        service = app.state.maatjes.rounds
        assert service.propose_scheduled() is None, "the scheduler waits for newcomers"
        _corrupt_like_before(engine)  # a database as today's rounds left it
        add_person(engine, "nieuw8", 2)
        add_person(engine, "nieuw9", 3)
        with caplog.at_level(logging.WARNING):
            round_id = propose()
        assert "the newest counts" in caplog.text
        approve(round_id)
        add_person(engine, "nieuw10", 4)
        assert service.propose_scheduled() is not None, "the scheduler copes as well"


# --- many rounds: a state machine --------------------------------------------------------------


class ClubLife(RuleBasedStateMachine):
    """One community, round after round. After every step: nobody is in two live clubs, erased
    and withdrawn people are in no proposal and join no club, and every proposal leaves nobody
    who could be placed unplaced."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp()
        url = f"sqlite:///{Path(self.directory) / 'maatjes.db'}"
        self.settings = _settings(database_url=url)
        self.engine = make_engine(url)
        migrate(self.engine)
        self.rounds = RoundService(
            self.engine, self.settings.groups.rounds, proposer=matchmaker(self.settings)
        )
        self.privacy = PrivacyService(self.engine, self.settings.groups.privacy)
        self.chat = ConversationService(
            self.engine, Intake(CoreConfig(policy_version="t")), privacy=self.privacy
        )
        self.people: dict[int, str] = {}
        self.erased: set[int] = set()
        self.withdrawn: dict[int, object] = {}
        self.counter = 0
        self.proposals = 0
        self.steps = 0

    def teardown(self) -> None:
        with Session(self.engine) as session:
            grew = any(g.status == rounds.MERGED for g in session.exec(select(MatchGroup)))
        event("rounds proposed", str(min(self.proposals, 5)))
        event("a club grew", str(grew))
        event("steps", str(self.steps // 10 * 10))
        self.engine.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)

    @initialize()
    def community(self) -> None:
        self.newcomers_arrive(9)

    # --- what happens between rounds ------------------------------------------------------------

    @rule(count=st.integers(1, 5))
    def newcomers_arrive(self, count: int) -> None:
        for _ in range(count):
            self.counter += 1
            key = f"p{self.counter}"
            person_id = add_person(self.engine, key, self.counter)
            self.people[person_id] = key
            # SQLite may hand an erased person's id to someone new: that is a new person
            self.erased.discard(person_id)
            self.withdrawn.pop(person_id, None)

    def _someone(self, data: st.DataObject) -> int | None:
        present = sorted(set(self.people) - self.erased - set(self.withdrawn))
        return data.draw(st.sampled_from(present)) if present else None

    @rule(data=st.data(), paused=st.booleans())
    def pause(self, data: st.DataObject, paused: bool) -> None:
        person_id = self._someone(data)
        if person_id is None:
            return
        with session_scope(self.engine) as session:
            person = session.get(Person, person_id)
            assert person is not None
            people.set_pause(session, person=person, paused=paused, until=None)

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        person_id = self._someone(data)
        if person_id is None:
            return
        chat = Chat(self.chat, user=self.people[person_id])
        chat.say("privacy")
        chat.click("privacy:matching:off")
        chat.click("yes")
        self.withdrawn[person_id] = utcnow()

    @rule(data=st.data())
    def erase(self, data: st.DataObject) -> None:
        person_id = self._someone(data)
        if person_id is None:
            return
        assert self.privacy.erase(person_id, actor=CLI_ACTOR) is not None
        self.erased.add(person_id)

    # --- rounds ---------------------------------------------------------------------------------

    def _open(self) -> list[tuple[int, int]]:
        """(round, position) of every group awaiting review."""
        with Session(self.engine) as session:
            return [
                (r.id or 0, g.position)
                for r in rounds.open_rounds(session)
                for g in rounds.groups_of(session, round_id=r.id or 0)
                if g.status == rounds.PROPOSED
            ]

    def _active(self, session: Session) -> set[int]:
        return {p.id or 0 for p in matchmaker(self.settings).candidates(session, now=utcnow())}

    @rule()
    def propose(self) -> None:
        with contextlib.suppress(NotEnoughPeople):  # only when nobody can be placed (below)
            self.rounds.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
            self.proposals += 1
        with Session(self.engine) as session:
            live = rounds.live_groups(session)
            active = self._active(session)
            proposed = {p for g in live if g.status == rounds.PROPOSED for p in g.members}
            clubs = [g for g in live if g.status in rounds.RUNNING and g.kind == "club"]
            left = active - proposed - {p for g in clubs for p in g.members}
            room = [g for g in clubs if (set(g.members) & active) - proposed]
            # nobody is lost: only a single person with no club to join can be left out
            assert len(left) <= 1, f"left out: {left}"
            assert not (left and room), f"{left} could have joined a club"

    @rule(data=st.data())
    def a_whole_round(self, data: st.DataObject) -> None:
        """A round proposed and reviewed at once: each group approved, rejected, changed and
        approved, or left for later."""
        self.propose()
        for round_id, position in self._open():
            decision = data.draw(st.sampled_from(["approve", "approve", "reject", "swap", "wait"]))
            if decision == "reject":
                self.rounds.reject(
                    round_id, position=position, reason="nee", actor=CLI_ACTOR, origin="cli"
                )
                continue
            if decision == "swap":
                self._rearrange(data, round_id, position)
            if decision != "wait":
                self.rounds.approve(round_id, position=position, actor=CLI_ACTOR, origin="cli")

    @rule(data=st.data(), everything=st.booleans())
    def approve(self, data: st.DataObject, everything: bool) -> None:
        waiting = self._open()
        if not waiting:
            return
        round_id, position = data.draw(st.sampled_from(waiting))
        self.rounds.approve(
            round_id, position=None if everything else position, actor=CLI_ACTOR, origin="cli"
        )

    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        waiting = self._open()
        if not waiting:
            return
        round_id, position = data.draw(st.sampled_from(waiting))
        with Session(self.engine) as session:
            before = running_members(session)
        self.rounds.reject(
            round_id, position=position, reason="kennen elkaar al", actor=CLI_ACTOR, origin="cli"
        )
        with Session(self.engine) as session:
            assert running_members(session) == before, "a rejection leaves every club intact"

    @rule(data=st.data())
    def rearrange(self, data: st.DataObject) -> None:
        waiting = self._open()
        if waiting:
            self._rearrange(data, *data.draw(st.sampled_from(waiting)))

    def _rearrange(self, data: st.DataObject, round_id: int, position: int) -> None:
        with Session(self.engine) as session:
            group = next(
                g for g in rounds.groups_of(session, round_id=round_id) if g.position == position
            )
            members = rounds.members_of(session, group_ids=[group.id or 0])[group.id or 0]
            before = running_members(session)
        if not members:
            return
        member = data.draw(st.sampled_from(members))
        options = self.rounds.alternatives(round_id, position=position, member=member, limit=5)
        if not options:
            return
        chosen = data.draw(st.sampled_from(options))
        self.rounds.rearrange(
            round_id,
            position=position,
            member=member,
            with_person=chosen.with_person,
            to_position=chosen.other_position,
            actor=CLI_ACTOR,
            origin="cli",
        )
        with Session(self.engine) as session:
            assert running_members(session) == before, "a swap leaves every club intact"

    @rule()
    def time_passes(self) -> None:
        """Check-ins are planned and sent for the running groups (one club, one plan)."""
        CheckInService(self.engine, self.settings.groups.checkins).run_due(utcnow())

    # --- after every step -----------------------------------------------------------------------

    @invariant()
    def one_live_club_each(self) -> None:
        self.steps += 1
        with Session(self.engine) as session:
            clubs = live_clubs_of(session)
            twice = {p: c for p, c in clubs.items() if len(c) > 1}
            assert not twice, f"in two live clubs: {twice}"

    @invariant()
    def erased_and_withdrawn_people_are_in_no_live_group(self) -> None:
        with Session(self.engine) as session:
            assert not session.exec(
                select(GroupMember).where(col(GroupMember.person_id).in_(list(self.erased)))
            ).all()
            live = rounds.live_groups(session)
            proposed = {p for g in live if g.status == rounds.PROPOSED for p in g.members}
            assert not proposed & set(self.withdrawn), "a withdrawal leaves every proposal"
            running = [g.id for g in live if g.status in rounds.RUNNING]
            joined_later = session.exec(
                select(GroupMember).where(
                    col(GroupMember.group_id).in_(running),
                    col(GroupMember.person_id).in_(list(self.withdrawn)),
                )
            ).all()
            for row in joined_later:  # a club they were in keeps them as history, no more
                assert row.added_at <= self.withdrawn[row.person_id]  # type: ignore[operator]
            consenting = set(session.exec(consents.consenting_people(purpose=MATCHING)).all())
            assert not consenting & set(self.withdrawn)
            assert not session.exec(
                select(Consent).where(col(Consent.person_id).in_(list(self.erased)))
            ).all()


ClubLife.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_a_club_lives_many_rounds = ClubLife.TestCase
