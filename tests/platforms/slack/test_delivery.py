"""Delivery to Slack: rate limits, postponed replies, permanent failures."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import Session, select

from storage import outbox, people
from storage.models import (
    OutboxMessage,
)
from storage.types import utcnow
from tests.platforms.slack.driver import JSON, SlackDriver, _enqueue_text, _seed_person, texts
from tests.support.slack import (
    dm_event,
    event_body,
)

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
