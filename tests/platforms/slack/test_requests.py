"""Slack's requests: signatures, retries and replays, malformed bodies, acknowledging in time."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import create_app
from storage.models import (
    Person,
)
from tests.fakes.slack import TEAM, FakeSlack
from tests.platforms.slack.driver import FORM, JSON, SlackDriver, slack_settings, texts, ts_of
from tests.support.slack import (
    block_actions_body,
    command_body,
    dm_event,
    elements,
    event_body,
    signed_headers,
    view_submission_body,
)

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
