"""A terminal chat on the same core, for scripts and quick trials (``maatjes chat --as NAME``).

Choices are numbered; type the number, the label, or several numbers for a multiple choice.
A number is read against the choices shown last, on every question (consent included), and
sent as the pressed button it stands for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO

from bot.core.messages import Account, Card, Inbound, Outbound, Question, Text, local_account_id
from bot.core.ports import Conversations

PLATFORM = "local"


def render(message: Outbound) -> str:
    if isinstance(message, Text):
        prefix = "! " if message.tone == "error" else ""
        return f"{prefix}{message.text}"
    if isinstance(message, Question):
        lines = [message.text]
        if message.hint:
            lines.append(f"  ({message.hint})")
        lines += [f"  {i}. {choice.label}" for i, choice in enumerate(message.choices, start=1)]
        return "\n".join(lines)
    assert isinstance(message, Card)
    width = max((len(f.label) for f in message.fields), default=0)
    lines = [f"== {message.title} =="]
    lines += [f"  {f.label.ljust(width)}  {f.value}" for f in message.fields]
    lines += [f"  {i}. {choice.label}" for i, choice in enumerate(message.choices, start=1)]
    return "\n".join(lines)


def numbered(messages: Iterable[Outbound]) -> Question | Card | None:
    """The open question's numbered choices, which a typed number refers to (None after a
    question without choices)."""
    last: Question | Card | None = None
    for message in messages:
        if isinstance(message, Question):
            last = message if message.choices else None
        elif isinstance(message, Card) and message.choices:
            last = message
    return last


def read(line: str, shown: Question | Card | None) -> Inbound:
    """A typed line as a turn: numbers of the choices shown become those choices."""
    numbers = re.split(r"[\s,;]+", line.strip())
    if shown is None or not all(n.isdigit() for n in numbers):
        return Inbound(text=line)
    indexes = [int(n) - 1 for n in numbers]
    if not all(0 <= i < len(shown.choices) for i in indexes):
        return Inbound(text=line)
    values = tuple(dict.fromkeys(shown.choices[i].value for i in indexes))
    if isinstance(shown, Question) and shown.multiple:
        return Inbound(choices=values)
    return Inbound(choice=values[0]) if len(values) == 1 else Inbound(text=line)


def run(conversations: Conversations, name: str, *, stdin: TextIO, stdout: TextIO) -> None:
    account = Account(platform=PLATFORM, user_id=local_account_id(name))
    messages = conversations.resume(account)
    for message in messages:
        print(render(message), file=stdout)
    shown = numbered(messages)
    while True:
        print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            print(file=stdout)
            return
        turn = conversations.handle(account, read(line.rstrip("\n"), shown))
        for message in turn.messages:
            print(render(message), file=stdout)
        shown = numbered(turn.messages) or (shown if not turn.accepted else None)
        stdout.flush()
