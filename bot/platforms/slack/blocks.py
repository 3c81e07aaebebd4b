"""Outbound messages as Slack Block Kit: one renderer for DMs, group conversations and App Home.

Every text a person or the catalogue wrote is escaped (``&``, ``<``, ``>``) so nobody can ping a
channel or forge a link through a profile field. Slack's limits (3000 characters a section, 75 a
button label, 50 blocks a message) are respected by splitting or shortening, never by failing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core.actions import CheckInAnswer, ReviewApprove, ReviewApproveAll, ReviewReject, decode
from bot.core.i18n import Translate
from bot.core.messages import Card, Choice, Outbound, Question, Text

SECTION_LIMIT: Final = 3000
LABEL_LIMIT: Final = 75
OPTION_VALUE_LIMIT: Final = 150
MESSAGE_BLOCKS: Final = 50
HOME_BLOCKS: Final = 100
BUTTONS_UP_TO: Final = 10  # more choices than this become a drop-down
CHECKBOXES_UP_TO: Final = 10
LONG_ANSWER_FROM: Final = 200  # questions allowing longer answers offer a modal
MODAL_INPUT_LIMIT: Final = 3000

#: action_id prefixes (each followed by ``.<n>``, unique within a message)
CHOICE: Final = "maatjes.choice"
SELECT: Final = "maatjes.select"
PICK: Final = "maatjes.pick"
SUBMIT_PICKS: Final = "maatjes.picks"
LONG_ANSWER: Final = "maatjes.long"
REASON: Final = "maatjes.reason"
CHECKIN: Final = "maatjes.checkin"
HOME: Final = "maatjes.home"

#: view callback ids
LONG_VIEW: Final = "maatjes.long"
REASON_VIEW: Final = "maatjes.reason"
CHECKIN_VIEW: Final = "maatjes.checkin"
ANSWER_BLOCK: Final = "answer"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack sends typed ``&``, ``<`` and ``>`` escaped; the core wants what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = LABEL_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit) or " ", "emoji": True}


def _sections(mrkdwn: str, block_id: str | None = None) -> list[dict[str, Any]]:
    """One or more section blocks: long texts are split at line ends below Slack's limit."""
    chunks: list[str] = []
    rest = mrkdwn
    while len(rest) > SECTION_LIMIT:
        cut = rest.rfind("\n", 0, SECTION_LIMIT)
        if cut <= SECTION_LIMIT // 2:
            cut = rest.rfind(" ", 0, SECTION_LIMIT)  # else between words
        cut = cut if cut > SECTION_LIMIT // 2 else SECTION_LIMIT
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    chunks.append(rest or " ")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks]
    if block_id is not None:
        blocks[0]["block_id"] = block_id
    return blocks


def _context(mrkdwn: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": shorten(mrkdwn, SECTION_LIMIT)}],
    }


