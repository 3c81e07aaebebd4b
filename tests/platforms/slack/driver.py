"""The Slack tests' driver: settings pointed at the fake Slack Web API, signed requests through
the real app, and the seeding helpers the Slack tests share."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import Maatjes
from bot.settings import Settings
from storage import consents, outbox, people, rounds
from storage.db import session_scope
from tests.fakes.slack import TEAM, Call, FakeSlack
from tests.support.slack import (
    SECRET,
    block_actions_body,
    dm_event,
    elements,
    event_body,
    signed_headers,
    view_submission_body,
)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
COORDINATOR = "UCOORD"


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
