"""A transcript driver over the pure core: no database, no service, one Conversation snapshot.

It keeps what the caller would keep between turns: the snapshot the core returned, and the
consents the effects record (the core reads them back, e.g. for the privacy overview)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from bot.core.actions import Action, encode
from bot.core.conversation import ConsentStatus, Conversation, CoreConfig, Reply
from bot.core.dialogue import Intake
from bot.core.effects import ConsentDecided, ConsentWithdrawn, Effect
from bot.core.messages import Card, Inbound, Outbound, Question, Text

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
POLICY = "t-1"


@dataclass
class Transcript:
    conversation: Conversation = field(default_factory=Conversation)
    core: Intake = field(default_factory=lambda: Intake(CoreConfig(policy_version=POLICY)))
    last: Reply | None = None
    effects: list[Effect] = field(default_factory=list)

    def send(self, inbound: Inbound) -> Reply:
        self.last = self.core.respond(self.conversation, inbound, today=TODAY)
        self.conversation = self._remember(self.last.conversation, self.last.effects)
        self.effects.extend(self.last.effects)
        return self.last

    def say(self, text: str) -> Reply:
        return self.send(Inbound(text=text))

    def click(self, value: str) -> Reply:
        return self.send(Inbound(choice=value))

    def press(self, action: Action) -> Reply:
        return self.send(Inbound(choice=encode(action)))

    def pick(self, *values: str) -> Reply:
        return self.send(Inbound(choices=values))

    @property
    def step(self) -> str:
        return self.conversation.step

    @property
    def messages(self) -> tuple[Outbound, ...]:
        assert self.last is not None
        return self.last.messages

    @property
    def question(self) -> Question:
        questions = [m for m in self.messages if isinstance(m, Question)]
        assert questions, f"no question in {self.messages}"
        return questions[-1]

    @property
    def card(self) -> Card:
        cards = [m for m in self.messages if isinstance(m, Card)]
        assert cards, f"no card in {self.messages}"
        return cards[-1]

    def text(self) -> str:
        return "\n".join(
            m.text if isinstance(m, Text | Question) else m.title for m in self.messages
        )

    def errors(self) -> list[str]:
        return [m.text for m in self.messages if isinstance(m, Text) and m.tone == "error"]

    @staticmethod
    def _remember(conv: Conversation, effects: tuple[Effect, ...]) -> Conversation:
        consents = dict(conv.consents)
        for effect in effects:
            if isinstance(effect, ConsentDecided):
                consents[effect.purpose] = ConsentStatus(effect.given, effect.policy_version, NOW)
            elif isinstance(effect, ConsentWithdrawn) and effect.purpose in consents:
                consents[effect.purpose] = replace(consents[effect.purpose], withdrawn_at=NOW)
        return replace(conv, consents=consents)
