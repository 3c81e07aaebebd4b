"""Slack end to end: a real Bolt app on the real FastAPI app, signed requests in Slack's formats,
and a fake Slack Web API on 127.0.0.1 that records every call (no network, no mocks of Bolt)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import Maatjes, create_app
from bot.settings import Settings
from storage import consents, outbox, people, rounds
from storage.db import session_scope
from storage.models import (
    MatchGroup,
    OutboxMessage,
    Person,
    ProfileEmbedding,
    ReviewDecision,
    SlackGroupChannel,
    SlackInstallation,
    SlackMember,
)
from storage.types import utcnow
from tests.browser_support import Server, free_port
from tests.fake_slack import TEAM, Call, FakeSlack
from tests.slack_support import (
    SECRET,
    block_actions_body,
    command_body,
    dm_event,
    elements,
    event_body,
    home_action_body,
    home_event,
    signed_headers,
    view_submission_body,
)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
COORDINATOR = "UCOORD"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


def slack_settings(tmp_path: Path, fake: FakeSlack, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "scheduler": False,
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url.rstrip("/"),  # without the slash works too
        "coordinators": f"slack:{COORDINATOR}",
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class SlackDriver:
    """Talks to the app as Slack would, and reads what the bot sent to the fake Web API."""

    def __init__(self, client: TestClient, fake: FakeSlack) -> None:
        self.client = client
        self.fake = fake

    @property
    def maatjes(self) -> Maatjes:
        found: Maatjes = self.client.app.state.maatjes  # type: ignore[attr-defined]
        return found

    def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None, **sign: Any
    ) -> httpx.Response:
        signed = signed_headers(body, content_type=content_type, **sign)
        return self.client.post(
            "/slack/events", content=body, headers={**signed, **(headers or {})}
        )

    def say(self, user: str, text: str) -> list[Call]:
        before = len(self.posts(user))
        response = self.post(event_body(dm_event(user, text)), JSON)
        assert response.status_code == 200, response.text
        return self.wait_posts(user, before + 1)

    def posts(self, user: str) -> list[Call]:
        return self.fake.of_channel(f"D{user}")

    def wait_posts(self, user: str, count: int, *, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while len(found := self.posts(user)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} posts to {user}, got {len(found)}")
            time.sleep(0.02)
        return found

    def last(self, user: str) -> Call:
        return self.posts(user)[-1]

    def press(self, user: str, value: str, *, post: Call | None = None) -> httpx.Response:
        """Press the button with this value (or pick it from a drop-down) in a bot message."""
        post = post or self.last(user)
        for block, element in elements(post.args["blocks"]):
            if element.get("value") == value:
                body = block_actions_body(user, post.args, block, element, ts=ts_of(post))
                break
            options = [o for o in element.get("options", []) if o["value"] == value]
            if element["type"] == "static_select" and options:
                body = block_actions_body(
                    user, post.args, block, element, ts=ts_of(post), option=options[0]
                )
                break
        else:
            raise AssertionError(f"no element with value {value!r} in {post.args['blocks']}")
        response = self.post(body, FORM)
        assert response.status_code == 200, response.text
        return response

    def press_and_wait(self, user: str, value: str) -> list[Call]:
        before = len(self.posts(user))
        self.press(user, value)
        return self.wait_posts(user, before + 1)

    def tick(self, user: str, *values: str) -> list[Call]:
        """Tick checkboxes and press the send button under them."""
        post = self.last(user)
        pairs = elements(post.args["blocks"])
        boxes = next((b, e) for b, e in pairs if e["type"] == "checkboxes")
        submit = next((b, e) for b, e in pairs if e.get("value") == boxes[0]["block_id"])
        chosen = [o for o in boxes[1]["options"] if o["value"] in values]
        state = {
            boxes[0]["block_id"]: {
                boxes[1]["action_id"]: {"type": "checkboxes", "selected_options": chosen}
            }
        }
        before = len(self.posts(user))
        body = block_actions_body(
            user, post.args, submit[0], submit[1], ts=ts_of(post), state=state
        )
        assert self.post(body, FORM).status_code == 200
        return self.wait_posts(user, before + 1)

    def submit_modal(self, user: str, answer: str) -> httpx.Response:
        opened = self.fake.of("views.open")[-1]
        return self.post(view_submission_body(user, opened.args["view"], answer), FORM)


def ts_of(post: Call) -> str:
    return str(post.result["ts"])


def texts(call: Call) -> str:
    blocks = call.args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    found = []
    for block in blocks:
        if block["type"] == "section":
            found.append(block["text"]["text"])
        elif block["type"] == "context":
            found += [e["text"] for e in block["elements"]]
        elif block["type"] == "header":
            found.append(block["text"]["text"])
    return "\n".join(found)


@pytest.fixture
def driver(tmp_path: Path, fake: FakeSlack) -> Iterator[SlackDriver]:
    with TestClient(create_app(slack_settings(tmp_path, fake)), base_url="http://127.0.0.1") as c:
        yield SlackDriver(c, fake)


@pytest.fixture
def db_driver(tmp_path: Path, fake: FakeSlack, database_url: str) -> Iterator[SlackDriver]:
    """The driver on SQLite and on PostgreSQL."""
    settings = slack_settings(tmp_path, fake, database_url=database_url)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        yield SlackDriver(c, fake)


# --- Slack's handshake and request verification ---------------------------------------------------


def test_url_verification_answers_the_challenge(driver: SlackDriver) -> None:
    body = json.dumps(
        {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = driver.post(body, JSON)
    assert response.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.text


def test_a_bad_signature_gets_401_and_nothing_is_processed(driver: SlackDriver) -> None:
    body = event_body(dm_event("UBAD", "hallo"))
    response = driver.post(body, JSON, secret="not-the-signing-secret")
    assert response.status_code == 401
    tampered = driver.client.post(
        "/slack/events",
        content=body.replace("hallo", "hallo!"),
        headers=signed_headers(body, content_type=JSON),
    )
    assert tampered.status_code == 401
    with Session(driver.maatjes.engine) as session:
        assert session.exec(select(Person)).all() == []
    assert driver.fake.of("chat.postMessage") == []


def test_a_stale_timestamp_gets_401(driver: SlackDriver) -> None:
    body = event_body(dm_event("USTALE", "hallo"))
    response = driver.post(body, JSON, timestamp=int(time.time()) - 10 * 60)
    assert response.status_code == 401
    command = driver.post(command_body("USTALE", "help"), FORM, timestamp=int(time.time()) - 600)
    assert command.status_code == 401
    with Session(driver.maatjes.engine) as session:
        assert session.exec(select(Person)).all() == []


def test_a_retried_event_is_processed_once(driver: SlackDriver) -> None:
    body = event_body(dm_event("URETRY", "hallo"), event_id="Ev0RETRY01")
    assert driver.post(body, JSON).status_code == 200
    driver.wait_posts("URETRY", 1)
    again = driver.post(
        body, JSON, headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    )
    assert again.status_code == 200
    # a later, different message is answered: so the retry really was dropped, not just slow
    driver.say("URETRY", "ja")
    greetings = [c for c in driver.posts("URETRY") if "Maatjes" in texts(c) and "Hoi" in texts(c)]
    assert len(greetings) == 1


def test_slack_gets_its_answer_before_the_slow_work_is_done(driver: SlackDriver) -> None:
    """Events, commands and buttons are acknowledged first; the work (here held up inside a
    Slack call it makes) finishes afterwards and its reply is posted when ready."""
    gate = driver.fake.hold("users.info")
    try:
        event = driver.post(event_body(dm_event("USLOW", "hallo")), JSON)
        command = driver.post(command_body("USLOW2", "help"), FORM)
        assert event.status_code == 200 and command.status_code == 200
        assert driver.fake.of("chat.postMessage") == [], "nothing was done before the ack"
    finally:
        gate.set()
    driver.wait_posts("USLOW", 1)
    driver.wait_posts("USLOW2", 1)


# --- the intake in a DM ---------------------------------------------------------------------------


def test_a_dm_runs_the_whole_intake_with_buttons_and_a_modal(driver: SlackDriver) -> None:
    user = "UANNA"
    driver.fake.locales[user] = "nl-NL"
    first = driver.say(user, "hallo")[-1]
    assert "Hoi! Ik ben Maatjes" in texts(first), "the Slack locale (nl-NL) picks Dutch"
    assert driver.fake.of("users.info")[0].args["include_locale"] in (True, "true", "1")

    driver.press_and_wait(user, "yes")
    driver.say(user, "Anna de Vries")
    driver.say(user, "Gemeente Zwolle")
    driver.press_and_wait(user, "gemeente")
    driver.press_and_wait(user, "regionaal")
    driver.press_and_wait(user, "overijssel")  # 13 regions: a drop-down
    driver.tick(user, "bouw", "kunststoffen")
    driver.press_and_wait(user, "experimenteren")

    # works_on: written in a modal opened from the question
    question = driver.last(user)
    long_button = [
        e
        for _, e in elements(question.args["blocks"])
        if e["action_id"].startswith("maatjes.long.")
    ]
    assert long_button, "a long answer can be written in a modal"
    before = len(driver.posts(user))
    driver.press(user, long_button[0]["value"])
    opened = driver.fake.wait_for("views.open")[-1]
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    assert view["callback_id"] == "maatjes.long"
    assert (
        "Waar werk je aan" in json.dumps(view, ensure_ascii=False)
        or view["blocks"][0]["type"] == "section"
    )
    too_short = driver.submit_modal(user, "ok")
    assert too_short.status_code == 200
    assert too_short.json()["response_action"] == "errors", "a refused answer keeps the modal open"
    answer = "Een circulair viaduct: hergebruik van liggers uit oude bruggen in een aanbesteding."
    done = driver.submit_modal(user, answer)
    assert done.status_code == 200 and not done.content.strip()
    driver.wait_posts(user, before + 1)

    driver.say(user, "Iemand bij het rijk met ervaring in circulair inkopen van infrastructuur.")
    driver.say(user, "Marktconsultaties en een netwerk van aannemers in Overijssel.")
    driver.press_and_wait(user, "skip")
    driver.press_and_wait(user, "maandelijks")
    summary = driver.press_and_wait(user, "nl")[-1]
    assert "Anna de Vries" in texts(summary) and "Gemeente Zwolle" in texts(summary)
    driver.press_and_wait(user, "confirm")

    with Session(driver.maatjes.engine) as session:
        anna = people.get_person(session, platform="slack", platform_user_id=user)
        assert anna is not None and anna.profile_completed_at is not None
        assert anna.name == "Anna de Vries" and anna.region == "overijssel"
        assert anna.themes == ["kunststoffen", "bouw"] and anna.works_on == answer
        assert anna.language == "nl"
    with Session(driver.maatjes.engine) as session:
        embedded = session.exec(select(ProfileEmbedding)).all()
        assert {e.person_id for e in embedded} == {anna.id}, "embedded after the ack"
        assert {e.field for e in embedded} == {"works_on", "seeks", "offers"}
    # pressed buttons are replaced by what was chosen, so an old question is not answered twice
    assert driver.fake.of("chat.update"), "the answered message was updated"


def test_the_first_visit_to_the_messages_tab_is_greeted_once(driver: SlackDriver) -> None:
    user = "UVISIT"
    opened = {**home_event(user), "tab": "messages"}
    assert driver.post(event_body(opened), JSON).status_code == 200
    greeting = driver.wait_posts(user, 1)[-1]
    assert "Hoi! Ik ben Maatjes" in texts(greeting)
    assert {e.get("value") for _, e in elements(greeting.args["blocks"])} >= {"yes", "no"}
    driver.post(event_body({**opened, "event_ts": "1700000001.000200"}), JSON)
    driver.say(user, "ja")  # the next post is the answer, not a second greeting
    assert sum("Hoi! Ik ben Maatjes" in texts(c) for c in driver.posts(user)) == 1


def test_the_slack_locale_chooses_english(driver: SlackDriver) -> None:
    driver.fake.locales["UJOHN"] = "en-GB"
    first = driver.say("UJOHN", "hello")[-1]
    assert "Hi! I'm Maatjes" in texts(first)


def test_text_is_escaped_so_nobody_pings_a_channel(driver: SlackDriver) -> None:
    user = "UESC"
    driver.say(user, "hallo")
    driver.press_and_wait(user, "yes")
    reply = driver.say(user, "<!channel> & co")[-1]
    assert "<!channel>" not in json.dumps(reply.args["blocks"])
    with Session(driver.maatjes.engine) as session:
        assert (
            people.draft_answers(session, person_id=_person_id(driver, user))["name"]
            == "<!channel> & co"
        )


# --- /maatjes -------------------------------------------------------------------------------------


def test_the_maatjes_command(driver: SlackDriver) -> None:
    user = "UCMD"
    response = driver.post(command_body(user, "help"), FORM)
    assert response.status_code == 200 and not response.content.strip()
    help_text = texts(driver.wait_posts(user, 1)[-1])
    assert "privacy" in help_text.lower()

    driver.post(command_body(user, "privacy"), FORM)
    assert "privacy" in texts(driver.wait_posts(user, 2)[-1]).lower()

    driver.post(command_body(user, "taal"), FORM)
    language = driver.wait_posts(user, 3)[-1]
    assert {e.get("value") for _, e in elements(language.args["blocks"])} >= {"nl", "en"}
    english = driver.press_and_wait(user, "en")[-1]
    assert "English" in texts(english) or "language" in texts(english).lower()

    driver.post(command_body(user, "profiel"), FORM)
    from bot.core.i18n import translator

    assert translator("en")("error.needs_consent") in texts(driver.wait_posts(user, 5)[-1])

    # in a channel the command answers in the DM and says so, privately
    elsewhere = driver.post(command_body(user, "pauze", channel="C0GENERAL"), FORM)
    assert elsewhere.status_code == 200 and "private chat" in elsewhere.text
    assert driver.wait_posts(user, 6)
    assert not [c for c in driver.fake.of("chat.postMessage") if c.args["channel"] == "C0GENERAL"]


# --- App Home -------------------------------------------------------------------------------------


def test_app_home_shows_the_profile_and_a_pause_toggle(driver: SlackDriver) -> None:
    user = "UHOME"
    assert driver.post(event_body(home_event(user)), JSON).status_code == 200
    empty = driver.fake.wait_for("views.publish")[-1]
    assert "nog geen profiel" in json.dumps(empty.args["view"], ensure_ascii=False)

    _complete_profile(driver, user, name="Henk Home")
    driver.post(event_body(home_event(user)), JSON)
    home = driver.fake.wait_for("views.publish", 2)[-1]
    view = (
        json.loads(home.args["view"]) if isinstance(home.args["view"], str) else home.args["view"]
    )
    shown = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home" and "Henk Home" in shown and "Nog geen maatje" in shown
    assert '"ronde"' not in shown, "only coordinators see the review button"
    pause = next(e for _, e in elements(view["blocks"]) if e["value"] == "pauze")
    before = len(driver.posts(user))
    assert driver.post(home_action_body(user, pause), FORM).status_code == 200
    menu = driver.wait_posts(user, before + 1)[-1]
    driver.fake.wait_for("views.publish", 3)
    assert {e.get("value") for _, e in elements(menu.args["blocks"])} >= {"2w", "open"}
    driver.press_and_wait(user, "open")
    with Session(driver.maatjes.engine) as session:
        henk = people.get_person(session, platform="slack", platform_user_id=user)
        assert henk is not None and henk.paused_from is not None
    driver.post(event_body(home_event(user)), JSON)
    again = driver.fake.wait_for("views.publish", 4)[-1]
    assert '"hervat"' in json.dumps(again.args["view"]), "the toggle now resumes"

    # once introduced: the maatje, and when the next reflection question comes
    from datetime import UTC, datetime

    from storage import checkins

    henk = _person_id(driver, user)
    partner = _seed_person(driver, "UPARTNER", "Petra Partner", "regionaal")
    round_id = _seed_round(driver, [[henk, partner]])
    driver.maatjes.rounds.approve(
        round_id, position=1, actor=f"slack:{COORDINATOR}", origin="slack"
    )
    with session_scope(driver.maatjes.engine) as session:
        checkins.schedule(
            session,
            group_id=_group_ids(driver, round_id)[0],
            sequence=1,
            prompt_code="lib:beweging",
            due_at=datetime(2031, 3, 4, 9, 0, tzinfo=UTC),
        )
    driver.post(event_body(home_event(user)), JSON)
    introduced = json.dumps(driver.fake.wait_for("views.publish", 5)[-1].args["view"])
    assert "Petra Partner" in introduced and "04-03-2031" in introduced


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


# --- delivery: rate limits and failures -----------------------------------------------------------


def test_a_rate_limit_is_retried_and_delivered(driver: SlackDriver) -> None:
    pid = _seed_person(driver, "URATE", "Rita", "rijk")
    _enqueue_text(driver, pid, "een bericht", key="rate-1")
    driver.fake.fail("chat.postMessage", 429, retry_after=0)
    report = driver.maatjes.delivery.deliver_due()
    assert report.delivered == 1 and report.failed == 0
    assert len(driver.fake.of("chat.postMessage")) == 2, "the 429 was retried by slack_sdk"

    # a long Retry-After goes back to the outbox, which sends it when Slack said
    _enqueue_text(driver, pid, "nog een bericht", key="rate-2")
    driver.fake.fail("chat.postMessage", 429, retry_after=120)
    report = driver.maatjes.delivery.deliver_due()
    assert report.retried == 1 and report.delivered == 0
    with Session(driver.maatjes.engine) as session:
        waiting = session.exec(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == "rate-2")
        ).one()
        assert waiting.status == outbox.PENDING
        assert waiting.not_before >= utcnow() + timedelta(seconds=100)
    later = driver.maatjes.delivery.deliver_due(now=utcnow() + timedelta(seconds=121))
    assert later.delivered == 1
    assert "nog een bericht" in driver.fake.posted_texts("DURATE")


def _postponed_replies(driver: SlackDriver, count: int) -> list[OutboxMessage]:
    deadline = time.monotonic() + 10
    while True:
        with Session(driver.maatjes.engine) as session:
            found = list(
                session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all()
            )
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_a_reply_slack_will_not_take_now_comes_later_through_the_outbox(
    driver: SlackDriver,
) -> None:
    user = "ULATER"
    driver.say(user, "hallo")
    driver.press_and_wait(user, "yes")  # consent: the next question asks the name
    before = len(driver.posts(user))

    # a long rate limit on the reply: the answer is kept and the reply waits in the outbox
    driver.fake.fail("chat.postMessage", 429, retry_after=120)
    response = driver.post(event_body(dm_event(user, "Lotte Later")), JSON)
    assert response.status_code == 200
    (waiting,) = _postponed_replies(driver, 1)
    assert waiting.status == outbox.PENDING
    assert waiting.not_before >= utcnow() + timedelta(seconds=100), "as long as Slack said"
    assert len(driver.posts(user)) == before, "nothing reached the person yet"
    with Session(driver.maatjes.engine) as session:
        person = people.get_person(session, platform="slack", platform_user_id=user)
        assert person is not None and waiting.recipient_id == person.id
        assert people.draft_answers(session, person_id=person.id)["name"] == "Lotte Later"

    # Slack would take the next reply, but it queues behind the waiting one: read in order
    assert driver.post(event_body(dm_event(user, "Gemeente Later")), JSON).status_code == 200
    first, second = sorted(_postponed_replies(driver, 2), key=lambda m: m.id or 0)
    assert second.not_before == first.not_before
    assert len(driver.posts(user)) == before

    assert driver.maatjes.delivery.deliver_due().delivered == 0, "not before Slack said"
    later = driver.maatjes.delivery.deliver_due(now=utcnow() + timedelta(seconds=121))
    assert later.delivered == 2 and later.by_kind == {"reply": 2}
    name_reply, organisation_reply = driver.wait_posts(user, before + 2)[-2:]
    assert "Lotte Later" in texts(name_reply), "the postponed reply is the turn's own answer"
    assert "Lotte Later" not in texts(organisation_reply)

    # nothing waits any more: the next reply goes straight to Slack
    driver.say(user, "overig")
    assert len(_postponed_replies(driver, 0)) == 2

    # a passing outage (Slack answers 500) queues the reply too, due after a backoff step
    driver.fake.fail("chat.postMessage", 500, error="internal_error")
    assert driver.post(event_body(dm_event(user, "Nog een antwoord")), JSON).status_code == 200
    outage = sorted(_postponed_replies(driver, 3), key=lambda m: m.id or 0)[-1]
    assert outage.not_before >= utcnow() + timedelta(seconds=20)


def test_a_permanent_slack_error_reaches_the_failed_state(driver: SlackDriver) -> None:
    pid = _seed_person(driver, "UGONE", "Gone", "rijk")
    _enqueue_text(driver, pid, "hallo", key="gone-1")
    driver.fake.fail("chat.postMessage", error="account_inactive")
    report = driver.maatjes.delivery.deliver_due()
    assert report.failed == 1
    with Session(driver.maatjes.engine) as session:
        message = session.exec(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == "gone-1")
        ).one()
        assert message.status == outbox.FAILED and message.last_error == "account_inactive"


# --- dedup across instances, on both databases ----------------------------------------------------


def test_two_instances_process_a_retried_event_once(
    tmp_path: Path, fake: FakeSlack, database_url: str
) -> None:
    settings = slack_settings(tmp_path, fake, database_url=database_url)
    body = event_body(dm_event("UTWO", "hallo"), event_id="Ev0TWOINST1")
    with (
        TestClient(create_app(settings), base_url="http://127.0.0.1") as one,
        TestClient(create_app(settings), base_url="http://127.0.0.1") as two,
    ):
        first = one.post(
            "/slack/events", content=body, headers=signed_headers(body, content_type=JSON)
        )
        retry = two.post(
            "/slack/events",
            content=body,
            headers={**signed_headers(body, content_type=JSON), "x-slack-retry-num": "1"},
        )
        assert first.status_code == retry.status_code == 200
        fake.wait_for("chat.postMessage")
        # the next turn is answered, so anything from the retry would have arrived by now
        second = event_body(dm_event("UTWO", "nee"))
        two.post("/slack/events", content=second, headers=signed_headers(second, content_type=JSON))
        fake.wait_for("chat.postMessage", 2)
        assert len(fake.of("chat.postMessage")) == 2


# --- multi-workspace OAuth ------------------------------------------------------------------------


def test_oauth_installs_into_our_database_and_uses_that_workspace_token(
    tmp_path: Path, fake: FakeSlack
) -> None:
    settings = slack_settings(
        tmp_path,
        fake,
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_state_secret="a-state-secret-of-at-least-32-bytes",
    )
    with TestClient(create_app(settings), base_url="https://127.0.0.1") as client:
        page = client.get("/slack/install")
        assert page.status_code == 200
        state = re.search(r"state=([^&\"]+)", page.text)
        assert state is not None and "client_id=111.222" in page.text
        assert f"http://127.0.0.1:{fake.port}/oauth/v2/authorize?" in page.text
        done = client.get(f"/slack/oauth_redirect?code=good-code&state={state.group(1)}")
        assert done.status_code == 200, done.text
        assert fake.of("oauth.v2.access")[0].args["code"] == "good-code"
        maatjes: Maatjes = client.app.state.maatjes  # type: ignore[attr-defined]
        with Session(maatjes.engine) as session:
            installed = session.exec(select(SlackInstallation)).one()
            assert installed.team_id == "T0OTHER"
        # a state is good for one installation only
        replay = client.get(f"/slack/oauth_redirect?code=again&state={state.group(1)}")
        assert replay.status_code == 400 and len(fake.of("oauth.v2.access")) == 1

        body = event_body(dm_event("UOTHER", "hallo")).replace(TEAM, "T0OTHER")
        response = client.post(
            "/slack/events", content=body, headers=signed_headers(body, content_type=JSON)
        )
        assert response.status_code == 200
        posted = fake.wait_for("chat.postMessage")[-1]
        assert posted.token == "xoxb-other-workspace"
        # and the outbox reaches that member with the same workspace's token
        pid = _person_id_in(maatjes, "UOTHER")
        with session_scope(maatjes.engine) as session:
            outbox.enqueue(
                session,
                dedupe_key="oauth-1",
                recipient_id=pid,
                kind="notice",
                payload={"messages": [{"kind": "text", "text": "hoi", "tone": "normal"}]},
            )
        assert maatjes.delivery.deliver_due().delivered == 1
        assert fake.of("chat.postMessage")[-1].token == "xoxb-other-workspace"

        # uninstalling the app removes the workspace's installation (and its token)
        gone = event_body({"type": "app_uninstalled", "event_ts": "1700000000.000100"})
        gone = gone.replace(TEAM, "T0OTHER")
        response = client.post(
            "/slack/events", content=gone, headers=signed_headers(gone, content_type=JSON)
        )
        assert response.status_code == 200
        deadline = time.monotonic() + 10
        while True:
            with Session(maatjes.engine) as session:
                if not session.exec(select(SlackInstallation)).all():
                    break
            assert time.monotonic() < deadline, "the installation was not removed"
            time.sleep(0.02)


# --- Socket Mode ----------------------------------------------------------------------------------


def test_socket_mode_receives_events_and_acknowledges_them(tmp_path: Path, fake: FakeSlack) -> None:
    from bot.platforms.slack import setup as slack_setup
    from bot.platforms.slack.adapter import SlackAdapter

    app = create_app(slack_settings(tmp_path, fake))
    adapter = app.state.maatjes.adapter(SlackAdapter)
    handler = slack_setup.socket_mode(adapter, "xapp-1-test")
    try:
        deadline = time.monotonic() + 10
        while fake.socket_connections == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake.socket_connections == 1
        assert fake.of("apps.connections.open")[0].token == "xapp-1-test"
        fake.push(
            {
                "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
                "payload": json.loads(event_body(dm_event("USOCK", "hallo"))),
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        posted = fake.wait_for("chat.postMessage")[-1]
        assert posted.args["channel"] == "DUSOCK" and "Maatjes" in texts(posted)
        assert any(
            a.get("envelope_id") == "57d6a792-4d35-4d0b-b6aa-3361493e1caf" for a in fake.acks
        )
    finally:
        handler.close()


# --- the real server process ----------------------------------------------------------------------


def test_the_real_maatjes_run_process_serves_slack_over_http(
    tmp_path: Path, fake: FakeSlack
) -> None:
    server = Server(
        tmp_path / "server",
        {
            "SLACK_BOT_TOKEN": "xoxb-process-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
        },
    )
    server.start()
    try:
        challenge = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"})
        answer = httpx.post(
            f"{server.url}/slack/events",
            content=challenge,
            headers=signed_headers(challenge, content_type=JSON),
        )
        assert answer.status_code == 200 and "c-123" in answer.text
        body = event_body(dm_event("UPROC", "hallo"))
        bad = httpx.post(
            f"{server.url}/slack/events",
            content=body,
            headers=signed_headers(body, content_type=JSON, secret="wrong"),
        )
        assert bad.status_code == 401
        good = httpx.post(
            f"{server.url}/slack/events",
            content=body,
            headers=signed_headers(body, content_type=JSON),
        )
        assert good.status_code == 200
        posted = fake.wait_for("chat.postMessage")[-1]
        assert posted.token == "xoxb-process-token" and posted.args["channel"] == "DUPROC"
        command = command_body("UPROC", "help")
        ack = httpx.post(
            f"{server.url}/slack/events",
            content=command,
            headers=signed_headers(command, content_type=FORM),
        )
        assert ack.status_code == 200
        fake.wait_for("chat.postMessage", 2)
    finally:
        server.stop()
    assert free_port()


# --- helpers --------------------------------------------------------------------------------------


def _person_id(driver: SlackDriver, user: str) -> int:
    return _person_id_in(driver.maatjes, user)


def _person_id_in(maatjes: Maatjes, user: str) -> int:
    with Session(maatjes.engine) as session:
        person = people.get_person(session, platform="slack", platform_user_id=user)
        assert person is not None and person.id is not None
        return person.id


def _seed_person(driver: SlackDriver, user: str, name: str, group: str) -> int:
    """A Slack member with consent and a confirmed profile (as after an intake in Slack)."""
    from storage import slack as slack_store

    with session_scope(driver.maatjes.engine) as session:
        person = people.get_or_create_person(
            session, platform="slack", platform_user_id=user, language="nl"
        )
        assert person.id is not None
        consents.record_consent(
            session, person_id=person.id, purpose="matching", policy_version="t", given=True
        )
        for field, value in (
            ("name", name),
            ("organisation", f"Organisatie van {name}"),
            ("group", group),
            ("region", "utrecht"),
            ("themes", ["bouw"]),
            ("phase", "experimenteren"),
            ("works_on", f"{name} werkt aan circulaire bouw en hergebruik van materialen."),
            ("seeks", "Iemand die ervaring heeft met circulair inkopen."),
            ("offers", "Kennis van marktconsultaties en aanbestedingen."),
        ):
            people.save_draft_answer(session, person_id=person.id, field=field, value=value)
        people.commit_profile(session, person=person)
        slack_store.remember_member(session, user_id=user, team_id=TEAM, enterprise_id=None)
        return person.id


def _complete_profile(driver: SlackDriver, user: str, *, name: str) -> None:
    _seed_person(driver, user, name, "rijk")


def _seed_round(driver: SlackDriver, groups: list[list[int]]) -> int:
    with session_scope(driver.maatjes.engine) as session:
        made = rounds.create_round(
            session,
            kind="clubs",
            origin="cli",
            proposed_by="cli:operator",
            embedder="test",
            weights={},
            groups=[rounds.NewGroup(g, 0.7, {"themes": ["bouw"], "mix": True}) for g in groups],
        )
        assert made.id is not None
        return made.id


def _group_ids(driver: SlackDriver, round_id: int) -> list[int]:
    with Session(driver.maatjes.engine) as session:
        return [g.id for g in rounds.groups_of(session, round_id=round_id) if g.id is not None]


def _enqueue_text(driver: SlackDriver, person_id: int, text: str, *, key: str) -> None:
    with session_scope(driver.maatjes.engine) as session:
        outbox.enqueue(
            session,
            dedupe_key=key,
            recipient_id=person_id,
            kind="notice",
            payload={"messages": [{"kind": "text", "text": text, "tone": "normal"}]},
        )


# --- the manifest ---------------------------------------------------------------------------------


def test_the_manifest_matches_what_the_app_needs() -> None:
    import yaml

    from bot.platforms.slack import adapter as slack

    manifest = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "slack" / "manifest.yml").read_text("utf-8")
    )
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(slack.SCOPES)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/maatjes"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert {"app_home_opened", "message.im"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    urls = {
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["features"]["slash_commands"][0]["url"],
    }
    assert {u.rsplit("/", 2)[-2:] == ["slack", "events"] for u in urls} == {True}
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(slack.REDIRECT_PATH)


def test_maatjes_run_socket_mode_connects_out_and_answers(tmp_path: Path, fake: FakeSlack) -> None:
    import subprocess
    import sys

    data = tmp_path / "socket"
    data.mkdir()
    env = {
        **Server(data).env,
        "SLACK_BOT_TOKEN": "xoxb-socket-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": "xapp-1-socket",
        "SLACK_API_URL": fake.api_url,
    }
    with (data / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "run", "--socket-mode"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 30
        while fake.socket_connections == 0:
            assert process.poll() is None, (data / "server.log").read_text()
            assert time.monotonic() < deadline, "no Socket Mode connection"
            time.sleep(0.05)
        fake.push(
            {
                "envelope_id": "b0a0c0d0-socket-cli",
                "payload": json.loads(event_body(dm_event("USOCKCLI", "hallo"))),
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        posted = fake.wait_for("chat.postMessage", timeout=20)[-1]
        assert posted.token == "xoxb-socket-token" and posted.args["channel"] == "DUSOCKCLI"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_socket_mode_without_an_app_token_says_what_is_missing(tmp_path: Path) -> None:
    result = Server(tmp_path / "none").cli("run", "--socket-mode")
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_oauth_states_are_signed_expire_and_work_once(engine: Any) -> None:
    from bot.platforms.slack.store import SignedStateStore

    store = SignedStateStore(engine, "state-secret")
    state = store.issue()
    other_instance = SignedStateStore(engine, "state-secret")
    assert other_instance.consume(state) is True
    assert store.consume(state) is False, "a state is used once, across instances"
    issued = store.issue()
    forged = issued[:-1] + ("1" if issued.endswith("0") else "0")
    assert store.consume(forged) is False
    assert SignedStateStore(engine, "another-secret").consume(store.issue()) is False
    expired = SignedStateStore(engine, "state-secret", expiration_seconds=-1).issue()
    assert store.consume(expired) is False
    assert store.consume("not-a-state") is False


def test_a_button_on_a_long_message_is_not_refused_as_too_large(driver: SlackDriver) -> None:
    user = "ULONG"
    driver.say(user, "hallo")
    post = driver.last(user)
    block, element = next(
        (b, e) for b, e in elements(post.args["blocks"]) if e.get("value") == "yes"
    )
    padded = dict(post.args)
    padded["blocks"] = [
        *post.args["blocks"],
        *[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}] * 40,
    ]
    body = block_actions_body(user, padded, block, element, ts=ts_of(post))
    assert len(body) > 100_000
    assert driver.post(body, FORM).status_code == 200
    driver.wait_posts(user, 2)


def test_installation_tokens_are_sealed_in_the_database(
    engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from slack_sdk.oauth.installation_store import Installation

    from bot.platforms.slack.store import DatabaseInstallationStore, TokenSeal
    from storage import slack as slack_store
    from storage.models import SlackInstallation

    store = DatabaseInstallationStore(engine, TokenSeal("de sleutel van deze server"))
    store.save(
        Installation(
            team_id="T1",
            user_id="U1",
            bot_token="xoxb-secret-bot",
            bot_refresh_token="xoxe-secret-refresh",
            user_token="xoxp-secret-user",
            bot_id="B1",
            bot_user_id="UB1",
        )
    )
    with Session(engine) as session:
        (row,) = session.exec(select(SlackInstallation)).all()
    raw = json.dumps(row.data)
    assert "xoxb-secret-bot" not in raw and "xoxp-secret-user" not in raw
    assert "xoxe-secret-refresh" not in raw and row.data["bot_token"].startswith("sealed:v1:")
    assert row.data["team_id"] == "T1", "only the credentials are sealed"
    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-secret-bot"
    assert (
        found.user_token == "xoxp-secret-user" and found.bot_refresh_token == "xoxe-secret-refresh"
    )

    # another server key opens nothing: the workspace counts as not installed, and says why
    other = DatabaseInstallationStore(engine, TokenSeal("een andere sleutel"))
    with caplog.at_level("ERROR"):
        assert other.find_bot(enterprise_id=None, team_id="T1") is None
    assert "another secret key" in caplog.text and "xoxb" not in caplog.text

    # a record from before sealing is still read, as it is
    with session_scope(engine) as session:
        slack_store.save_installation(
            session,
            enterprise_id=None,
            team_id="T2",
            is_enterprise_install=False,
            user_id="U2",
            data={"team_id": "T2", "user_id": "U2", "bot_token": "xoxb-old-plain", "bot_id": "B2"},
        )
    old = store.find_bot(enterprise_id=None, team_id="T2")
    assert old is not None and old.bot_token == "xoxb-old-plain"


def test_the_installation_store_keeps_workspaces_and_organisations_apart(engine: Any) -> None:
    from slack_sdk.oauth.installation_store import Installation

    from bot.platforms.slack.store import DatabaseInstallationStore, TokenSeal

    store = DatabaseInstallationStore(engine, TokenSeal("een geheime sleutel"))
    store.save(
        Installation(
            team_id="T1", user_id="U1", bot_token="xoxb-t1", bot_id="B1", bot_user_id="UB1"
        )
    )
    store.save(
        Installation(
            team_id="T1", user_id="U2", bot_token="xoxb-t1-new", bot_id="B1", bot_user_id="UB1"
        )
    )
    store.save(
        Installation(
            enterprise_id="E1",
            team_id="T9",
            user_id="U3",
            bot_token="xoxb-org",
            bot_id="B2",
            bot_user_id="UB2",
            is_enterprise_install=True,
        )
    )
    bot = store.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-t1-new", "the latest installation wins"
    org = store.find_bot(enterprise_id="E1", team_id="T5")
    assert org is not None and org.bot_token == "xoxb-org", (
        "an org-wide install serves its workspaces"
    )
    assert store.find_bot(enterprise_id=None, team_id="T2") is None
    installed = store.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert installed is not None and installed.installed_at > 0
    store.delete_installation(enterprise_id=None, team_id="T1", user_id="U2")
    kept = store.find_bot(enterprise_id=None, team_id="T1")
    assert kept is not None and kept.bot_token == "xoxb-t1-new", "a user's revocation keeps the bot"
    store.delete_all(enterprise_id=None, team_id="T1")
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    assert store.find_bot(enterprise_id="E1", team_id="T5") is not None


def test_block_kit_rendering_respects_slack_limits() -> None:
    from bot.core.i18n import translator
    from bot.core.messages import Card, CardField, Choice, Question, Text
    from bot.platforms.slack import blocks as kit

    t = translator("nl")
    long_text = "Een heel lang verhaal. " * 400  # ~9,200 characters
    many = tuple(Choice(f"v{i}", f"Keuze {i} " + "x" * 100) for i in range(30))
    messages = [
        Text(long_text),
        Question(text="Kies", step="region", choices=many, free_text=False),
        Card(title="Profiel", fields=tuple(CardField(f"veld {i}", "w" * 500) for i in range(20))),
        *[Text(f"bericht {i}") for i in range(60)],
    ]
    rendered = list(kit.messages_of(messages, t))
    assert len(rendered) >= 2, "more than 50 blocks are split over messages"
    for message in rendered:
        assert len(message.blocks) <= kit.MESSAGE_BLOCKS
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= kit.SECTION_LIMIT
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    assert len(element["text"]["text"]) <= kit.LABEL_LIMIT
                for option in element.get("options", []):
                    assert len(option["text"]["text"]) <= kit.LABEL_LIMIT
    selects = [
        e
        for m in rendered
        for b in m.blocks
        for e in b.get("elements", [])
        if e.get("type") == "static_select"
    ]
    assert len(selects) == 1 and len(selects[0]["options"]) == 30
    joined = "".join(
        b["text"]["text"] for m in rendered for b in m.blocks if b["type"] == "section"
    )
    assert joined.count("Een heel lang verhaal.") == 400, "a long text is split, not cut"


def test_logs_hold_neither_tokens_nor_what_people_wrote(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    user = "ULOGS"
    driver.say(user, "hallo")
    driver.press_and_wait(user, "yes")
    driver.say(user, "Geheime Naam Zeventien")
    pid = _person_id(driver, user)
    _enqueue_text(driver, pid, "Persoonlijk bericht negen", key="logs-1")
    driver.fake.fail("chat.postMessage", error="fatal_error")
    driver.maatjes.delivery.deliver_due()
    driver.maatjes.delivery.deliver_due(now=utcnow() + timedelta(hours=1))
    assert caplog.records, "something was logged"
    for secret in ("Geheime Naam", "Persoonlijk bericht", "xoxb-test-token", SECRET):
        assert secret not in caplog.text


# --- privacy in Slack -----------------------------------------------------------------------------


def test_my_data_and_forget_me_work_in_slack_and_take_the_slack_rows_along(
    driver: SlackDriver,
) -> None:
    user = "UPRIV"
    driver.say(user, "hallo")
    driver.press_and_wait(user, "yes")
    driver.say(user, "Priya Zeldenrust")

    post = driver.say(user, "mijn gegevens")[-1]
    said = texts(post)
    link = re.search(r"https?://[^\s>|]+/privacy/export/[A-Za-z0-9._-]+", said)
    assert link, f"the export comes as a link in the DM: {said}"
    assert post.args["unfurl_links"] in (False, "false", "0") and post.args["unfurl_media"] in (
        False,
        "false",
        "0",
    ), "Slack is asked not to fetch the link for a preview"
    export = driver.client.post(urlsplit(link.group(0)).path)
    assert export.status_code == 200, export.text
    data = export.json()
    assert "Priya Zeldenrust" in json.dumps(data), "the answer given so far is in the export"
    assert [row["user_id"] for row in data["platform_account"]] == [user]
    assert data["platform_account"][0]["dm_channel"] == f"D{user}"

    question = driver.say(user, "vergeet mij")[-1]
    assert {e.get("value") for _, e in elements(question.args["blocks"])} >= {"yes", "no"}
    driver.press_and_wait(user, "yes")
    with Session(driver.maatjes.engine) as session:
        assert people.get_person(session, platform="slack", platform_user_id=user) is None
        assert session.get(SlackMember, user) is None, "the DM channel record goes too"


# --- malformed and replayed requests --------------------------------------------------------------


UNSIGNED_GARBAGE: list[tuple[bytes, dict[str, str]]] = [
    (b"hi", {}),
    (b"hi", {"x-slack-request-timestamp": "abc", "x-slack-signature": "v0=abc"}),
    (b"hi", {"x-slack-request-timestamp": "1e9", "x-slack-signature": "v0=abc"}),
    (b"hi", {"x-slack-request-timestamp": "-1", "x-slack-signature": "v0=abc"}),
    (b"hi", {"x-slack-request-timestamp": "9" * 40, "x-slack-signature": "v0=abc"}),
    (b"\xff\xfe\xfd", {"x-slack-request-timestamp": str(int(time.time()))}),
    (b"\xff\xfe\xfd", {"content-type": JSON}),
    (b"payload=notjson", {"content-type": FORM}),
    (b"payload=%5B1%5D", {"content-type": FORM}),
    (b"[1, 2]", {"content-type": JSON}),
    (b"%%%&&&==", {"content-type": "multipart/form-data; boundary=x"}),
    (b"", {}),
]


def test_malformed_unsigned_requests_get_401_and_nothing_runs(driver: SlackDriver) -> None:
    stamp = str(int(time.time()))
    cases = list(UNSIGNED_GARBAGE)
    # a signature header that is not ASCII, and one that is ASCII but wrong
    cases.append(
        (b"{}", {"x-slack-request-timestamp": stamp, "x-slack-signature": "v0=" + "0" * 64})
    )
    for body, headers in cases:
        response = driver.client.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 401, (body, headers, response.status_code, response.text)
    # a non-ASCII signature sent as raw bytes (httpx refuses to encode it itself)
    raw = driver.client.post(
        "/slack/events",
        content=b"hi",
        headers=[(b"x-slack-request-timestamp", stamp.encode()), (b"x-slack-signature", b"\xe9")],
    )
    assert raw.status_code == 401
    with Session(driver.maatjes.engine) as session:
        assert session.exec(select(Person)).all() == []
    assert driver.fake.of("chat.postMessage") == []


def test_signed_but_malformed_requests_get_400(driver: SlackDriver) -> None:
    no_user = json.dumps(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "trigger_id": "1.2.3",
            "actions": [{"action_id": "maatjes.long.1", "type": "button", "value": "works_on"}],
        }
    )
    no_view_user = json.dumps({"type": "view_submission", "view": {"callback_id": "maatjes.long"}})
    for body, content_type in [
        ("hi", JSON),
        ("[1, 2]", JSON),
        ("null", JSON),
        ('"a string"', JSON),
        ("[" * 5000 + "]" * 5000, JSON),
        ("payload=notjson", FORM),
        ("payload=%5B1%5D", FORM),
        ("payload=" + no_user, FORM),
        ("payload=" + no_view_user, FORM),
        ('{"type": "block_actions", "user": "not an object", "actions": "x"}', JSON),
    ]:
        response = driver.post(body, content_type)
        assert response.status_code == 400, (body[:60], response.status_code, response.text)
    assert driver.fake.of("views.open") == []


def test_a_replayed_slash_command_runs_once(driver: SlackDriver) -> None:
    user = "UREPLAY"
    body = command_body(user, "help")
    headers = signed_headers(body, content_type=FORM)
    first = driver.client.post("/slack/events", content=body, headers=headers)
    assert first.status_code == 200
    driver.wait_posts(user, 1)
    again = driver.client.post("/slack/events", content=body, headers=headers)
    assert again.status_code == 200
    # a later, different command is answered: so the replay really was dropped, not just slow
    driver.post(command_body(user, "privacy"), FORM)
    posts = driver.wait_posts(user, 2)
    time.sleep(0.3)  # give a (wrongly) replayed turn time to post, so a second reply shows
    assert len(driver.posts(user)) == 2, [texts(p)[:40] for p in posts]


def test_a_replayed_button_press_and_modal_submission_run_once(driver: SlackDriver) -> None:
    user = "UREPLAYB"
    driver.say(user, "hallo")
    post = driver.last(user)
    block, element = next((b, e) for b, e in elements(post.args["blocks"]) if e.get("value"))
    body = block_actions_body(user, post.args, block, element, ts=ts_of(post))
    headers = signed_headers(body, content_type=FORM)
    assert driver.client.post("/slack/events", content=body, headers=headers).status_code == 200
    driver.wait_posts(user, 2)
    assert driver.client.post("/slack/events", content=body, headers=headers).status_code == 200
    driver.say(user, "help")  # something later is answered, the replay is not
    time.sleep(0.3)
    assert len(driver.posts(user)) == 3

    view = {
        "callback_id": "maatjes.long",
        "blocks": [],
        "private_metadata": json.dumps({"step": "works_on", "channel": f"D{user}"}),
        "title": {"type": "plain_text", "text": "Maatjes"},
    }
    submission = view_submission_body(user, view, "Circulaire bouw")
    signed = signed_headers(submission, content_type=FORM)
    for _ in range(2):
        response = driver.client.post("/slack/events", content=submission, headers=signed)
        assert response.status_code == 200
    driver.wait_posts(user, 4)
    time.sleep(0.3)
    assert len(driver.posts(user)) == 4


# --- what people wrote reaches Slack as text, never as markup ------------------------------------

HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|Log in> <!subteam^S1> & co"
SLACK_MARKUP = ("<!channel>", "<@U0BOSS>", "<https://evil.example", "<!subteam", "|Log in>")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            yield value
            return
        if isinstance(decoded, dict | list):
            yield from _strings(decoded)
        else:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_profile_text_reaches_slack_escaped_in_every_field(driver: SlackDriver) -> None:
    """A profile holding Slack markup: the summary, App Home, a notification from the outbox and
    the fallback ``text`` of every post carry it escaped (``&``, ``<``, ``>``)."""
    user = "UHOSTILE"
    pid = _seed_person(driver, user, HOSTILE, "rijk")
    driver.post(command_body(user, "profiel"), FORM)
    driver.wait_posts(user, 1)
    driver.post(event_body(home_event(user)), JSON)
    driver.fake.wait_for("views.publish")
    _enqueue_text(driver, pid, f"Nieuws voor {HOSTILE}", key="hostile:1")
    assert driver.maatjes.delivery.deliver_due().delivered == 1
    driver.wait_posts(user, 2)
    calls = [*driver.fake.of("chat.postMessage"), *driver.fake.of("views.publish")]
    fallback = [c.args["text"] for c in driver.fake.of("chat.postMessage")]
    assert any("&lt;!channel&gt;" in text and "&amp; co" in text for text in fallback), fallback
    for call in calls:
        for text in _strings({k: v for k, v in call.args.items() if k != "token"}):
            for markup in SLACK_MARKUP:
                assert markup not in text, (call.method, text[:200])
            assert " & co" not in text, (call.method, text[:200])


def test_a_check_in_answer_for_someone_elses_group_is_refused_in_slack(driver: SlackDriver) -> None:
    """A hand-made check-in modal submission (the check-in is another group's): the DM says
    nothing was saved, never "Dank je!"."""
    from bot.core.i18n import translator
    from storage import checkins

    ids = [
        _seed_person(driver, "UCHKA", "Ada", "rijk"),
        _seed_person(driver, "UCHKB", "Bo", "regionaal"),
    ]
    outsider = "UCHKOUT"
    _seed_person(driver, outsider, "Olaf", "rijk")
    group_id = _group_ids(driver, _seed_round(driver, [ids]))[0]
    with session_scope(driver.maatjes.engine) as session:
        checkins.schedule(session, group_id=group_id, sequence=1, prompt_code="x", due_at=utcnow())
        checkin = checkins.history(session, group_id=group_id)[0]
        assert checkin.id is not None
        checkins.transition(
            session, checkin_id=checkin.id, from_status="scheduled", to_status="sent", at=utcnow()
        )
        checkin_id = checkin.id
    view = {
        "callback_id": "maatjes.checkin",
        "blocks": [],
        "private_metadata": json.dumps(
            {"choice": f"checkin:{checkin_id}:answer", "channel": f"D{outsider}"}
        ),
        "title": {"type": "plain_text", "text": "Check-in"},
    }
    response = driver.post(view_submission_body(outsider, view, "Ingevuld door een ander"), FORM)
    assert response.status_code == 200
    said = texts(driver.wait_posts(outsider, 1)[-1])
    assert translator("nl")("checkin.not_taken").split(",")[0] in said, said
    assert "Dank je" not in said
    with Session(driver.maatjes.engine) as session:
        assert checkins.answers(session, checkin_id=checkin_id) == []
