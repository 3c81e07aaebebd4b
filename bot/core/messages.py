"""Messages between a person and the bot, as plain data.

Adapters translate platform events into :class:`Inbound` and render :data:`Outbound` items as Block
Kit, Adaptive Cards, HTML or terminal text. Nothing here knows about any platform.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.core.effects import Effect


@dataclass(frozen=True)
class Inbound:
    """One turn from a person: typed text, a pressed button, or a multi-select submission."""

    text: str | None = None
    choice: str | None = None
    choices: tuple[str, ...] | None = None

    @property
    def is_empty(self) -> bool:
        return (self.text is None or not self.text.strip()) and not self.choice and not self.choices


@dataclass(frozen=True)
class Choice:
    """A button or option. ``value`` is stable; ``label`` is translated."""

    value: str
    label: str
    description: str | None = None


@dataclass(frozen=True)
class Text:
    """A plain message. ``tone`` lets a renderer style errors and notices without parsing text."""

    text: str
    tone: Literal["normal", "error", "notice"] = "normal"
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class Question:
    """A question that expects an answer: free text, one choice, or several choices."""

    text: str
    step: str
    choices: tuple[Choice, ...] = ()
    multiple: bool = False
    free_text: bool = True
    max_length: int | None = None
    hint: str | None = None
    kind: Literal["question"] = "question"


@dataclass(frozen=True)
class CardField:
    label: str
    value: str


@dataclass(frozen=True)
class Card:
    """A summary card (profile, later: a proposed club) with optional actions."""

    title: str
    fields: tuple[CardField, ...] = ()
    choices: tuple[Choice, ...] = ()
    footer: str | None = None
    kind: Literal["card"] = "card"


Outbound = Text | Question | Card


@dataclass(frozen=True)
class Turn:
    """What the core answers to one inbound turn."""

    messages: tuple[Outbound, ...]
    accepted: bool = True
    effects: tuple[Effect, ...] = field(default=())


def to_dict(message: Outbound) -> dict[str, Any]:
    """A JSON-ready view of an outbound message (stored in the outbox, sent to the web chat)."""
    return asdict(message)


def from_dict(data: dict[str, Any]) -> Outbound:
    """The inverse of :func:`to_dict`."""
    kind = data.get("kind")
    choices = tuple(Choice(**c) for c in data.get("choices", ()))
    if kind == "question":
        return Question(**{**data, "choices": choices})
    if kind == "card":
        fields = tuple(CardField(**f) for f in data.get("fields", ()))
        return Card(**{**data, "choices": choices, "fields": fields})
    return Text(**data)


@dataclass(frozen=True)
class Account:
    """Who is talking: a platform and that platform's id for the person (plus a locale hint).

    ``verified`` is False when nothing vouches for the identity: in the local web chat anyone can
    type any name, so such an account never gets a coordinator's rights (Slack and Teams sign
    their requests; the web chat is verified only with a dashboard login under the same name)."""

    platform: str
    user_id: str
    locale: str | None = None
    verified: bool = True


def local_account_id(name: str) -> str:
    """The key of a local (web or terminal) account: case and width of the name do not matter."""
    import unicodedata

    return unicodedata.normalize("NFKC", name).strip().casefold()
