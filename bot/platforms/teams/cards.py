"""Outbound messages as Adaptive Cards (schema 1.5, what Teams renders), as plain JSON.

Choices are ``Action.Submit`` buttons whose ``data`` carries the stable choice value (plus the
card's title and the button's label, so the card can be replaced in place by a short record of
what was chosen). More choices than fit as buttons become a drop-down; several choices a
multi-select; free text an ``Input.Text`` with a send button (typing in the chat box works too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from bot.core.i18n import Translate
from bot.core.messages import Card, Choice, Outbound, Question, Text

CONTENT_TYPE: Final = "application/vnd.microsoft.card.adaptive"
SCHEMA: Final = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION: Final = "1.5"
#: Above this many choices a single-choice question shows a drop-down instead of buttons
#: (Teams folds more than six actions into an overflow menu, which people miss).
MAX_BUTTONS: Final = 5
#: Keys of ``Action.Submit`` data; a submit is recognised by one of these.
CHOICE: Final = "maatjes"
PICK: Final = "maatjes_pick"
MULTI: Final = "maatjes_multi"
TEXT: Final = "maatjes_text"
LINK_PREFIX: Final = "https://"
_TITLE_CHARS: Final = 120


#: What Teams' card markdown acts on anywhere in a line (emphasis, links, images, code, HTML-ish
#: tags such as ``<at>``, entities); a backslash makes each a plain character (CommonMark).
_INLINE = re.compile(r"([\\`*_~\[\]()<>!&|#])")
#: What it acts on at the start of a line besides those: lists and setext headings.
_LINE_START_DOT = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
#: A web address, without the characters that could start markdown of its own inside it.
_URL = re.compile(r"https://[A-Za-z0-9._~:/?#@$+,;=%-]+")


def plain(text: str) -> str:
    """Text for a TextBlock or FactSet, shown as written: nobody's profile text becomes a link,
    a heading, a list or a mention. Web addresses are left whole so Teams still links them."""
    out: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        out.append(_escape(text[last : found.start()]))
        out.append(found.group(0))
        last = found.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START_DOT.sub(r"\1\\\2", text)
    return re.sub(r"^(\s*)([-+=])", r"\1\\\2", text, flags=re.MULTILINE)


def adaptive_card(
    body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    return card


def _text(text: str, **style: Any) -> dict[str, Any]:
    """Every TextBlock goes through here, so every text in a card is :func:`plain`."""
    return {"type": "TextBlock", "text": plain(text), "wrap": True, **style}


def _button(choice: Choice, title: str) -> dict[str, Any]:
    if choice.value.startswith(LINK_PREFIX):  # a link (a group chat deep link), not an answer
        return {"type": "Action.OpenUrl", "title": choice.label, "url": choice.value}
    return {
        "type": "Action.Submit",
        "title": choice.label,
        "data": {CHOICE: choice.value, "title": title[:_TITLE_CHARS], "label": choice.label},
    }


def _choice_options(choices: Sequence[Choice]) -> list[dict[str, Any]]:
    return [{"title": c.label, "value": c.value} for c in choices]


def parts(message: Outbound, t: Translate) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The body elements and actions one message contributes to a card."""
    if isinstance(message, Text):
        style: dict[str, Any] = {}
        if message.tone == "error":
            style = {"color": "Attention"}
        elif message.tone == "notice":
            style = {"isSubtle": True}
        return [_text(message.text, **style)], []
    if isinstance(message, Question):
        return _question(message, t)
    return _card(message)


def _question(q: Question, t: Translate) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    body = [_text(q.text, weight="Bolder")]
    if q.hint:
        body.append(_text(q.hint, isSubtle=True, size="Small"))
    actions: list[dict[str, Any]] = []
    if q.multiple:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "choices",
                "isMultiSelect": True,
                "style": "expanded",
                "choices": _choice_options(q.choices),
            }
        )
        actions.append(
            {
                "type": "Action.Submit",
                "title": t("teams.send"),
                "data": {MULTI: q.step, "title": q.text[:_TITLE_CHARS]},
            }
        )
        return body, actions
    if q.free_text:
        text_input: dict[str, Any] = {
            "type": "Input.Text",
            "id": "text",
            "isMultiline": q.max_length is None or q.max_length > 200,
            "placeholder": t("teams.type_here"),
        }
        body.append(text_input)
        actions.append(
            {
                "type": "Action.Submit",
                "title": t("teams.send"),
                "data": {TEXT: q.step, "title": q.text[:_TITLE_CHARS]},
            }
        )
    if len(q.choices) > MAX_BUTTONS:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "choice",
                "style": "compact",
                "placeholder": t("teams.pick"),
                "choices": _choice_options(q.choices),
            }
        )
        actions.append(
            {
                "type": "Action.Submit",
                "title": t("teams.send_choice"),
                "data": {PICK: q.step, "title": q.text[:_TITLE_CHARS]},
            }
        )
    else:
        actions.extend(_button(c, q.text) for c in q.choices)
    return body, actions


def _card(card: Card) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    body: list[dict[str, Any]] = [_text(card.title, weight="Bolder", size="Medium")]
    if card.fields:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": plain(f.label), "value": plain(f.value)} for f in card.fields],
            }
        )
    if card.footer:
        body.append(_text(card.footer, isSubtle=True))
    return body, [_button(c, card.title) for c in card.choices]


def render(messages: Sequence[Outbound], t: Translate) -> list[tuple[int, dict[str, Any] | str]]:
    """One item per message: plain text for texts, an Adaptive Card for questions and cards.

    Consecutive texts are joined into one chat message, so a turn reads as a few messages. Each
    item comes with the index of the first message it holds: what is left to send when an item
    fails is ``messages[index:]``."""
    out: list[tuple[int, dict[str, Any] | str]] = []
    for index, message in enumerate(messages):
        if isinstance(message, Text):
            if out and isinstance(out[-1][1], str):
                out[-1] = (out[-1][0], f"{out[-1][1]}\n\n{message.text}")
            else:
                out.append((index, message.text))
            continue
        body, actions = parts(message, t)
        out.append((index, adaptive_card(body, actions)))
    return out


def compose(messages: Sequence[Outbound], t: Translate) -> dict[str, Any]:
    """All messages as one card: a proactive message is sent in one call, so a retry after a
    failure can never deliver half of it twice."""
    body: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        more, more_actions = parts(message, t)
        if index and more:
            more[0] = {**more[0], "spacing": "Medium", "separator": isinstance(message, Card)}
        body.extend(more)
        actions.extend(more_actions)
    return adaptive_card(body, actions)


def spent(title: str, label: str, outcome: Sequence[str], t: Translate) -> dict[str, Any]:
    """What a card turns into once a button on it was used: its title and the choice made."""
    body = [_text(title, weight="Bolder"), _text(t("teams.chosen", choice=label), isSubtle=True)]
    # (title and label come back from the card's submit data, which a client can change: they
    # are escaped like any other text by _text)
    body.extend(_text(line) for line in outcome)
    return adaptive_card(body)
