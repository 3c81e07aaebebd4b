"""The intake conversation: a pure state machine.

``respond(conversation, inbound)`` takes a snapshot of one person's conversation and one inbound
turn, and returns the messages to send, the effects to store (consent, answers, language, pause)
and the next snapshot. It does no I/O, so every platform shares it and tests read like transcripts.

The order follows the Participatietafel's questions: who are you and where do you work, which
transition agenda, in which phase is your opgave, and then the free texts the matcher needs: what
you work on (your kiem), what you seek in a maatje, what you offer, and which ongemak you run into.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.core.i18n import Translate, translator
from bot.core.messages import Card, CardField, Choice, Inbound, Outbound, Question, Text, Turn
from bot.core.vocabulary import (
    GROUPS,
    LANGUAGES,
    ORGANISATION_KINDS,
    PHASES,
    REGIONS,
    RHYTHMS,
    THEMES,
)

MATCHING: Final = "matching"
#: Consent to show one's reflection answers to the group (asked with the first shared answer).
SHARING: Final = "sharing"
PURPOSES: Final = (MATCHING, SHARING)
_AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")

#: The profile fields in the order the intake asks them.
FIELDS: Final = (
    "name",
    "organisation",
    "organisation_kind",
    "group",
    "region",
    "themes",
    "themes_other",
    "phase",
    "works_on",
    "seeks",
    "offers",
    "ongemak",
    "rhythm",
    "language",
)

_CHOICE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "organisation_kind": ORGANISATION_KINDS,
    "group": GROUPS,
    "region": REGIONS,
    "phase": PHASES,
    "rhythm": RHYTHMS,
    "language": LANGUAGES,
}
_VOCAB_KIND: Final[Mapping[str, str]] = {
    "organisation_kind": "organisation_kind",
    "group": "group",
    "region": "region",
    "phase": "phase",
    "rhythm": "rhythm",
    "language": "language",
    "themes": "theme",
}
_SHORT_TEXT_LIMITS: Final[Mapping[str, int]] = {
    "name": 100,
    "organisation": 200,
    "themes_other": 200,
}
_LONG_TEXTS: Final = ("works_on", "seeks", "offers", "ongemak")
_OPTIONAL: Final = frozenset({"ongemak"})

_COMMANDS: Final[Mapping[str, str]] = {
    "help": "help",
    "hulp": "help",
    "?": "help",
    "profiel": "profile",
    "mijn profiel": "profile",
    "profile": "profile",
    "my profile": "profile",
    "wijzig": "edit",
    "wijzigen": "edit",
    "edit": "edit",
    "change": "edit",
    "pauze": "pause",
    "pause": "pause",
    "hervat": "resume",
    "hervatten": "resume",
    "resume": "resume",
    "taal": "language",
    "language": "language",
    "stop": "stop",
    "stoppen": "stop",
    "privacy": "privacy",
    "start": "start",
    "ronde": "review",
    "round": "review",
    "review": "review",
    "beoordeel": "review",
    "nieuwe ronde": "propose",
    "new round": "propose",
    "toestemming": "privacy",
    "consent": "privacy",
    "mijn gegevens": "export",
    "gegevens": "export",
    "my data": "export",
    "export": "export",
    "vergeet mij": "forget",
    "vergeet me": "forget",
    "verwijder mij": "forget",
    "verwijder me": "forget",
    "wis mij": "forget",
    "forget me": "forget",
    "delete me": "forget",
    "erase me": "forget",
}
_EDIT_PREFIXES: Final = ("wijzig ", "edit ", "change ")
_YES: Final = frozenset(
    {"ja", "j", "yes", "y", "ok", "oke", "okay", "akkoord", "prima", "goed", "sure"}
)
_NO: Final = frozenset({"nee", "n", "no", "nope", "liever niet"})
_SKIP: Final = frozenset({"sla over", "overslaan", "skip", "-", "geen", "none", "nvt", "n.v.t."})
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_MENUS: Final = frozenset(
    {
        "edit_menu",
        "pause_menu",
        "language_menu",
        "confirm_stop",
        "review_reason",
        "checkin_answer",
        "checkin_share",
        "checkin_update",
        "confirm_forget",
    }
)
_PAUSE_OPTIONS: Final[Mapping[str, int | None]] = {"2w": 14, "1m": 30, "3m": 91, "open": None}


# --- effects: what the caller must store ---------------------------------------------------------


@dataclass(frozen=True)
class ConsentDecided:
    given: bool
    purpose: str
    policy_version: str


@dataclass(frozen=True)
class ConsentWithdrawn:
    purpose: str


@dataclass(frozen=True)
class AnswerGiven:
    """A draft answer; the committed profile keeps its old value until ProfileCommitted."""

    field: str
    value: Any


@dataclass(frozen=True)
class ProfileCommitted:
    pass


@dataclass(frozen=True)
class LanguageChosen:
    language: str


@dataclass(frozen=True)
class PauseChanged:
    paused: bool
    until: date | None


@dataclass(frozen=True)
class FollowUpAnswered:
    """An answer to "hebben jullie elkaar gesproken?"; ``block`` is someone never to match again."""

    group_id: int
    answer: str
    block: int | None = None


@dataclass(frozen=True)
class ReviewRequested:
    """A coordinator asks to see the open round (the caller checks the role and shows it)."""


@dataclass(frozen=True)
class RoundRequested:
    """A coordinator asks for a new round to be proposed."""


@dataclass(frozen=True)
class ReviewDecided:
    """A coordinator's decision from chat: approve (one group or, without position, all) or
    reject with a reason."""

    action: str
    round_id: int
    position: int | None = None
    reason: str | None = None
    member: int | None = None
    with_person: int | None = None
    to_position: int | None = None


@dataclass(frozen=True)
class CheckInAnswered:
    """A member's answer to a reflection check-in: ``answered`` (with text) or ``skipped``;
    ``shared`` means the group may see it in the round-up."""

    checkin_id: int
    status: str
    text: str | None = None
    shared: bool = False


@dataclass(frozen=True)
class SwapRequested:
    """A coordinator wants to change a group: first pick the member, then see the alternatives."""

    round_id: int
    position: int
    member: int | None = None


@dataclass(frozen=True)
class ExportRequested:
    """The person asks for everything held about them (the caller makes the download)."""


@dataclass(frozen=True)
class ErasureRequested:
    """The person confirmed "vergeet mij": the caller erases them after this turn."""


Effect = (
    ConsentDecided
    | ConsentWithdrawn
    | AnswerGiven
    | ProfileCommitted
    | LanguageChosen
    | PauseChanged
    | FollowUpAnswered
    | ReviewRequested
    | RoundRequested
    | ReviewDecided
    | SwapRequested
    | CheckInAnswered
    | ExportRequested
    | ErasureRequested
)

FOLLOW_UP_ANSWERS: Final = ("met", "not_yet", "not_a_fit")


# --- the snapshot --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoreConfig:
    policy_version: str = "1.0"
    max_answer_length: int = 2000
    privacy_contact: str = "de coördinator van je community"
    retention_days: int = 365


@dataclass(frozen=True)
class ConsentStatus:
    """The latest decision for one purpose, as the person's privacy overview shows it."""

    given: bool
    policy_version: str
    decided_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.given and self.withdrawn_at is None


