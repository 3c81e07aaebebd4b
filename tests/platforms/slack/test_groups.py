"""Coordinators and groups in Slack: review with Block Kit, introductions, growing clubs,
check-ins."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from storage import outbox, people, rounds
from storage.db import session_scope
from storage.models import (
    MatchGroup,
    OutboxMessage,
    Person,
    ReviewDecision,
    SlackGroupChannel,
)
from storage.types import utcnow
from tests.fakes.slack import TEAM
from tests.platforms.slack.driver import (
    COORDINATOR,
    FORM,
    JSON,
    SlackDriver,
    _group_ids,
    _seed_person,
    _seed_round,
    texts,
)
from tests.support.slack import (
    elements,
    event_body,
    home_action_body,
    home_event,
)

# --- review, introductions, check-ins -------------------------------------------------------------


def test_a_coordinator_reviews_a_round_with_block_kit(driver: SlackDriver) -> None:
    users = ["URA", "URB", "URC", "URD", "URE"]
    ids = [
        _seed_person(driver, u, f"Persoon {u}", "regionaal" if i % 2 else "rijk")
        for i, u in enumerate(users)
    ]
    round_id = _seed_round(driver, [[ids[0], ids[1]], [ids[2], ids[3], ids[4]]])

    # the coordinator's App Home has the way in; pressing it posts the round in their DM
    driver.post(event_body(home_event(COORDINATOR)), JSON)
    home = driver.fake.wait_for("views.publish")[-1]
    view = (
        json.loads(home.args["view"]) if isinstance(home.args["view"], str) else home.args["view"]
    )
    review = next(e for _, e in elements(view["blocks"]) if e["value"] == "ronde")
    assert driver.post(home_action_body(COORDINATOR, review), FORM).status_code == 200
    cards = driver.wait_posts(COORDINATOR, 1)[-1]
    values = {e.get("value") for _, e in elements(cards.args["blocks"])}
    assert f"review:approve:{round_id}:1" in values and f"review:swap:{round_id}:2" in values
    reject_button = next(
        e
        for _, e in elements(cards.args["blocks"])
        if e.get("value") == f"review:reject:{round_id}:2"
    )
    assert (
        reject_button["action_id"].startswith("maatjes.reason.")
        and reject_button["style"] == "danger"
    )

    # swap: which member, then that member's alternatives
    driver.press_and_wait(COORDINATOR, f"review:swap:{round_id}:2")
    alternatives = driver.press_and_wait(COORDINATOR, f"review:swap:{round_id}:2:{ids[2]}")[-1]
    swap = next(
        e["value"]
        for _, e in elements(alternatives.args["blocks"])
        if e["value"].startswith(f"review:rearrange:{round_id}:2:{ids[2]}:")
    )
    driver.press_and_wait(COORDINATOR, swap)
    with Session(driver.maatjes.engine) as session:
        members = rounds.members_of(session, group_ids=_group_ids(driver, round_id))
        placed = [pid for group in members.values() for pid in group]
        assert sorted(placed) == sorted(ids), "a swap keeps everyone placed"
        assert members != {min(members): [ids[0], ids[1]], max(members): [ids[2], ids[3], ids[4]]}

    # reject with a reason in a modal
    driver.press(COORDINATOR, f"review:reject:{round_id}:2", post=cards)
    opened = driver.fake.wait_for("views.open")[-1]
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    assert view["callback_id"] == "maatjes.reason"
    before = len(driver.posts(COORDINATOR))
    assert driver.submit_modal(COORDINATOR, "Twee van hen werken al samen.").status_code == 200
    driver.wait_posts(COORDINATOR, before + 1)

    # approve the other group
    driver.press(COORDINATOR, f"review:approve:{round_id}:1", post=cards)
    driver.fake.wait_for(
        "chat.postMessage",
        where=lambda c: "goedgekeurd" in texts(c).lower() or "approved" in texts(c).lower(),
    )
    with Session(driver.maatjes.engine) as session:
        groups = {g.position: g for g in rounds.groups_of(session, round_id=round_id)}
        assert groups[2].status == "rejected" and groups[1].status in ("approved", "introduced")
        reasons = [
            d.reason for d in session.exec(select(ReviewDecision)).all() if d.action == "reject"
        ]
        assert reasons == ["Twee van hen werken al samen."]

    # the introduction goes out through the outbox: one group DM, greeted once, and each DM links it
    with Session(driver.maatjes.engine) as session:
        first = rounds.members_of(session, group_ids=[min(_group_ids(driver, round_id))])
        pair = sorted(users[ids.index(pid)] for pid in next(iter(first.values())))
    report = driver.maatjes.delivery.deliver_due()
    assert report.failed == 0 and report.delivered >= 2
    group_dm = [c for c in driver.fake.of("conversations.open") if "," in c.args["users"]]
    assert {frozenset(c.args["users"].split(",")) for c in group_dm} == {frozenset(pair)}
    channel = "G" + "".join(pair)
    welcome = [c for c in driver.fake.of("chat.postMessage") if c.args["channel"] == channel]
    assert len(welcome) == 1 and "Welkom" in texts(welcome[0])
    for user in pair:
        intro = driver.posts(user)[-1]
        assert f"<#{channel}>" in json.dumps(intro.args["blocks"])
    # a second delivery run (or another instance) makes nothing twice
    driver.maatjes.delivery.deliver_due()
    assert len([c for c in driver.fake.of("chat.postMessage") if c.args["channel"] == channel]) == 1


def test_a_large_club_gets_a_private_channel(driver: SlackDriver) -> None:
    users = [f"UBIG{i}" for i in range(9)]
    ids = [_seed_person(driver, u, f"Lid {u}", "regionaal") for u in users]
    round_id = _seed_round(driver, [ids])
    driver.maatjes.rounds.approve(
        round_id, position=1, actor=f"slack:{COORDINATOR}", origin="slack"
    )
    driver.fake.fail("conversations.invite", error="internal_error")  # Slack hiccups once
    report = driver.maatjes.delivery.deliver_due()
    assert report.delivered == 8 and report.retried == 1 and report.failed == 0
    later = driver.maatjes.delivery.deliver_due(now=utcnow() + timedelta(minutes=5))
    assert later.delivered == 1
    created = driver.fake.of("conversations.create")
    assert len(created) == 1 and created[0].args["is_private"] in (True, "true", "1")
    invited = [c for c in driver.fake.of("conversations.invite") if c.result.get("ok")]
    assert len(invited) == 1 and set(invited[0].args["users"].split(",")) == set(users)
    with Session(driver.maatjes.engine) as session:
        stored = session.get(SlackGroupChannel, _group_ids(driver, round_id)[0])
        assert stored is not None and stored.kind == "private"
    welcome = driver.fake.of_channel(stored.channel_id)
    assert len(welcome) == 1, "the club is greeted once"


# --- a club that grows keeps one Slack conversation with everyone ---------------------------------


def _introduced_club(driver: SlackDriver, users: list[str]) -> int:
    """A club of these Slack members, approved and introduced (its conversation made)."""
    ids = [_seed_person(driver, u, f"Lid {u}", "regionaal") for u in users]
    round_id = _seed_round(driver, [ids])
    driver.maatjes.rounds.approve(
        round_id, position=1, actor=f"slack:{COORDINATOR}", origin="slack"
    )
    report = driver.maatjes.delivery.deliver_due()
    assert report.failed == 0 and report.delivered == len(users)
    return _group_ids(driver, round_id)[0]


def _grow_club(driver: SlackDriver, club_id: int, newcomers: list[str]) -> None:
    """A later round proposes the club with newcomers; a coordinator approves it."""
    with Session(driver.maatjes.engine) as session:
        members = rounds.members_of(session, group_ids=[club_id])[club_id]
    ids = [_seed_person(driver, u, f"Nieuw {u}", "rijk") for u in newcomers]
    with session_scope(driver.maatjes.engine) as session:
        made = rounds.create_round(
            session,
            kind="clubs",
            origin="cli",
            proposed_by="cli:operator",
            embedder="test",
            weights={},
            groups=[rounds.NewGroup([*members, *ids], 0.7, {"extends": club_id})],
        )
        round_id = made.id
    assert round_id is not None
    driver.maatjes.rounds.approve(
        round_id, position=1, actor=f"slack:{COORDINATOR}", origin="slack"
    )


def _conversation(driver: SlackDriver, club_id: int) -> SlackGroupChannel:
    with Session(driver.maatjes.engine) as session:
        stored = session.get(SlackGroupChannel, club_id)
        assert stored is not None
        return stored


def _deliver_again(driver: SlackDriver) -> None:
    """Every message delivered once more, as after a crash before it was marked sent."""
    with session_scope(driver.maatjes.engine) as session:
        for message in session.exec(select(OutboxMessage)).all():
            message.status, message.not_before = "pending", utcnow()
            session.add(message)
    assert driver.maatjes.delivery.deliver_due().failed == 0


def test_a_group_dm_club_that_grows_moves_to_a_group_dm_with_everyone(
    db_driver: SlackDriver,
) -> None:
    driver = db_driver
    users = ["UGROWA", "UGROWB", "UGROWC"]
    club_id = _introduced_club(driver, users)
    first = _conversation(driver, club_id)
    assert first.kind == "mpim" and driver.fake.members[first.channel_id] >= set(users)

    _grow_club(driver, club_id, ["UGROWD"])
    report = driver.maatjes.delivery.deliver_due()
    assert report.failed == 0 and report.delivered == 4  # an introduction, three notices
    everyone = {*users, "UGROWD"}
    grown = _conversation(driver, club_id)
    assert grown.kind == "mpim" and grown.channel_id != first.channel_id
    assert driver.fake.members[grown.channel_id] >= everyone, "the newcomer is in it"
    greeting = driver.fake.of_channel(grown.channel_id)
    assert len(greeting) == 1 and "<@UGROWD>" in texts(greeting[0])
    assert len(driver.fake.of_channel(first.channel_id)) == 1, "the old one stays as it was"
    for user in everyone:  # the newcomer's introduction and the members' notices link it
        assert f"<#{grown.channel_id}>" in json.dumps(driver.posts(user)[-1].args["blocks"])

    opened = len(driver.fake.of("conversations.open"))
    _deliver_again(driver)
    assert _conversation(driver, club_id).channel_id == grown.channel_id
    assert len(driver.fake.of_channel(grown.channel_id)) == 1, "greeted once"
    assert len(driver.fake.of("conversations.open")) == opened, "no second conversation"
    assert not driver.fake.of("conversations.create")


def test_a_private_channel_club_that_grows_invites_the_newcomer(db_driver: SlackDriver) -> None:
    driver = db_driver
    users = [f"UCHAN{i}" for i in range(9)]
    club_id = _introduced_club(driver, users)
    channel = _conversation(driver, club_id).channel_id
    assert driver.fake.members[channel] >= set(users)
    assert len(driver.fake.of_channel(channel)) == 1

    _grow_club(driver, club_id, ["UCHANX"])
    driver.fake.fail("conversations.invite", error="internal_error")  # Slack hiccups once
    report = driver.maatjes.delivery.deliver_due()
    assert report.failed == 0 and report.retried == 1
    assert driver.maatjes.delivery.deliver_due(now=utcnow() + timedelta(minutes=5)).failed == 0
    assert _conversation(driver, club_id).channel_id == channel, "the same channel"
    assert "UCHANX" in driver.fake.members[channel]
    greetings = driver.fake.of_channel(channel)
    assert len(greetings) == 2 and "<@UCHANX>" in texts(greetings[-1])
    intro = driver.posts("UCHANX")[-1]
    assert f"<#{channel}>" in json.dumps(intro.args["blocks"])

    _deliver_again(driver)
    assert len(driver.fake.of_channel(channel)) == 2, "greeted once"
    assert len(driver.fake.of("conversations.create")) == 1


def test_a_club_that_grows_past_eight_moves_to_a_private_channel(db_driver: SlackDriver) -> None:
    driver = db_driver
    users = [f"USEVEN{i}" for i in range(7)]
    club_id = _introduced_club(driver, users)
    group_dm = _conversation(driver, club_id).channel_id

    _grow_club(driver, club_id, ["USEVENX", "USEVENY"])
    assert driver.maatjes.delivery.deliver_due().failed == 0
    moved = _conversation(driver, club_id)
    assert moved.kind == "private" and moved.channel_id != group_dm
    created = driver.fake.of("conversations.create")
    assert len(created) == 1 and created[0].args["is_private"] in (True, "true", "1")
    assert driver.fake.members[moved.channel_id] >= {*users, "USEVENX", "USEVENY"}
    greeting = driver.fake.of_channel(moved.channel_id)
    assert len(greeting) == 1
    assert "<@USEVENX>" in texts(greeting[0]) and "<@USEVENY>" in texts(greeting[0])
    for user in [*users, "USEVENX", "USEVENY"]:
        assert f"<#{moved.channel_id}>" in json.dumps(driver.posts(user)[-1].args["blocks"])

    _deliver_again(driver)
    assert len(driver.fake.of("conversations.create")) == 1, "no second channel"
    assert len(driver.fake.of_channel(moved.channel_id)) == 1, "greeted once"


def test_two_instances_growing_a_club_at_once_make_one_conversation_and_one_greeting(
    db_driver: SlackDriver,
) -> None:
    driver = db_driver
    users = ["URACEA", "URACEB", "URACEC"]
    club_id = _introduced_club(driver, users)
    first = _conversation(driver, club_id).channel_id
    _grow_club(driver, club_id, ["URACED"])
    gate = driver.fake.hold("conversations.open")
    reports: dict[str, Any] = {}

    def instance(worker: str) -> None:
        reports[worker] = driver.maatjes.delivery.deliver_due(worker=worker, batch=1)

    workers = [threading.Thread(target=instance, args=(w,)) for w in ("one", "two")]
    for worker in workers:
        worker.start()
    driver.fake.wait_held("conversations.open", 2)  # both are growing the club now
    gate.set()
    for worker in workers:
        worker.join(30)
    assert sum(r.delivered for r in reports.values()) == 4
    assert sum(r.failed for r in reports.values()) == 0
    grown = _conversation(driver, club_id).channel_id
    assert grown != first and driver.fake.members[grown] >= {*users, "URACED"}
    assert len(driver.fake.of_channel(grown)) == 1, "greeted once"
    for user in [*users, "URACED"]:
        assert f"<#{grown}>" in json.dumps(driver.posts(user)[-1].args["blocks"])


def test_conversations_made_before_clubs_grew_record_the_members_they_were_made_with(
    engine: Any,
) -> None:
    from alembic import command

    from storage.db import alembic_config, migrate

    with session_scope(engine) as session:
        ids = []
        for platform, user in (
            ("slack", "UOLD1"),
            ("slack", "UOLD2"),
            ("web", "w"),
            ("slack", "UL"),
        ):
            person = people.get_or_create_person(
                session, platform=platform, platform_user_id=user, language="nl"
            )
            assert person.id is not None
            ids.append(person.id)
        made = rounds.create_round(
            session,
            kind="clubs",
            origin="cli",
            proposed_by="cli:operator",
            embedder="test",
            weights={},
            groups=[rounds.NewGroup(ids[:3], 0.7, {})],
        )
        club = rounds.groups_of(session, round_id=made.id or 0)[0]
        assert club.id is not None
        club_id = club.id
        made_at = utcnow()
        session.add(
            SlackGroupChannel(group_id=club_id, channel_id="GOLD", kind="mpim", created_at=made_at)
        )
        # joined later, under the code that did not add newcomers to the conversation
        rounds.join_club(session, club_id=club_id, person_ids=[ids[3]], at=made_at + timedelta(1))
    command.downgrade(alembic_config(engine), "0011")
    migrate(engine)
    with Session(engine) as session:
        stored = session.get(SlackGroupChannel, club_id)
        assert stored is not None and stored.members == "UOLD1,UOLD2"


def test_an_introduction_goes_out_even_when_slack_refuses_the_group_conversation(
    driver: SlackDriver,
) -> None:
    from storage import slack as slack_store

    users = ["UREF1", "UREF2"]
    ids = [_seed_person(driver, u, f"Lid {u}", "rijk") for u in users]
    with session_scope(driver.maatjes.engine) as session:
        for user in users:  # their DMs are known, so the next conversations.open is the group's
            slack_store.remember_member(
                session, user_id=user, team_id=TEAM, enterprise_id=None, dm_channel=f"D{user}"
            )
    round_id = _seed_round(driver, [ids])
    driver.maatjes.rounds.approve(
        round_id, position=1, actor=f"slack:{COORDINATOR}", origin="slack"
    )
    driver.fake.fail("conversations.open", error="restricted_action")
    driver.fake.fail("conversations.open", error="restricted_action")
    report = driver.maatjes.delivery.deliver_due()
    assert report.delivered == 2 and report.failed == 0
    for user in users:
        intro = driver.posts(user)[-1]
        assert "<#" not in json.dumps(intro.args["blocks"]) and "Lid" in texts(intro)


def test_a_check_in_is_answered_in_a_modal(driver: SlackDriver) -> None:
    from bot.core.checkins import LIBRARY
    from bot.services.checkins import checkin_messages
    from storage import checkins

    user, other = "UCHK", "UCHK2"
    ids = [
        _seed_person(driver, user, "Chris Check", "rijk"),
        _seed_person(driver, other, "Olga", "regionaal"),
    ]
    round_id = _seed_round(driver, [ids])
    group_id = _group_ids(driver, round_id)[0]
    with session_scope(driver.maatjes.engine) as session:
        checkins.schedule(
            session, group_id=group_id, sequence=1, prompt_code=LIBRARY[0].code, due_at=utcnow()
        )
        checkin = checkins.history(session, group_id=group_id)[0]
        assert checkin.id is not None
        checkins.transition(
            session, checkin_id=checkin.id, from_status="scheduled", to_status="sent", at=utcnow()
        )
        chris = session.get(Person, ids[0])
        olga = session.get(Person, ids[1])
        assert chris is not None and olga is not None
        messages = checkin_messages(
            checkin, LIBRARY[0], chris, [chris, olga], session.get(MatchGroup, group_id)
        )
        outbox.enqueue(
            session,
            dedupe_key="checkin:test",
            recipient_id=ids[0],
            kind="checkin",
            payload={"messages": messages},
        )
        checkin_id = checkin.id
    assert driver.maatjes.delivery.deliver_due().delivered == 1
    posted = driver.last(user)
    answer = next(e for _, e in elements(posted.args["blocks"]) if e["value"].endswith(":answer"))
    assert answer["action_id"].startswith("maatjes.checkin.")
    driver.press(user, answer["value"])
    opened = driver.fake.wait_for("views.open")[-1]
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    assert view["callback_id"] == "maatjes.checkin"
    before = len(driver.posts(user))
    assert (
        driver.submit_modal(user, "We hebben een eerste pilot met hergebruikt beton.").status_code
        == 200
    )
    share = driver.wait_posts(user, before + 1)[-1]
    driver.press_and_wait(user, "share")
    with Session(driver.maatjes.engine) as session:
        found = checkins.answers(session, checkin_id=checkin_id or 0)
        assert [(a.person_id, a.status, a.shared) for a in found] == [(ids[0], "answered", True)]
        assert found[0].text == "We hebben een eerste pilot met hergebruikt beton."
    assert share