class _Ids:
    """Unique action and block ids within one message or view."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}.{self.n}"


def _button(ids: _Ids, choice: Choice) -> dict[str, Any]:
    value = choice.value
    pressed = decode(value)
    if isinstance(pressed, ReviewReject):
        action = REASON  # the reason is asked in a modal
    elif isinstance(pressed, CheckInAnswer):
        action = CHECKIN  # the answer is written in a modal
    else:
        action = CHOICE
    button: dict[str, Any] = {
        "type": "button",
        "action_id": ids(action),
        "text": _plain(choice.label),
        "value": value,
    }
    if isinstance(pressed, ReviewApprove | ReviewApproveAll) or value in ("confirm", "yes"):
        button["style"] = "primary"
    elif isinstance(pressed, ReviewReject):
        button["style"] = "danger"
    return button


def _option(choice: Choice) -> dict[str, Any]:
    return {"text": _plain(choice.label), "value": choice.value[:OPTION_VALUE_LIMIT]}


def _choice_blocks(
    ids: _Ids, choices: Sequence[Choice], t: Translate, *, multiple: bool = False
) -> list[dict[str, Any]]:
    if not choices:
        return []
    if multiple:
        pick_block = ids("picks")
        element: dict[str, Any]
        if len(choices) <= CHECKBOXES_UP_TO:
            element = {"type": "checkboxes", "options": [_option(c) for c in choices]}
        else:
            element = {
                "type": "multi_static_select",
                "placeholder": _plain(t("slack.choose_several")),
                "options": [_option(c) for c in choices[:100]],
            }
        element["action_id"] = ids(PICK)
        submit = {
            "type": "button",
            "action_id": ids(SUBMIT_PICKS),
            "text": _plain(t("slack.send_choices")),
            "style": "primary",
            "value": pick_block,
        }
        return [
            {"type": "actions", "block_id": pick_block, "elements": [element]},
            {"type": "actions", "elements": [submit]},
        ]
    if len(choices) <= BUTTONS_UP_TO:
        buttons = [_button(ids, c) for c in choices]
        return [
            {"type": "actions", "elements": buttons[i : i + 25]} for i in range(0, len(buttons), 25)
        ]
    return [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "static_select",
                    "action_id": ids(SELECT),
                    "placeholder": _plain(t("slack.choose_one")),
                    "options": [_option(c) for c in choices[:100]],
                }
            ],
        }
    ]


def _question(ids: _Ids, question: Question, t: Translate) -> list[dict[str, Any]]:
    blocks = _sections(escape(question.text), block_id=ids(f"q.{question.step}"))
    described = [c for c in question.choices if c.description]
    if described:
        blocks.append(
            _context(
                "\n".join(f"*{escape(c.label)}*: {escape(c.description or '')}" for c in described)
            )
        )
    if question.hint:
        blocks.append(_context(escape(question.hint)))
    blocks += _choice_blocks(ids, question.choices, t, multiple=question.multiple)
    if question.free_text and (question.max_length or 0) > LONG_ANSWER_FROM:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids(LONG_ANSWER),
                        "text": _plain(t("slack.long_answer")),
                        "value": question.step,
                    }
                ],
            }
        )
    return blocks


def _card(ids: _Ids, card: Card, t: Translate, *, buttons: bool = True) -> list[dict[str, Any]]:
    lines = [f"*{escape(card.title)}*"] if card.title else []
    lines += [f"*{escape(f.label)}*\n{escape(f.value)}" for f in card.fields]
    blocks = _sections("\n\n".join(lines))
    if card.footer:
        blocks.append(_context(escape(card.footer)))
    if buttons:
        blocks += _choice_blocks(ids, card.choices, t)
    return blocks


def _text(text: Text) -> list[dict[str, Any]]:
    body = escape(text.text)
    if text.tone == "error":
        body = f":warning: {body}"
    return _sections(body)


def blocks_of(message: Outbound, t: Translate, ids: _Ids | None = None) -> list[dict[str, Any]]:
    ids = ids or _Ids()
    if isinstance(message, Question):
        return _question(ids, message, t)
    if isinstance(message, Card):
        return _card(ids, message, t)
    return _text(message)


def plain_text_of(message: Outbound) -> str:
    """The notification and screen-reader text of a message (Slack's ``text`` fallback), as
    written: :func:`messages_of` escapes it like every other text."""
    if isinstance(message, Card):
        return message.title
    return message.text


@dataclass(frozen=True)
class SlackMessage:
    blocks: list[dict[str, Any]]
    text: str
    #: how many of the turn's messages this Slack message carries (each lies wholly in one)
    covers: int = 1


def messages_of(messages: Sequence[Outbound], t: Translate) -> Iterator[SlackMessage]:
    """A turn as few Slack messages as possible (each within the block limit)."""
    ids = _Ids()
    blocks: list[dict[str, Any]] = []
    texts: list[str] = []
    for message in messages:
        rendered = blocks_of(message, t, ids)
        if blocks and len(blocks) + len(rendered) > MESSAGE_BLOCKS:
            yield SlackMessage(blocks, shorten("\n".join(texts), 3000), len(texts))
            blocks, texts = [], []
        blocks += rendered[:MESSAGE_BLOCKS]
        texts.append(escape(plain_text_of(message)))  # Slack reads ``text`` as mrkdwn too
    if blocks:
        yield SlackMessage(blocks, shorten("\n".join(texts), 3000), len(texts))


def home_view(items: Sequence[Outbound], t: Translate) -> dict[str, Any]:
    """App Home: every button is a command (its value), sent as if the person typed it."""
    ids = _Ids()
    blocks: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Card):
            blocks += _card(ids, item, t, buttons=False)
            if item.choices:
                blocks.append(
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": ids(HOME),
                                "text": _plain(c.label),
                                "value": c.value,
                            }
                            for c in item.choices
                        ],
                    }
                )
        elif isinstance(item, Text):
            blocks.append({"type": "header", "text": _plain(item.text, 150)})
        else:
            blocks += _question(ids, item, t)
        blocks.append({"type": "divider"})
    return {"type": "home", "blocks": blocks[: HOME_BLOCKS - 1]}


def answer_modal(
    callback_id: str,
    *,
    title: str,
    label: str,
    submit: str,
    close: str,
    metadata: dict[str, Any],
    question: str | None = None,
    max_length: int = MODAL_INPUT_LIMIT,
    initial: str | None = None,
) -> dict[str, Any]:
    """A modal with one multi-line answer; Slack enforces the length before sending it."""
    blocks: list[dict[str, Any]] = []
    if question:
        blocks += _sections(escape(question))
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ANSWER_BLOCK,
        "multiline": True,
        "max_length": max(1, min(max_length, MODAL_INPUT_LIMIT)),
    }
    if initial:
        element["initial_value"] = initial[:MODAL_INPUT_LIMIT]
    blocks.append(
        {
            "type": "input",
            "block_id": ANSWER_BLOCK,
            "label": _plain(label, 2000),
            "element": element,
        }
    )
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title, 24),
        "submit": _plain(submit, 24),
        "close": _plain(close, 24),
        "private_metadata": json.dumps(metadata)[:3000],
        "blocks": blocks,
    }


def question_text(message: dict[str, Any] | None, step: str) -> str | None:
    """The text of the question (``q.<step>`` section) in a message a button belongs to."""
    for block in (message or {}).get("blocks", []):
        block_id = str(block.get("block_id", ""))
        if block_id.startswith(f"q.{step}.") and block.get("type") == "section":
            return unescape(str(block.get("text", {}).get("text", "")))
    return None


def answered(message: dict[str, Any], action_id: str, said: str) -> list[dict[str, Any]] | None:
    """The message's blocks with the pressed button's row replaced by what was chosen, so an
    old question cannot be answered twice by accident (None when the row is not found)."""
    blocks = list(message.get("blocks", []))
    for index, block in enumerate(blocks):
        if block.get("type") != "actions":
            continue
        pressed = [e for e in block.get("elements", []) if e.get("action_id") == action_id]
        if pressed:
            blocks[index] = _context(f":white_check_mark: {escape(said)}")
            if action_id.startswith(SUBMIT_PICKS):  # the checkboxes above go as well
                picks = str(pressed[0].get("value"))
                blocks = [b for b in blocks if b.get("block_id") != picks]
            return blocks
    return None