@dataclass(frozen=True)
class Conversation:
    """Everything the core needs to answer one person; loaded and stored by the caller."""

    step: str = "start"
    language: str = "nl"
    consent: bool = False
    completed: bool = False
    profile: Mapping[str, Any] = field(default_factory=dict)
    draft: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    paused: bool = False
    paused_until: date | None = None
    #: Latest consent decision per purpose (``matching``, ``sharing``), for the privacy overview.
    consents: Mapping[str, ConsentStatus] = field(default_factory=dict)

    @property
    def sharing(self) -> bool:
        status = self.consents.get(SHARING)
        return status is not None and status.live

    def value(self, name: str) -> Any:
        """The answer as the person sees it now: a draft wins over the committed value."""
        if name == "language":  # a language choice takes effect at once, not on commit
            return self.language if self.answered("language") else None
        if name in self.draft:
            return self.draft[name]
        return self.profile.get(name)

    def answered(self, name: str) -> bool:
        return (
            name in self.draft
            or self.profile.get(name) is not None
            or (name == "language" and self.completed)
        )


@dataclass(frozen=True)
class Reply:
    conversation: Conversation
    messages: tuple[Outbound, ...]
    effects: tuple[Effect, ...] = ()
    accepted: bool = True

    @property
    def turn(self) -> Turn:
        return Turn(messages=self.messages, accepted=self.accepted, effects=self.effects)


# --- text helpers --------------------------------------------------------------------------------


