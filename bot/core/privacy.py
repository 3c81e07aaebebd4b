"""Privacy in the conversation: the notice, the overview of one's consents with its buttons, and
the two confirmations that end something: stop (withdraw consent for matching) and forget me."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Final, assert_never
from zoneinfo import ZoneInfo

from bot.core.actions import (
    PrivacyAction,
    PrivacyExport,
    PrivacyForget,
    PrivacyInsights,
    PrivacyLessons,
    PrivacySharing,
    PrivacyStopMatching,
    encode,
)
from bot.core.conversation import (
    INSIGHTS,
    MATCHING,
    PURPOSES,
    QUOTING,
    SHARING,
    Conversation,
    CoreConfig,
    Move,
    origin,
    reject,
    return_step,
    say,
    to,
)
from bot.core.effects import (
    ConsentDecided,
    ConsentWithdrawn,
    Effect,
    ErasureRequested,
    ExportRequested,
)
from bot.core.i18n import Translate
from bot.core.messages import Card, CardField, Choice, Inbound, Outbound, Question, Text
from bot.core.profile import yes_no

_AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")


class PrivacyDialogue:
    def __init__(self, config: CoreConfig) -> None:
        self.config = config

    def notice(self, t: Translate) -> str:
        return t(
            "privacy.notice",
            version=self.config.policy_version,
            contact=self.config.privacy_contact,
            days=self.config.retention_days,
        )

    def overview(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        """The notice, then each purpose with its latest decision (when, which policy version)
        and the buttons to change it, take one's data or be forgotten."""
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
        if conv.mail is not None:
            state = t("privacy.mail.on" if conv.mail else "privacy.mail.off")
            fields.append(CardField(label=t("privacy.mail"), value=state))
        choices: list[Choice] = []
        if conv.consent:
            choices.append(Choice(encode(PrivacyStopMatching()), t("privacy.matching_off")))
            if conv.sharing:
                choices.append(Choice(encode(PrivacySharing(False)), t("privacy.sharing_off")))
            else:
                choices.append(Choice(encode(PrivacySharing(True)), t("privacy.sharing_on")))
            if conv.live(INSIGHTS):
                choices.append(Choice(encode(PrivacyInsights(False)), t("privacy.insights_off")))
                if conv.live(QUOTING):
                    off = PrivacyInsights(False, quoting=True)
                    choices.append(Choice(encode(off), t("privacy.quoting_off")))
                else:
                    on = PrivacyInsights(True, quoting=True)
                    choices.append(Choice(encode(on), t("privacy.quoting_on")))
            else:
                choices.append(Choice(encode(PrivacyInsights(True)), t("privacy.insights_on")))
        choices += [
            Choice(encode(PrivacyExport()), t("privacy.export")),
            Choice(encode(PrivacyForget()), t("privacy.forget")),
        ]
        card = Card(
            title=t("privacy.consents"),
            fields=tuple(fields),
            choices=tuple(choices),
            footer=t("privacy.footer"),
        )
        return (Text(self.notice(t)), card)

    # the buttons of the overview: they work at any step, then the open question is asked again

    def on_action(self, conv: Conversation, t: Translate, action: PrivacyAction) -> Move:
        here = _here(conv)
        stay = replace(conv, step=here)
        match action:
            case PrivacyExport():
                return to(stay, effects=(ExportRequested(),))
            case PrivacyForget():
                return to(replace(conv, step="confirm_forget", context={"return_to": here}))
            case PrivacyStopMatching() if conv.consent:
                return to(replace(conv, step="confirm_stop", context={"return_to": here}))
            case PrivacySharing(given) if conv.consent:
                effect: Effect
                if given:
                    effect = ConsentDecided(True, SHARING, self.config.policy_version)
                    said = t("privacy.sharing_given")
                else:
                    effect = ConsentWithdrawn(SHARING)
                    said = t("privacy.sharing_withdrawn")
                return to(stay, before=(Text(said),), effects=(effect,))
            case PrivacyInsights(given, quoting) if conv.consent:
                return to(
                    stay,
                    before=(Text(t(_INSIGHTS_SAID[quoting, given])),),
                    effects=self._insights_effects(given, quoting=quoting),
                )
            case PrivacyLessons(choice) if conv.consent:
                thanks = Text(t(f"insights.consent.done.{choice}"))
                return to(stay, before=(thanks,), effects=self._lessons_effects(choice))
            case PrivacyStopMatching() | PrivacySharing() | PrivacyInsights() | PrivacyLessons():
                return reject(stay, t("error.needs_consent"))
            case _:
                assert_never(action)

    def on_unknown(self, conv: Conversation, t: Translate, value: str) -> Move:
        """A ``privacy:`` value that is not one of the buttons (damaged or from elsewhere)."""
        stay = replace(conv, step=_here(conv))
        if not conv.consent and value.startswith(
            (
                "privacy:matching",
                "privacy:sharing",
                "privacy:insights",
                "privacy:quoting",
                "privacy:lessons",
            )
        ):
            return reject(stay, t("error.needs_consent"))
        return reject(stay, t("error.choose_one"))

    def _insights_effects(self, given: bool, *, quoting: bool) -> tuple[Effect, ...]:
        """Withdrawing the lessons withdraws being quoted too; being quoted means counting."""
        version = self.config.policy_version
        if given:
            purposes = (INSIGHTS, QUOTING) if quoting else (INSIGHTS,)
            return tuple(ConsentDecided(True, purpose, version) for purpose in purposes)
        return (
            (ConsentWithdrawn(QUOTING),)
            if quoting
            else (
                ConsentWithdrawn(INSIGHTS),
                ConsentWithdrawn(QUOTING),
            )
        )

    # the lessons of the community: asked once, after the profile is first saved

    def insights_question(self, t: Translate) -> Question:
        """Buttons that work at any step: the person is at rest when it is asked."""
        return Question(
            text=t("insights.consent.ask"),
            step="insights_consent",
            choices=tuple(
                Choice(encode(PrivacyLessons(choice)), t(f"insights.consent.{choice}"))
                for choice in ("quote", "count", "no")
            ),
            free_text=False,
        )

    def _lessons_effects(self, choice: str) -> tuple[Effect, ...]:
        version = self.config.policy_version
        if choice == "no":
            return (
                ConsentDecided(False, INSIGHTS, version),
                ConsentDecided(False, QUOTING, version),
            )
        return (
            ConsentDecided(True, INSIGHTS, version),
            ConsentDecided(choice == "quote", QUOTING, version),
        )

    # the confirmations

    def prompt_confirm_stop(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        return (
            Question(
                text=t("stop.confirm"),
                step="confirm_stop",
                choices=(Choice("yes", t("stop.yes")), Choice("no", t("stop.no"))),
                free_text=False,
            ),
        )

    def prompt_confirm_forget(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        return (
            Question(
                text=t("forget.confirm"),
                step="confirm_forget",
                choices=(Choice("yes", t("forget.yes")), Choice("no", t("forget.no"))),
                free_text=False,
            ),
        )

    def on_confirm_stop(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Move:
        answer = yes_no(inbound)
        if answer == "yes":
            stopped = replace(conv, step="stopped", consent=False, context={})
            return say(stopped, Text(t("stop.done")), effects=(ConsentWithdrawn(MATCHING),))
        if answer == "no":
            return to(replace(conv, step=return_step(conv), context={}))
        return reject(conv, t("error.choose_one"))

    def on_confirm_forget(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Move:
        answer = yes_no(inbound)
        if answer == "yes":
            # What the person sees next is a fresh start: the caller erases everything stored.
            gone = Conversation(language=conv.language)
            return say(gone, Text(t("forget.done")), effects=(ErasureRequested(),))
        if answer == "no":
            return to(
                replace(conv, step=return_step(conv), context={}),
                before=(Text(t("forget.kept")),),
            )
        return reject(conv, t("error.choose_one"))


_INSIGHTS_SAID: Final = {
    (False, True): "privacy.insights_given",
    (False, False): "privacy.insights_withdrawn",
    (True, True): "privacy.quoting_given",
    (True, False): "privacy.quoting_withdrawn",
}


def _here(conv: Conversation) -> str:
    here = origin(conv)
    return "consent" if here == "start" else here


def _moment(value: datetime) -> str:
    return value.astimezone(_AMSTERDAM).strftime("%d-%m-%Y %H:%M")
