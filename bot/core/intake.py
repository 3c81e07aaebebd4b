"""The intake: consent, the profile questions one by one, the summary to confirm, and editing.

The order follows the Participatietafel's questions: who are you and where do you work, which
transition agenda, in which phase is your opgave, and then the free texts the matcher needs: what
you work on (your kiem), what you seek in a maatje, what you offer, and which ongemak you run into.
Answers are drafts until the person confirms the summary (ProfileCommitted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from bot.core.checkins import checkin_question
from bot.core.conversation import (
    DETOURS,
    INSIGHTS,
    MATCHING,
    Conversation,
    CoreConfig,
    Move,
    reject,
    return_step,
    say,
    to,
)
from bot.core.effects import (
    AnswerGiven,
    ConsentDecided,
    Effect,
    LanguageChosen,
    ProfileCommitted,
)
from bot.core.i18n import Translate, format_day, translator
from bot.core.messages import Card, CardField, Choice, Inbound, Outbound, Question, Text
from bot.core.privacy import PrivacyDialogue
from bot.core.profile import (
    CHOICE_FIELDS,
    FIELDS,
    LONG_TEXTS,
    OPTIONAL,
    YES,
    Invalid,
    choices,
    command_word,
    label,
    limit,
    match_choice,
    parse_field,
    yes_no,
)


class IntakeDialogue:
    def __init__(self, config: CoreConfig, privacy: PrivacyDialogue) -> None:
        self.config = config
        self.privacy = privacy

    # prompts

    def prompt_consent(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        return self._consent_question(t, greeting=True)

    def prompt_consent_only(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        """The consent question again (after help, the privacy notice, an unclear answer): the
        welcome was said once, at the start."""
        return self._consent_question(t, greeting=False)

    def prompt_again(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        """After declining or stopping: the consent question, for whoever changes their mind."""
        return (Text(t(f"{conv.step}.again")), *self._consent_question(t, greeting=False))

    def _consent_question(self, t: Translate, *, greeting: bool) -> tuple[Outbound, ...]:
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
        return (self.greeting(t), question) if greeting else (question,)

    def greeting(self, t: Translate) -> Text:
        """The welcome, said once: who Maatjes is, and whom it serves when the operator named it."""
        text = t("greeting")
        if self.config.community_name:
            text += " " + t("greeting.community", community=self.config.community_name)
        return Text(text)

    def prompt_field(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        step = conv.step
        hint = None
        if step in LONG_TEXTS:
            hint = t("intake.long_text.hint", limit=self.config.max_answer_length)
        options: tuple[Choice, ...] = ()
        if step in CHOICE_FIELDS or step == "themes":
            options = choices(t, step)
        elif step in OPTIONAL:
            options = (Choice("skip", t("common.skip")),)
        question = Question(
            text=t(f"intake.{step}.ask", name=conv.value("name") or ""),
            step=step,
            choices=options,
            multiple=step == "themes",
            free_text=step not in CHOICE_FIELDS or step == "language",
            max_length=limit(step, self.config.max_answer_length),
            hint=hint,
        )
        return (question,)

    def prompt_summary(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        card = replace(
            self.card(conv, t, committed=False),
            choices=(Choice("confirm", t("summary.confirm")), Choice("edit", t("summary.edit"))),
        )
        return (Text(t("summary.intro")), card)

    def prompt_done(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        """At rest nothing is asked, except an open check-in question (its buttons stay live)."""
        if conv.checkin is not None and conv.consent:
            return (checkin_question(t, conv.checkin),)
        return ()

    def prompt_edit_menu(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        return (self._edit_menu(conv, t),)

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

    def card(self, conv: Conversation, t: Translate, *, committed: bool) -> Card:
        """The profile as a card: the confirmed one, or as it will be (changes marked)."""
        fields: list[CardField] = []
        for name in FIELDS:
            if name == "themes_other":
                continue
            value = conv.profile.get(name) if committed and name != "language" else conv.value(name)
            shown = label(t, name, value)
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

    # steps

    def on_start(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        # The greeting may have been shown on resume (not a stored step): a yes/no answers it.
        if yes_no(inbound):
            return self.on_consent(conv, t, inbound, today)
        return to(replace(conv, step="consent"), before=(self.greeting(t),))

    def on_declined(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        """Also after stopping: a yes or no answers the consent question shown again."""
        return self.on_consent(conv, t, inbound, today) if yes_no(inbound) else to(conv)

    def on_consent(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        answer = yes_no(inbound)
        if answer == "privacy":
            return to(replace(conv, step="consent"), before=(Text(self.privacy.notice(t)),))
        if answer is None:
            return reject(replace(conv, step="consent"), t("consent.unclear"))
        version = self.config.policy_version
        if answer == "no":
            return say(
                replace(conv, step="declined", consent=False, context={}),
                Text(t("consent.declined")),
                effects=(ConsentDecided(False, MATCHING, version),),
            )
        given = replace(conv, consent=True, context={})
        if conv.completed:
            return to(
                replace(given, step="done"),
                before=(Text(t("consent.welcome_back")), Text(t("done.prompt"))),
                effects=(ConsentDecided(True, MATCHING, version),),
            )
        first = next(
            (name for name in FIELDS if not given.answered(name) and name != "themes_other"),
            "summary",
        )
        return to(
            replace(given, step=first),
            before=(Text(t("consent.thanks")),),
            effects=(ConsentDecided(True, MATCHING, version),),
        )

    def on_field(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        step = conv.step
        parsed = parse_field(t, step, inbound, self.config.max_answer_length)
        if isinstance(parsed, Invalid):
            return reject(conv, parsed.message)
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
        editing = "return_to" in conv.context
        context: Mapping[str, Any] = {}
        if step == "themes" and "anders" in parsed.value and not updated.value("themes_other"):
            nxt, context = "themes_other", conv.context
        elif editing:
            nxt = return_step(conv)
        else:
            nxt = _next_field(updated, step)
        if step == "language":
            before.append(Text(translator(language)("language.changed")))
        return to(replace(updated, step=nxt, context=context), before=before, effects=effects)

    def on_summary(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        choice = inbound.choice or match_choice(
            inbound.text or "",
            (Choice("confirm", t("summary.confirm")), Choice("edit", t("summary.edit"))),
        )
        if choice is None and command_word(inbound.text or "") in YES | {"klopt", "correct"}:
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
            upcoming = (
                t("summary.next_on", date=format_day(conv.next_round, conv.language))
                if conv.next_round is not None
                else t("summary.next")
            )
            said: tuple[Outbound, ...] = (Text(t("summary.saved", name=name)), Text(upcoming))
            if not conv.decided(INSIGHTS):  # asked once, right after the profile is saved
                said = (*said, self.privacy.insights_question(t))
            return say(done, *said, effects=(ProfileCommitted(),))
        if choice == "edit":
            return self.start_edit(conv, t, None)
        return reject(conv, t("summary.unclear"))

    def on_done(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        return Move(conv, (Text(t("done.unknown_command")),), accepted=False, ask=False)

    def on_edit_menu(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        menu = self._edit_menu(conv, t)
        target = (
            inbound.choice
            if inbound.choice is not None
            else match_choice(inbound.text or "", menu.choices)
        )
        if target not in {c.value for c in menu.choices}:
            return reject(conv, t("error.choose_one"))
        if target == "cancel":
            return to(replace(conv, step=return_step(conv), context={}))
        return to(replace(conv, step=str(target)))

    def start_edit(self, conv: Conversation, t: Translate, argument: str | None) -> Move:
        """The edit menu, or straight to the field named in ``argument`` ("wijzig naam")."""
        if conv.step in DETOURS:
            return_to = return_step(conv)
        elif conv.step in FIELDS and not conv.completed:
            return_to = conv.step
        else:
            return_to = "summary"
        context = {"return_to": return_to}
        menu = replace(conv, step="edit_menu", context=context)
        if argument:
            target = match_choice(argument, self._edit_menu(menu, t).choices)
            if target and target != "cancel":
                return to(replace(conv, step=target, context=context))
        return to(menu)


def _next_field(conv: Conversation, after: str) -> str:
    for name in FIELDS[FIELDS.index(after) + 1 :]:
        if name == "themes_other" and (
            "anders" not in (conv.value("themes") or ()) or conv.value("themes_other")
        ):
            continue  # only asked when "anders" was chosen without saying what it is
        return name
    return "summary"