def clean_text(raw: str) -> str:
    """Normalise what a person typed: NFC, no control or zero-width characters, trimmed."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", raw)).strip()


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _command_word(text: str) -> str:
    return _fold(text).lstrip("/").rstrip("!.?") or _fold(text)


def _choices(t: Translate, name: str) -> tuple[Choice, ...]:
    kind = _VOCAB_KIND[name]
    codes = THEMES if name == "themes" else _CHOICE_FIELDS[name]
    return tuple(
        Choice(
            value=code,
            label=t(f"vocab.{kind}.{code}"),
            description=t(f"vocab.phase.{code}.help") if kind == "phase" else None,
        )
        for code in codes
    )


def match_choice(text: str, choices: Sequence[Choice]) -> str | None:
    """The choice a typed answer means: its number, value or label, or an unambiguous start."""
    folded = _fold(text).rstrip(".!")
    if not folded:
        return None
    if folded.isdigit():
        index = int(folded) - 1
        return choices[index].value if 0 <= index < len(choices) else None
    for choice in choices:
        if folded in (_fold(choice.value), _fold(choice.label)):
            return choice.value
    if len(folded) >= 2:
        starts = [c.value for c in choices if _fold(c.label).startswith(folded)]
        starts = starts or [c.value for c in choices if _fold(c.value).startswith(folded)]
        if len(starts) == 1:
            return starts[0]
    return None


def _label(t: Translate, name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if name == "themes":
        return ", ".join(t(f"vocab.theme.{code}") for code in value)
    if name in _VOCAB_KIND:
        return str(t(f"vocab.{_VOCAB_KIND[name]}.{value}"))
    return str(value)


# --- the machine ---------------------------------------------------------------------------------


class Intake:
    """Answers one turn at a time. Holds only configuration, never a person's state."""

    def __init__(self, config: CoreConfig | None = None) -> None:
        self.config = config or CoreConfig()

    # public entry points

    def respond(self, conv: Conversation, inbound: Inbound, *, today: date) -> Reply:
        t = translator(conv.language)
        if inbound.is_empty:
            return self._reject(conv, t, t("error.empty"))
        if inbound.choice and inbound.choice.startswith("followup:"):
            return self._on_follow_up(conv, t, inbound.choice)
        if inbound.choice and inbound.choice.startswith("review:"):
            return self._on_review_choice(conv, t, inbound.choice)
        if inbound.choice and inbound.choice.startswith("checkin:"):
            return self._on_checkin_choice(conv, t, inbound.choice)
        if inbound.choice and inbound.choice.startswith("privacy:"):
            return self._on_privacy_choice(conv, t, inbound.choice)
        if inbound.text is not None and inbound.choice is None and inbound.choices is None:
            text = clean_text(inbound.text)
            if not text:
                return self._reject(conv, t, t("error.empty"))
            command = self._command(text)
            if command is not None:
                return self._on_command(conv, t, command, today=today)
            inbound = Inbound(text=text)
        handler = getattr(self, f"_on_{conv.step}", None)
        if conv.step in FIELDS:
            return self._on_field(conv, t, inbound)
        if handler is None:  # an unknown step from an older version: start over safely
            return self._to(replace(conv, step="start", context={}), t)
        reply: Reply = handler(conv, t, inbound, today)
        return reply

    def resume(self, conv: Conversation) -> tuple[Outbound, ...]:
        """What to show when a person comes back (page reload, restart): where they were."""
        t = translator(conv.language)
        if conv.step == "start":
            return self.prompt(conv, t)
        name = conv.value("name") if conv.consent else None
        hello = t("resume.welcome_name", name=name) if name else t("resume.welcome")
        return (Text(hello, tone="notice"), *self.prompt(conv, t))

    def profile_card(self, conv: Conversation) -> Card:
        """The confirmed profile as a card (for a home page such as Slack's App Home)."""
        return self._card(conv, translator(conv.language), committed=True)

    # prompts

    def prompt(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        step = conv.step
        if step in ("start", "consent"):
            return self._consent_prompt(t, greeting=True)
        if step in ("declined", "stopped"):
            return (Text(t(f"{step}.again")), *self._consent_prompt(t, greeting=False))
        if step in FIELDS:
            return (self._question(conv, t, step),)
        if step == "summary":
            return self._summary(conv, t)
        if step == "done":
            return (Text(t("done.prompt")),)
        if step == "edit_menu":
            return (self._edit_menu(conv, t),)
        if step == "pause_menu":
            return self._pause_menu(conv, t)
        if step == "language_menu":
            return (
                Question(
                    text=t("language.ask"),
                    step=step,
                    choices=(*_choices(t, "language"), Choice("cancel", t("common.back"))),
                    free_text=False,
                ),
            )
        if step == "review_reason":
            return (
                Question(
                    text=t("review.reason", position=conv.context.get("position", "?")),
                    step=step,
                    choices=(Choice("cancel", t("common.back")),),
                    max_length=1000,
                ),
            )
        if step == "checkin_answer":
            return (
                Question(
                    text=t("checkin.type_answer"),
                    step=step,
                    choices=(Choice("cancel", t("common.back")),),
                    max_length=self.config.max_answer_length,
                ),
            )
        if step == "checkin_share":
            return (
                Question(
                    text=t("checkin.share_ask"),
                    step=step,
                    choices=(
                        Choice("share", t("checkin.share_yes")),
                        Choice("private", t("checkin.share_no")),
                    ),
                    free_text=False,
                ),
            )
        if step == "checkin_update":
            if conv.context.get("updates") == "phase":
                return (
                    Question(
                        text=t("checkin.update_phase"),
                        step=step,
                        choices=(*_choices(t, "phase"), Choice("keep", t("checkin.keep"))),
                        free_text=False,
                    ),
                )
            return (
                Question(
                    text=t("checkin.update_ongemak"),
                    step=step,
                    choices=(Choice("yes", t("common.yes")), Choice("no", t("common.no"))),
                    free_text=False,
                ),
            )
        if step == "confirm_forget":
            return (
                Question(
                    text=t("forget.confirm"),
                    step=step,
                    choices=(Choice("yes", t("forget.yes")), Choice("no", t("forget.no"))),
                    free_text=False,
                ),
            )
        if step == "confirm_stop":
            return (
                Question(
                    text=t("stop.confirm"),
                    step=step,
                    choices=(Choice("yes", t("stop.yes")), Choice("no", t("stop.no"))),
                    free_text=False,
                ),
            )
        return ()

    def _consent_prompt(self, t: Translate, *, greeting: bool) -> tuple[Outbound, ...]:
        question = Question(
            text=t("consent.ask", version=self.config.policy_version),
            step="consent",
            choices=(
                Choice("yes", t("consent.yes")),
                Choice("no", t("consent.no")),
                Choice("privacy", t("consent.read_privacy")),
            ),
            free_text=False,
        )
        return (Text(t("greeting")), question) if greeting else (question,)

    def _question(self, conv: Conversation, t: Translate, step: str) -> Question:
        hint = None
        if step in _LONG_TEXTS:
            hint = t("intake.long_text.hint", limit=self.config.max_answer_length)
        choices: tuple[Choice, ...] = ()
        if step in _CHOICE_FIELDS or step == "themes":
            choices = _choices(t, step)
        elif step in _OPTIONAL:
            choices = (Choice("skip", t("common.skip")),)
        return Question(
            text=t(f"intake.{step}.ask", name=conv.value("name") or ""),
            step=step,
            choices=choices,
            multiple=step == "themes",
            free_text=step not in _CHOICE_FIELDS or step == "language",
            max_length=self._limit(step),
            hint=hint,
        )

    def _limit(self, step: str) -> int | None:
        if step in _LONG_TEXTS:
            return self.config.max_answer_length
        return _SHORT_TEXT_LIMITS.get(step)

    def _card(self, conv: Conversation, t: Translate, *, committed: bool) -> Card:
        fields: list[CardField] = []
        for name in FIELDS:
            if name == "themes_other":
                continue
            value = conv.profile.get(name) if committed and name != "language" else conv.value(name)
            shown = _label(t, name, value)
            if name == "themes":
                other = (
                    conv.profile.get("themes_other") if committed else conv.value("themes_other")
                )
                if other and value and "anders" in value:
                    shown = f"{shown} ({other})"
            changed = name in conv.draft and conv.draft[name] != conv.profile.get(name)
            if not committed and conv.completed and changed:
                shown = f"{shown}  ← {t('summary.changed')}"
            fields.append(CardField(label=t(f"field.{name}"), value=shown))
        return Card(title=t("summary.title"), fields=tuple(fields))

    def _summary(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        card = replace(
            self._card(conv, t, committed=False),
            choices=(Choice("confirm", t("summary.confirm")), Choice("edit", t("summary.edit"))),
        )
        return (Text(t("summary.intro")), card)

    def _edit_menu(self, conv: Conversation, t: Translate) -> Question:
        editable = [
            Choice(name, t(f"field.{name}"))
            for name in FIELDS
            if name != "themes_other" and (conv.answered(name) or conv.completed)
        ]
        editable.append(Choice("cancel", t("common.back")))
        return Question(
            text=t("edit.ask"), step="edit_menu", choices=tuple(editable), free_text=False
        )

    def _pause_menu(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        options = [Choice(code, t(f"pause.option.{code}")) for code in _PAUSE_OPTIONS]
        lead: tuple[Outbound, ...] = ()
        if conv.paused:
            until = t("pause.until", date=_date(conv.paused_until)) if conv.paused_until else ""
            lead = (Text(t("pause.current", until=until)),)
            options.insert(0, Choice("resume", t("pause.option.resume")))
        options.append(Choice("cancel", t("common.back")))
        question = Question(
            text=t("pause.ask"), step="pause_menu", choices=tuple(options), free_text=False
        )
        return (*lead, question)

    # transitions

    def _to(
        self,
        conv: Conversation,
        t: Translate,
        *,
        before: Sequence[Outbound] = (),
        effects: Sequence[Effect] = (),
    ) -> Reply:
        return Reply(
            conversation=conv,
            messages=(*before, *self.prompt(conv, t)),
            effects=tuple(effects),
        )

    def _reject(self, conv: Conversation, t: Translate, message: str) -> Reply:
        return Reply(
            conversation=conv,
            messages=(Text(message, tone="error"), *self.prompt(conv, t)),
            accepted=False,
        )

    def _return_step(self, conv: Conversation) -> str:
        step = conv.context.get("return_to")
        return str(step) if step else ("done" if conv.completed else "summary")

    def _next_field(self, conv: Conversation, after: str) -> str:
        for name in FIELDS[FIELDS.index(after) + 1 :]:
            if name == "themes_other" and (
                "anders" not in (conv.value("themes") or ()) or conv.value("themes_other")
            ):
                continue  # only asked when "anders" was chosen without saying what it is
            return name
        return "summary"

    # commands

    def _command(self, text: str) -> tuple[str, str | None] | None:
        word = _command_word(text)
        if word in _COMMANDS:
            return _COMMANDS[word], None
        for prefix in _EDIT_PREFIXES:
            if word.startswith(prefix):
                return "edit", word[len(prefix) :].strip()
        return None

    def _on_command(
        self, conv: Conversation, t: Translate, command: tuple[str, str | None], *, today: date
    ) -> Reply:
        name, argument = command
        here = conv.step
        if here == "start":
            here = "consent"
        elif here in _MENUS:
            here = self._return_step(conv)
        if name == "help":
            key = "help.text" if conv.consent else "help.text_before_consent"
            return self._to(replace(conv, step=here), t, before=(Text(t(key)),))
        if name == "privacy":
            overview = (Text(self._privacy(t)), self._privacy_card(conv, t))
            return self._to(replace(conv, step=here), t, before=overview)
        if name == "export":  # the caller puts the download link before the open question
            return self._to(replace(conv, step=here), t, effects=(ExportRequested(),))
        if name == "forget":
            return self._to(replace(conv, step="confirm_forget", context={"return_to": here}), t)
        if name == "language":
            return self._to(replace(conv, step="language_menu", context={"return_to": here}), t)
        if name == "start":
            return self._to(replace(conv, step=here), t)
        if name == "review":
            return Reply(
                conversation=replace(conv, step=here), messages=(), effects=(ReviewRequested(),)
            )
        if name == "propose":
            return Reply(
                conversation=replace(conv, step=here), messages=(), effects=(RoundRequested(),)
            )
        if not conv.consent:
            if name == "stop":
                return Reply(
                    conversation=replace(conv, step=here),
                    messages=(Text(t("stop.nothing_stored")),),
                )
            return self._to(replace(conv, step=here), t, before=(Text(t("error.needs_consent")),))
        if name == "profile":
            if not conv.completed:
                return self._to(conv, t, before=(Text(t("profile.not_yet")),))
            before: list[Outbound] = [self._card(conv, t, committed=True)]
            if any(conv.draft.get(k) != conv.profile.get(k) for k in conv.draft):
                before.append(Text(t("profile.pending_changes")))
            return self._to(conv, t, before=before)
        if name == "edit":
            return self._start_edit(conv, t, argument)
        if name == "pause":
            return self._to(replace(conv, step="pause_menu", context={"return_to": here}), t)
        if name == "resume":
            if not conv.paused:
                return self._to(conv, t, before=(Text(t("pause.not_paused")),))
            resumed = replace(conv, paused=False, paused_until=None)
            return self._to(
                resumed, t, before=(Text(t("pause.resumed")),), effects=(PauseChanged(False, None),)
            )
        if name == "stop":
            return self._to(replace(conv, step="confirm_stop", context={"return_to": here}), t)
        raise AssertionError(f"unhandled command {name}")  # pragma: no cover

    def _start_edit(self, conv: Conversation, t: Translate, argument: str | None) -> Reply:
        if conv.step in _MENUS:
            return_to = self._return_step(conv)
        elif conv.step in FIELDS and not conv.completed:
            return_to = conv.step
        else:
            return_to = "summary"
        context = {"return_to": return_to}
        menu = replace(conv, step="edit_menu", context=context)
        if argument:
            target = match_choice(argument, self._edit_menu(menu, t).choices)
            if target and target != "cancel":
                return self._to(replace(conv, step=target, context=context), t)
        return self._to(menu, t)

    def _privacy(self, t: Translate) -> str:
        return t(
            "privacy.notice",
            version=self.config.policy_version,
            contact=self.config.privacy_contact,
            days=self.config.retention_days,
        )

    def _privacy_card(self, conv: Conversation, t: Translate) -> Card:
        """Each purpose with its latest decision (when, which policy version) and the buttons to
        change it, take one's data or be forgotten."""
        fields = []
        for purpose in PURPOSES:
            status = conv.consents.get(purpose)
            if status is None:
                shown = t("privacy.status.none")
            elif status.live:
                shown = t(
                    "privacy.status.given",
                    at=_moment(status.decided_at),
                    version=status.policy_version,
                )
            elif status.withdrawn_at is not None:
                shown = t(
                    "privacy.status.withdrawn",
                    at=_moment(status.withdrawn_at),
                    version=status.policy_version,
                )
            else:
                shown = t(
                    "privacy.status.refused",
                    at=_moment(status.decided_at),
                    version=status.policy_version,
                )
            fields.append(CardField(label=t(f"privacy.purpose.{purpose}"), value=shown))
        choices: list[Choice] = []
        if conv.consent:
            choices.append(Choice("privacy:matching:off", t("privacy.matching_off")))
            if conv.sharing:
                choices.append(Choice("privacy:sharing:off", t("privacy.sharing_off")))
            else:
                choices.append(Choice("privacy:sharing:on", t("privacy.sharing_on")))
        choices += [
            Choice("privacy:export", t("privacy.export")),
            Choice("privacy:forget", t("privacy.forget")),
        ]
        return Card(
            title=t("privacy.consents"),
            fields=tuple(fields),
            choices=tuple(choices),
            footer=t("privacy.footer"),
        )

    def _on_privacy_choice(self, conv: Conversation, t: Translate, choice: str) -> Reply:
        """Buttons of the privacy overview: ``privacy:<purpose>:on|off``, ``privacy:export``,
        ``privacy:forget``. They may be pressed at any step; the open question is asked again."""
        here = self._return_step(conv) if conv.step in _MENUS else conv.step
        if here == "start":
            here = "consent"
        stay = replace(conv, step=here)
        if choice == "privacy:export":
            return self._to(stay, t, effects=(ExportRequested(),))
        if choice == "privacy:forget":
            return self._to(replace(conv, step="confirm_forget", context={"return_to": here}), t)
        if choice == "privacy:matching:off" and conv.consent:
            return self._to(replace(conv, step="confirm_stop", context={"return_to": here}), t)
        if choice in ("privacy:sharing:on", "privacy:sharing:off") and conv.consent:
            version = self.config.policy_version
            if choice.endswith(":on"):
                effect: Effect = ConsentDecided(True, SHARING, version)
                said = t("privacy.sharing_given")
            else:
                effect = ConsentWithdrawn(SHARING)
                said = t("privacy.sharing_withdrawn")
            return self._to(stay, t, before=(Text(said),), effects=(effect,))
        if not conv.consent and choice.startswith(("privacy:matching", "privacy:sharing")):
            return self._reject(stay, t, t("error.needs_consent"))
        return self._reject(stay, t, t("error.choose_one"))

    # steps

    def _on_start(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Reply:
        # The greeting may have been shown on resume (not a stored step): a yes/no answers it.
        if self._yes_no(inbound):
            return self._on_consent(conv, t, inbound, today)
        return self._to(replace(conv, step="consent"), t)

    def _on_declined(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        return (
            self._on_consent(conv, t, inbound, today)
            if self._yes_no(inbound)
            else self._to(conv, t)
        )

    _on_stopped = _on_declined

    def _yes_no(self, inbound: Inbound) -> str | None:
        if inbound.choice in ("yes", "no", "privacy"):
            return inbound.choice
        word = _command_word(inbound.text or "")
        if word in _YES or word.startswith(("ja,", "ja ", "yes")):
            return "yes"
        if word in _NO or word.startswith(("nee,", "nee ", "no,", "no ")):
            return "no"
        return None

    def _on_consent(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Reply:
        answer = self._yes_no(inbound)
        if answer == "privacy":
            return self._to(replace(conv, step="consent"), t, before=(Text(self._privacy(t)),))
        if answer is None:
            return self._reject(replace(conv, step="consent"), t, t("consent.unclear"))
        version = self.config.policy_version
        if answer == "no":
            return Reply(
                conversation=replace(conv, step="declined", consent=False, context={}),
                messages=(Text(t("consent.declined")),),
                effects=(ConsentDecided(False, MATCHING, version),),
            )
        given = replace(conv, consent=True, context={})
        if conv.completed:
            after = replace(given, step="done")
            return self._to(
                after,
                t,
                before=(Text(t("consent.welcome_back")),),
                effects=(ConsentDecided(True, MATCHING, version),),
            )
        first = next(
            (name for name in FIELDS if not given.answered(name) and name != "themes_other"),
            "summary",
        )
        return self._to(
            replace(given, step=first),
            t,
            before=(Text(t("consent.thanks")),),
            effects=(ConsentDecided(True, MATCHING, version),),
        )

    def _on_field(self, conv: Conversation, t: Translate, inbound: Inbound) -> Reply:
        step = conv.step
        parsed = self._parse_field(conv, t, step, inbound)
        if isinstance(parsed, _Invalid):
            return self._reject(conv, t, parsed.message)
        effects: list[Effect] = [AnswerGiven(step, parsed.value)]
        extra: dict[str, Any] = {}
        if step == "themes":
            other = parsed.other
            if other is not None:
                effects.append(AnswerGiven("themes_other", other))
                extra["themes_other"] = other
            elif "anders" not in parsed.value and conv.value("themes_other"):
                effects.append(AnswerGiven("themes_other", None))
                extra["themes_other"] = None
        before: list[Outbound] = []
        language = conv.language
        if step == "language":
            language = str(parsed.value)
            effects.append(LanguageChosen(language))
        draft = {**conv.draft, step: parsed.value, **extra}
        updated = replace(conv, draft=draft, language=language)
        t = translator(language)
        editing = "return_to" in conv.context
        context: Mapping[str, Any] = {}
        if step == "themes" and "anders" in parsed.value and not updated.value("themes_other"):
            nxt, context = "themes_other", conv.context
        elif editing:
            nxt = self._return_step(conv)
        else:
            nxt = self._next_field(updated, step)
        if step == "language":
            before.append(Text(t("language.changed")))
        return self._to(
            replace(updated, step=nxt, context=context), t, before=before, effects=effects
        )

    def _parse_field(
        self, conv: Conversation, t: Translate, step: str, inbound: Inbound
    ) -> _Parsed | _Invalid:
        if step == "themes":
            return self._parse_themes(t, inbound)
        if step in _CHOICE_FIELDS:
            options = _choices(t, step)
            raw = inbound.choice if inbound.choice is not None else (inbound.text or "")
            if inbound.choices and len(inbound.choices) == 1:
                raw = inbound.choices[0]
            value = raw if raw in _CHOICE_FIELDS[step] else match_choice(raw, options)
            if value is None:
                return _Invalid(t("error.choose_one"))
            return _Parsed(value)
        if inbound.choice == "skip" and step in _OPTIONAL:
            return _Parsed(None)
        if inbound.text is None:
            return _Invalid(t("error.type_answer"))
        text = inbound.text
        if step in _OPTIONAL and _fold(text) in _SKIP:
            return _Parsed(None)
        limit = self._limit(step) or self.config.max_answer_length
        if len(text) > limit:
            return _Invalid(t("error.too_long", length=len(text), limit=limit))
        if step in _LONG_TEXTS and len(text) < 3:
            return _Invalid(t("error.too_short"))
        return _Parsed(text)

    def _parse_themes(self, t: Translate, inbound: Inbound) -> _Parsed | _Invalid:
        options = _choices(t, "themes")
        other: str | None = None
        if inbound.choices is not None or inbound.choice is not None:
            tokens = list(inbound.choices or ()) + ([inbound.choice] if inbound.choice else [])
        else:
            text = inbound.text or ""
            match = re.search(
                r"\b(anders|other)\s*:\s*(.+)$", text, flags=re.IGNORECASE | re.DOTALL
            )
            if match:
                other = clean_text(match.group(2))
                text = text[: match.start()] + " anders"
                if len(other) > _SHORT_TEXT_LIMITS["themes_other"]:
                    return _Invalid(
                        t(
                            "error.too_long",
                            length=len(other),
                            limit=_SHORT_TEXT_LIMITS["themes_other"],
                        )
                    )
            tokens = [
                tok for tok in re.split(r"\s*(?:,|;|/|\+|&|\ben\b|\band\b)\s*", text) if tok.strip()
            ]
        values: list[str] = []
        unknown: list[str] = []
        for token in tokens:
            value = token if token in THEMES else match_choice(token, options)
            if value is None:
                unknown.append(token)
            elif value not in values:
                values.append(value)
        if unknown or not values:
            return _Invalid(t("error.themes", unknown=", ".join(unknown) or "—"))
        ordered = [code for code in THEMES if code in values]
        return _Parsed(ordered, other=other or None)

    def _on_summary(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Reply:
        choice = inbound.choice or match_choice(
            inbound.text or "",
            (Choice("confirm", t("summary.confirm")), Choice("edit", t("summary.edit"))),
        )
        if choice is None and _command_word(inbound.text or "") in _YES | {"klopt", "correct"}:
            choice = "confirm"
        if choice == "confirm":
            name = conv.value("name") or ""
            done = replace(
                conv,
                step="done",
                completed=True,
                profile={**conv.profile, **conv.draft},
                draft={},
                context={},
            )
            return Reply(
                conversation=done,
                messages=(Text(t("summary.saved", name=name)), Text(t("summary.next"))),
                effects=(ProfileCommitted(),),
            )
        if choice == "edit":
            return self._start_edit(conv, t, None)
        return self._reject(conv, t, t("summary.unclear"))

    def _on_done(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Reply:
        return Reply(conversation=conv, messages=(Text(t("done.unknown_command")),), accepted=False)

    def _on_edit_menu(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        menu = self._edit_menu(conv, t)
        target = (
            inbound.choice
            if inbound.choice is not None
            else match_choice(inbound.text or "", menu.choices)
        )
        if target not in {c.value for c in menu.choices}:
            return self._reject(conv, t, t("error.choose_one"))
        if target == "cancel":
            return self._to(replace(conv, step=self._return_step(conv), context={}), t)
        return self._to(replace(conv, step=str(target)), t)

    def _on_pause_menu(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        options = self._pause_menu(conv, t)[-1]
        assert isinstance(options, Question)
        picked = (
            inbound.choice
            if inbound.choice is not None
            else match_choice(inbound.text or "", options.choices)
        )
        if picked not in {c.value for c in options.choices}:
            return self._reject(conv, t, t("error.choose_one"))
        back = replace(conv, step=self._return_step(conv), context={})
        if picked == "cancel":
            return self._to(back, t)
        if picked == "resume":
            back = replace(back, paused=False, paused_until=None)
            return self._to(
                back, t, before=(Text(t("pause.resumed")),), effects=(PauseChanged(False, None),)
            )
        days = _PAUSE_OPTIONS[str(picked)]
        until = today + timedelta(days=days) if days is not None else None
        back = replace(back, paused=True, paused_until=until)
        said = t("pause.set_until", date=_date(until)) if until else t("pause.set_open")
        return self._to(back, t, before=(Text(said),), effects=(PauseChanged(True, until),))

    def _on_language_menu(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        options = _choices(t, "language")
        picked = (
            inbound.choice
            if inbound.choice is not None
            else match_choice(inbound.text or "", options)
        )
        if picked == "cancel":
            return self._to(replace(conv, step=self._return_step(conv), context={}), t)
        if picked not in LANGUAGES:
            return self._reject(conv, t, t("error.choose_one"))
        lang = str(picked)
        back = replace(conv, language=lang, step=self._return_step(conv), context={})
        t2 = translator(lang)
        return self._to(
            back, t2, before=(Text(t2("language.changed")),), effects=(LanguageChosen(lang),)
        )

    def _on_follow_up(self, conv: Conversation, t: Translate, choice: str) -> Reply:
        """Buttons of a follow-up question: ``followup:<group>:<answer>`` or ``…:block:<person>``.

        They may be pressed at any step; the open question is asked again afterwards."""
        parts = choice.split(":")
        valid = len(parts) in (3, 4) and parts[1].isdigit()
        if valid and len(parts) == 3 and parts[2] in FOLLOW_UP_ANSWERS:
            effect = FollowUpAnswered(int(parts[1]), parts[2])
            said = t(f"follow_up.thanks.{parts[2]}")
        elif valid and len(parts) == 4 and parts[2] == "block" and parts[3].isdigit():
            effect = FollowUpAnswered(int(parts[1]), "not_a_fit", block=int(parts[3]))
            said = t("follow_up.blocked")
        else:
            return self._reject(conv, t, t("follow_up.unknown"))
        if not conv.consent:
            return self._reject(conv, t, t("error.needs_consent"))
        return self._to(conv, t, before=(Text(said),), effects=(effect,))

    def _on_review_choice(self, conv: Conversation, t: Translate, choice: str) -> Reply:
        """Review buttons: ``review:approve:<round>:<group>``, ``review:approve_all:<round>``,
        ``review:reject:<round>:<group>`` (which asks for a reason first),
        ``review:swap:<round>:<group>[:<member>]`` (pick a member, then see alternatives) and
        ``review:rearrange:<round>:<group>:<member>:<with or 0>:<to or 0>``."""
        parts = choice.split(":")
        numbers = [int(p) for p in parts[2:] if p.isdigit()]
        if len(numbers) != len(parts) - 2 or not numbers:
            return self._reject(conv, t, t("error.choose_one"))
        here = self._return_step(conv) if conv.step in _MENUS else conv.step
        if parts[1] == "approve" and len(numbers) == 2:
            effect = ReviewDecided("approve", numbers[0], numbers[1])
        elif parts[1] == "approve_all" and len(numbers) == 1:
            effect = ReviewDecided("approve", numbers[0], None)
        elif parts[1] == "reject" and len(numbers) == 2:
            context = {"round": numbers[0], "position": numbers[1], "return_to": here}
            return self._to(replace(conv, step="review_reason", context=context), t)
        elif parts[1] == "swap" and len(numbers) in (2, 3):
            member = numbers[2] if len(numbers) == 3 else None
            swap = SwapRequested(numbers[0], numbers[1], member)
            return Reply(conversation=replace(conv, step=here), messages=(), effects=(swap,))
        elif parts[1] == "rearrange" and len(numbers) == 5:
            round_id, position, member, with_person, to_position = numbers
            effect = ReviewDecided(
                "rearrange",
                round_id,
                position,
                member=member,
                with_person=with_person or None,
                to_position=to_position or None,
            )
        else:
            return self._reject(conv, t, t("error.choose_one"))
        return Reply(conversation=replace(conv, step=here), messages=(), effects=(effect,))

    def _on_checkin_choice(self, conv: Conversation, t: Translate, choice: str) -> Reply:
        """Check-in buttons: ``checkin:<id>:answer[:<field to update>]``, ``checkin:<id>:skip``."""
        parts = choice.split(":")
        if len(parts) < 3 or not parts[1].isdigit() or parts[2] not in ("answer", "skip"):
            return self._reject(conv, t, t("error.choose_one"))
        if not conv.consent:
            return self._reject(conv, t, t("error.needs_consent"))
        checkin_id = int(parts[1])
        here = self._return_step(conv) if conv.step in _MENUS else conv.step
        if parts[2] == "skip":
            return Reply(
                conversation=replace(conv, step=here),
                messages=(Text(t("checkin.skipped")),),
                effects=(CheckInAnswered(checkin_id, "skipped"),),
            )
        updates = parts[3] if len(parts) > 3 and parts[3] in ("phase", "ongemak") else ""
        context = {"checkin": checkin_id, "updates": updates, "return_to": here}
        return self._to(replace(conv, step="checkin_answer", context=context), t)

    def _on_checkin_answer(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        if inbound.choice == "cancel":
            return self._to(replace(conv, step=self._return_step(conv), context={}), t)
        text = clean_text(inbound.text or "")
        if not text:
            return self._reject(conv, t, t("error.type_answer"))
        limit = self.config.max_answer_length
        if len(text) > limit:
            return self._reject(conv, t, t("error.too_long", length=len(text), limit=limit))
        context = {**conv.context, "answer": text}
        return self._to(replace(conv, step="checkin_share", context=context), t)

    def _on_checkin_share(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        answer = inbound.choice or self._yes_no(inbound)
        shared = {"share": True, "yes": True, "private": False, "no": False}.get(answer or "")
        if shared is None:
            return self._reject(conv, t, t("error.choose_one"))
        effect = CheckInAnswered(
            int(conv.context["checkin"]), "answered", str(conv.context["answer"]), shared
        )
        effects: tuple[Effect, ...] = (effect,)
        if shared and not conv.sharing:
            # Choosing "share" is the explicit consent for this purpose, recorded as such.
            consent = ConsentDecided(True, SHARING, self.config.policy_version)
            effects = (consent, effect)
        thanks = Text(t("checkin.thanks_shared" if shared else "checkin.thanks_private"))
        if conv.context.get("updates"):
            return self._to(
                replace(conv, step="checkin_update"), t, before=(thanks,), effects=effects
            )
        back = replace(conv, step=self._return_step(conv), context={})
        return Reply(conversation=back, messages=(thanks,), effects=effects)

    def _on_checkin_update(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        back = replace(conv, step=self._return_step(conv), context={})
        effects: tuple[Effect, ...] = ()
        if conv.context.get("updates") == "phase":
            if inbound.choice in PHASES:
                effects = (AnswerGiven("phase", inbound.choice), ProfileCommitted())
            elif inbound.choice != "keep":
                return self._reject(conv, t, t("error.choose_one"))
        else:
            answer = inbound.choice or self._yes_no(inbound)
            if answer == "yes":
                effects = (AnswerGiven("ongemak", conv.context["answer"]), ProfileCommitted())
            elif answer != "no":
                return self._reject(conv, t, t("error.choose_one"))
        said = t("checkin.profile_updated") if effects else t("checkin.profile_kept")
        return Reply(conversation=back, messages=(Text(said),), effects=effects)

    def _on_review_reason(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        back = replace(conv, step=self._return_step(conv), context={})
        if inbound.choice == "cancel":
            return self._to(back, t)
        reason = clean_text(inbound.text or "")
        if not reason:
            return self._reject(conv, t, t("error.type_answer"))
        if len(reason) > 1000:
            return self._reject(conv, t, t("error.too_long", length=len(reason), limit=1000))
        effect = ReviewDecided(
            "reject", int(conv.context["round"]), int(conv.context["position"]), reason
        )
        return Reply(conversation=back, messages=(), effects=(effect,))

    def _on_confirm_forget(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        answer = self._yes_no(inbound)
        if answer == "yes":
            # What the person sees next is a fresh start: the caller erases everything stored.
            gone = Conversation(language=conv.language)
            return Reply(
                conversation=gone,
                messages=(Text(t("forget.done")),),
                effects=(ErasureRequested(),),
            )
        if answer == "no":
            return self._to(
                replace(conv, step=self._return_step(conv), context={}),
                t,
                before=(Text(t("forget.kept")),),
            )
        return self._reject(conv, t, t("error.choose_one"))

    def _on_confirm_stop(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Reply:
        answer = self._yes_no(inbound)
        if answer == "yes":
            stopped = replace(conv, step="stopped", consent=False, context={})
            return Reply(
                conversation=stopped,
                messages=(Text(t("stop.done")),),
                effects=(ConsentWithdrawn(MATCHING),),
            )
        if answer == "no":
            return self._to(replace(conv, step=self._return_step(conv), context={}), t)
        return self._reject(conv, t, t("error.choose_one"))


@dataclass(frozen=True)
class _Parsed:
    value: Any
    other: str | None = None


@dataclass(frozen=True)
class _Invalid:
    message: str


def _moment(value: datetime) -> str:
    return value.astimezone(_AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def _date(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else ""
