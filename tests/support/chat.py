"""A transcript driver over the real conversation service and database."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.messages import Account, Card, Inbound, Outbound, Question, Text, Turn
from bot.services.conversations import ConversationService


@dataclass
class Chat:
    service: ConversationService
    user: str = "anna"
    platform: str = "local"
    locale: str | None = None
    last: Turn | None = None
    log: list[Outbound] = field(default_factory=list)

    @property
    def account(self) -> Account:
        return Account(platform=self.platform, user_id=self.user, locale=self.locale)

    def _send(self, inbound: Inbound) -> Turn:
        self.last = self.service.handle(self.account, inbound)
        self.log.extend(self.last.messages)
        return self.last

    def say(self, text: str) -> Turn:
        return self._send(Inbound(text=text))

    def click(self, value: str) -> Turn:
        return self._send(Inbound(choice=value))

    def pick(self, *values: str) -> Turn:
        return self._send(Inbound(choices=values))

    def resume(self) -> tuple[Outbound, ...]:
        return self.service.resume(self.account)

    @property
    def question(self) -> Question:
        assert self.last is not None
        questions = [m for m in self.last.messages if isinstance(m, Question)]
        assert questions, f"no question in {self.last.messages}"
        return questions[-1]

    @property
    def step(self) -> str | None:
        assert self.last is not None
        for message in reversed(self.last.messages):
            if isinstance(message, Question):
                return message.step
            if isinstance(message, Card) and message.choices:
                return "summary"
        return None

    def text(self) -> str:
        assert self.last is not None
        return "\n".join(render_plain(m) for m in self.last.messages)


def render_plain(message: Outbound) -> str:
    if isinstance(message, Text):
        return message.text
    if isinstance(message, Question):
        return "\n".join([message.text, *(c.label for c in message.choices)])
    return "\n".join([message.title, *(f"{f.label}: {f.value}" for f in message.fields)])


DUTCH_ANSWERS = {
    "name": "Anna de Vries",
    "organisation": "Gemeente Zwolle",
    "works_on": (
        "Een circulair viaduct: hergebruik van liggers uit oude bruggen in een nieuwe aanbesteding."
    ),
    "seeks": "Iemand bij het rijk die ervaring heeft met circulair inkopen van infrastructuur.",
    "offers": "Ervaring met marktconsultaties en een netwerk van aannemers in Overijssel.",
    "ongemak": "Onze inkoopregels passen niet bij hergebruikte materialen.",
}


def complete_dutch_intake(chat: Chat) -> None:
    chat.say("hallo")
    chat.click("yes")
    chat.say(DUTCH_ANSWERS["name"])
    chat.say(DUTCH_ANSWERS["organisation"])
    chat.click("gemeente")
    chat.click("regionaal")
    chat.click("overijssel")
    chat.pick("bouw", "kunststoffen")
    chat.click("experimenteren")
    chat.say(DUTCH_ANSWERS["works_on"])
    chat.say(DUTCH_ANSWERS["seeks"])
    chat.say(DUTCH_ANSWERS["offers"])
    chat.say(DUTCH_ANSWERS["ongemak"])
    chat.click("maandelijks")
    chat.click("nl")
    assert chat.step == "summary"
    chat.click("confirm")
