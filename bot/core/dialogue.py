"""The router: one entry point that answers any turn, as a pure function of a snapshot.

``Intake.respond(conversation, inbound)`` takes a snapshot of one person's conversation and one
inbound turn, and returns the messages to send, the effects to store and the next snapshot. It
does no I/O, so every platform shares it and tests read like transcripts.

A turn is routed in this order: a button action (:mod:`bot.core.actions`, pressed at any step),
then a typed command (:mod:`bot.core.commands`), then the answer to the open step, by the table
of steps below. Each step has a question and a handler in one dialogue module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import assert_never

from bot.core.actions import (
    Action,
    CheckInAnswer,
    CheckInSkip,
    FollowUp,
    FollowUpBlock,
    PrivacyExport,
    PrivacyForget,
    PrivacyInsights,
    PrivacyLessons,
    PrivacySharing,
    PrivacyStopMatching,
    ReviewApprove,
    ReviewApproveAll,
    ReviewRearrange,
    ReviewReject,
    ReviewSwap,
    decode,
    family,
)
from bot.core.checkins import CheckInDialogue
from bot.core.commands import Commands, parse_command
from bot.core.conversation import Conversation, CoreConfig, Move, Reply, reject, to
from bot.core.follow_up import on_follow_up, on_reason, prompt_reason
from bot.core.i18n import Translate, translator
from bot.core.intake import IntakeDialogue
from bot.core.messages import Card, Inbound, Outbound, Text
from bot.core.privacy import PrivacyDialogue
from bot.core.profile import FIELDS, clean_text
from bot.core.review import ReviewDialogue

Ask = Callable[[Conversation, Translate], tuple[Outbound, ...]]
Answer = Callable[[Conversation, Translate, Inbound, date], Move]


@dataclass(frozen=True)
class Step:
    """One step of a conversation: its question, and how an answer to it is handled."""

    ask: Ask
    answer: Answer


class Intake:
    """Answers one turn at a time, for every dialogue. Holds only configuration, never a
    person's state."""

    def __init__(self, config: CoreConfig | None = None) -> None:
        self.config = config or CoreConfig()
        self._privacy = PrivacyDialogue(self.config)
        self._intake = IntakeDialogue(self.config, self._privacy)
        self._commands = Commands(self._intake, self._privacy)
        self._review = ReviewDialogue()
        self._checkins = CheckInDialogue(self.config)
        intake, commands, privacy = self._intake, self._commands, self._privacy
        checkins = self._checkins
        self.steps: Mapping[str, Step] = {
            "start": Step(intake.prompt_consent, intake.on_start),
            "consent": Step(intake.prompt_consent_only, intake.on_consent),
            "declined": Step(intake.prompt_again, intake.on_declined),
            "stopped": Step(intake.prompt_again, intake.on_declined),
            **{name: Step(intake.prompt_field, intake.on_field) for name in FIELDS},
            "summary": Step(intake.prompt_summary, intake.on_summary),
            "done": Step(intake.prompt_done, intake.on_done),
            "edit_menu": Step(intake.prompt_edit_menu, intake.on_edit_menu),
            "pause_menu": Step(commands.prompt_pause, commands.on_pause_menu),
            "language_menu": Step(commands.prompt_language, commands.on_language_menu),
            "review_reason": Step(self._review.prompt_reason, self._review.on_reason),
            "checkin_answer": Step(checkins.prompt_answer, checkins.on_answer),
            "checkin_share": Step(checkins.prompt_share, checkins.on_share),
            "checkin_update": Step(checkins.prompt_update, checkins.on_update),
            "confirm_stop": Step(privacy.prompt_confirm_stop, privacy.on_confirm_stop),
            "confirm_forget": Step(privacy.prompt_confirm_forget, privacy.on_confirm_forget),
            "follow_up_reason": Step(prompt_reason, on_reason),
        }

    # public entry points

    def respond(self, conv: Conversation, inbound: Inbound, *, today: date) -> Reply:
        move = self._route(conv, inbound, today)
        said = move.said
        if move.ask:
            t = translator(move.conversation.language)
            asked = self.prompt(move.conversation, t)
            if not said and not asked:  # back at rest with nothing else to say (a menu left)
                asked = (Text(t("done.prompt")),)
            said = (*said, *asked)
        return Reply(
            conversation=move.conversation,
            messages=said,
            effects=move.effects,
            accepted=move.accepted,
        )

    def resume(self, conv: Conversation, *, welcome: bool = True) -> tuple[Outbound, ...]:
        """What to show when a person comes back (page reload, restart): where they were, with
        a welcome back only when ``welcome`` (the caller decides: after being away a while)."""
        t = translator(conv.language)
        if conv.step == "start":
            return self.prompt(conv, t)
        open_question = self.prompt(conv, t) or (Text(t("done.prompt")),)
        if not welcome:
            return open_question
        name = conv.value("name") if conv.consent else None
        hello = t("resume.welcome_name", name=name) if name else t("resume.welcome")
        return (Text(hello, tone="notice"), *open_question)

    def profile_card(self, conv: Conversation) -> Card:
        """The confirmed profile as a card (for a home page such as Slack's App Home)."""
        return self._intake.card(conv, translator(conv.language), committed=True)

    def prompt(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        """The open question of the step ``conv`` is at (nothing for an unknown step)."""
        step = self.steps.get(conv.step)
        return step.ask(conv, t) if step is not None else ()

    # routing

    def _route(self, conv: Conversation, inbound: Inbound, today: date) -> Move:
        t = translator(conv.language)
        if inbound.is_empty:
            return reject(conv, t("error.empty"))
        if inbound.choice:
            action = decode(inbound.choice)
            if action is not None:
                return self._on_action(conv, t, action)
            claimed = family(inbound.choice)
            if claimed == "followup":
                return reject(conv, t("follow_up.unknown"))
            if claimed == "privacy":
                return self._privacy.on_unknown(conv, t, inbound.choice)
            if claimed is not None:
                return reject(conv, t("error.choose_one"))
        if inbound.text is not None and inbound.choice is None and inbound.choices is None:
            text = clean_text(inbound.text)
            if not text:
                return reject(conv, t("error.empty"))
            command = parse_command(text)
            if command is not None:
                return self._commands.on_command(conv, t, command, today)
            if conv.checkin is not None and conv.consent and conv.step == "done":
                return self._checkins.on_typed(conv, t, text)  # the answer to the open question
            inbound = Inbound(text=text)
        step = self.steps.get(conv.step)
        if step is None:  # an unknown step from an older version: start over safely
            return to(replace(conv, step="start", context={}))
        return step.answer(conv, t, inbound, today)

    def _on_action(self, conv: Conversation, t: Translate, action: Action) -> Move:
        match action:
            case (
                ReviewApprove()
                | ReviewApproveAll()
                | ReviewReject()
                | ReviewSwap()
                | ReviewRearrange()
            ):
                return self._review.on_action(conv, t, action)
            case FollowUp() | FollowUpBlock():
                return on_follow_up(conv, t, action)
            case CheckInAnswer() | CheckInSkip():
                return self._checkins.on_action(conv, t, action)
            case (
                PrivacyStopMatching()
                | PrivacySharing()
                | PrivacyExport()
                | PrivacyForget()
                | PrivacyInsights()
                | PrivacyLessons()
            ):
                return self._privacy.on_action(conv, t, action)
            case _:
                assert_never(action)
