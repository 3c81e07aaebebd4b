"""A terminal chat on the same core, for scripts and quick trials (``maatjes chat --as NAME``).

Choices are numbered; type the number, the label, or several numbers for a multiple choice.
"""

from __future__ import annotations

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


def run(conversations: Conversations, name: str, *, stdin: TextIO, stdout: TextIO) -> None:
    account = Account(platform=PLATFORM, user_id=local_account_id(name))
    for message in conversations.resume(account):
        print(render(message), file=stdout)
    while True:
        print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            print(file=stdout)
            return
        turn = conversations.handle(account, Inbound(text=line.rstrip("\n")))
        for message in turn.messages:
            print(render(message), file=stdout)
        stdout.flush()
