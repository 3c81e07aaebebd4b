"""Commands a person can type at any step ("help", "profiel", "pauze", "vergeet mij" ...), in
Dutch and English, and the two small menus they open: pause and language.

A command is a detour: afterwards the open question is asked again (or the menu's, then that).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Final

from bot.core.conversation import DETOURS, Conversation, Move, reject, return_step, say, to
from bot.core.effects import (
    ExportRequested,
    LanguageChosen,
    MailChosen,
    PauseChanged,
    ReviewRequested,
    RoundRequested,
)
from bot.core.i18n import Translate, translator
from bot.core.intake import IntakeDialogue
from bot.core.messages import Choice, Inbound, Outbound, Question, Text
from bot.core.privacy import PrivacyDialogue
from bot.core.profile import choices, command_word, match_choice
from bot.core.vocabulary import LANGUAGES

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
    "mail uit": "mail_off",
    "e-mail uit": "mail_off",
    "email uit": "mail_off",
    "mail off": "mail_off",
    "email off": "mail_off",
    "e-mail off": "mail_off",
    "mail aan": "mail_on",
    "e-mail aan": "mail_on",
    "email aan": "mail_on",
    "mail on": "mail_on",
    "email on": "mail_on",
    "e-mail on": "mail_on",
}
_EDIT_PREFIXES: Final = ("wijzig ", "edit ", "change ")
_PAUSE_OPTIONS: Final[Mapping[str, int | None]] = {"2w": 14, "1m": 30, "3m": 91, "open": None}


def parse_command(text: str) -> tuple[str, str | None] | None:
    """The command a typed text is, with its argument ("wijzig naam" is edit + "naam")."""
    word = command_word(text)
    if word in _COMMANDS:
        return _COMMANDS[word], None
    for prefix in _EDIT_PREFIXES:
        if word.startswith(prefix):
            return "edit", word[len(prefix) :].strip()
    return None


class Commands:
    def __init__(self, intake: IntakeDialogue, privacy: PrivacyDialogue) -> None:
        self.intake = intake
        self.privacy = privacy

    def on_command(
        self, conv: Conversation, t: Translate, command: tuple[str, str | None], today: date
    ) -> Move:
        name, argument = command
        here = conv.step
        if here == "start":
            here = "consent"
        elif here in DETOURS:
            here = return_step(conv)
        detour = {"return_to": here}
        if name == "help":
            key = "help.text" if conv.consent else "help.text_before_consent"
            text = t(key)
            if conv.consent:
                text += "\n" + t("help.checkin")
            if conv.consent and conv.mail is not None:  # a web person we can also mail
                text += "\n" + t("help.mail")
            return to(replace(conv, step=here), before=(Text(text),))
        if name == "privacy":
            return to(replace(conv, step=here), before=self.privacy.overview(conv, t))
        if name == "export":  # the caller puts the download link before the open question
            return to(replace(conv, step=here), effects=(ExportRequested(),))
        if name == "forget":
            return to(replace(conv, step="confirm_forget", context=detour))
        if name == "language":
            return to(replace(conv, step="language_menu", context=detour))
        if name == "start":
            return to(replace(conv, step=here))
        if name == "review":
            return say(replace(conv, step=here), effects=(ReviewRequested(),))
        if name == "propose":
            return say(replace(conv, step=here), effects=(RoundRequested(),))
        if not conv.consent:
            if name == "stop":
                return say(replace(conv, step=here), Text(t("stop.nothing_stored")))
            return to(replace(conv, step=here), before=(Text(t("error.needs_consent")),))
        if name == "profile":
            if not conv.completed:
                return to(conv, before=(Text(t("profile.not_yet")),))
            before: list[Outbound] = [self.intake.card(conv, t, committed=True)]
            if any(conv.draft.get(k) != conv.profile.get(k) for k in conv.draft):
                before.append(Text(t("profile.pending_changes")))
            return to(conv, before=before)
        if name == "edit":
            return self.intake.start_edit(conv, t, argument)
        if name == "pause":
            return to(replace(conv, step="pause_menu", context=detour))
        if name in ("mail_off", "mail_on"):
            wanted = name == "mail_on"
            said = t("mail.chat.on" if wanted else "mail.chat.off")
            return to(conv, before=(Text(said),), effects=(MailChosen(wanted),))
        if name == "resume":
            if not conv.paused:
                return to(conv, before=(Text(t("pause.not_paused")),))
            resumed = replace(conv, paused=False, paused_until=None)
            return to(
                resumed, before=(Text(t("pause.resumed")),), effects=(PauseChanged(False, None),)
            )
        if name == "stop":
            return to(replace(conv, step="confirm_stop", context=detour))
        raise AssertionError(f"unhandled command {name}")  # pragma: no cover

    # the pause menu

    def prompt_pause(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
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

    def on_pause_menu(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Move:
        options = self.prompt_pause(conv, t)[-1]
        assert isinstance(options, Question)
        picked = (
            inbound.choice
            if inbound.choice is not None
            else match_choice(inbound.text or "", options.choices)
        )
        if picked not in {c.value for c in options.choices}:
            return reject(conv, t("error.choose_one"))
        back = replace(conv, step=return_step(conv), context={})
        if picked == "cancel":
            return to(back)
        if picked == "resume":
            back = replace(back, paused=False, paused_until=None)
            return to(
                back, before=(Text(t("pause.resumed")),), effects=(PauseChanged(False, None),)
            )
        days = _PAUSE_OPTIONS[str(picked)]
        until = today + timedelta(days=days) if days is not None else None
        back = replace(back, paused=True, paused_until=until)
        said = t("pause.set_until", date=_date(until)) if until else t("pause.set_open")
        return to(back, before=(Text(said),), effects=(PauseChanged(True, until),))

    # the language menu

    def prompt_language(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        return (
            Question(
                text=t("language.ask"),
                step="language_menu",
                choices=(*choices(t, "language"), Choice("cancel", t("common.back"))),
                free_text=False,
            ),
        )

    def on_language_menu(
        self, conv: Conversation, t: Translate, inbound: Inbound, today: date
    ) -> Move:
        options = choices(t, "language")
        picked = (
            inbound.choice
            if inbound.choice is not None
            else match_choice(inbound.text or "", options)
        )
        if picked == "cancel":
            return to(replace(conv, step=return_step(conv), context={}))
        if picked not in LANGUAGES:
            return reject(conv, t("error.choose_one"))
        language = str(picked)
        back = replace(conv, language=language, step=return_step(conv), context={})
        said = translator(language)("language.changed")
        return to(back, before=(Text(said),), effects=(LanguageChosen(language),))


def _date(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else ""
