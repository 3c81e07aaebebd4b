"""Signed Slack requests in Slack's real payload formats, for the fake-Slack tests."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack import BOT_USER, TEAM

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
APP_ID = "A0MAATJES"


def signed_headers(
    body: str, *, secret: str = SECRET, timestamp: int | None = None, content_type: str
) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ",
        }
    )


def dm_event(user: str, text: str) -> dict[str, Any]:
    now = f"{time.time():.6f}"
    return {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user,
        "ts": now,
        "team": TEAM,
        "channel": f"D{user}",
        "event_ts": now,
        "channel_type": "im",
    }


def home_event(user: str) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user}",
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }


def command_body(user: str, text: str, *, channel: str | None = None) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "maatjes-test",
            "channel_id": channel or f"D{user}",
            "channel_name": "directmessage" if channel is None else "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/maatjes",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.com/commands/T0MAATJES/1/abc",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        }
    )


def _user(user: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}


def block_actions_body(
    user: str,
    call_args: dict[str, Any],
    block: dict[str, Any],
    element: dict[str, Any],
    *,
    ts: str,
    option: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> str:
    """A button press (or a drop-down choice) on a message the bot posted."""
    action: dict[str, Any] = {
        "action_id": element["action_id"],
        "block_id": block.get("block_id", "b0"),
        "type": element["type"],
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":
        action["text"] = element["text"]
        action["value"] = element["value"]
    elif option is not None:
        action["selected_option"] = option
    channel = call_args["channel"]
    blocks = call_args["blocks"]
    payload = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": "1234567890.123456789012.abcdef0123456789",
        "team": {"id": TEAM, "domain": "maatjes-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": {
            "type": "message",
            "user": BOT_USER,
            "ts": ts,
            "bot_id": "B0MAATJES",
            "text": call_args.get("text", ""),
            "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
        },
        "state": {"values": state or {}},
        "response_url": "https://hooks.slack.com/actions/T0MAATJES/1/xyz",
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)})


def home_action_body(user: str, element: dict[str, Any]) -> str:
    payload = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": "1234567890.123456789012.abcdef0123456789",
        "team": {"id": TEAM, "domain": "maatjes-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {"id": "V0HOME", "type": "home", "team_id": TEAM},
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": "b0",
                "text": element["text"],
                "value": element["value"],
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(user: str, opened: dict[str, Any], answer: str) -> str:
    """Submitting a modal the bot opened (``opened`` is the view sent to views.open)."""
    view = json.loads(opened) if isinstance(opened, str) else opened
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "maatjes-test"},
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": "1234567890.123456789012.abcdef0123456789",
        "view": {
            "id": "V0MODAL",
            "team_id": TEAM,
            "type": "modal",
            "blocks": view["blocks"],
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view["callback_id"],
            "state": {
                "values": {"answer": {"answer": {"type": "plain_text_input", "value": answer}}}
            },
            "hash": "156772938.1827394",
            "title": view["title"],
            "app_id": APP_ID,
            "bot_id": "B0MAATJES",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def elements(blocks: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, element) pairs of every interactive element in a message."""
    found = []
    for block in json.loads(blocks) if isinstance(blocks, str) else blocks:
        if block.get("type") == "actions":
            found += [(block, element) for element in block.get("elements", [])]
    return found
