"""Reflection check-ins: the question library, when a group's next check-in falls, and the
dialogue of answering one (write the answer, choose whether the group may see it, and perhaps
update the profile field the question was about).

No database, no clock of their own. Times are computed in Europe/Amsterdam (so a check-in stays
at 10:00 local time across the change to and from summer time), on working days, skipping Dutch
public holidays (the ``holidays`` package), and returned in UTC.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.core.actions import CheckInAction, CheckInAnswer, CheckInSkip, ProfileUpdate, encode
from bot.core.conversation import (
    SHARING,
    Conversation,
    CoreConfig,
    Move,
    OpenCheckIn,
    origin,
    reject,
    return_step,
    say,
    to,
)
from bot.core.effects import AnswerGiven, CheckInAnswered, ConsentDecided, Effect, ProfileCommitted
from bot.core.i18n import Translate
from bot.core.messages import Choice, Inbound, Outbound, Question, Text
from bot.core.profile import choices, clean_text, command_word, yes_no
from bot.core.vocabulary import PHASES

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: Local time of day a check-in is sent.
SEND_AT = time(10, 0)
DEFAULT_RHYTHM = "maandelijks"


@dataclass(frozen=True)
class Prompt:
    """A reflection question. Library prompts have a msgid; coordinators' own carry their text."""

    code: str
    #: Profile field the answer may update, with the person's agreement.
    updates: ProfileUpdate | None = None
    text_nl: str | None = None
    text_en: str | None = None

    def text(self, language: str, t: object) -> str:
        if self.code.startswith("lib:"):
            assert callable(t)
            return str(t(f"checkin.prompt.{self.code[4:]}"))
        if language == "en" and self.text_en:
            return self.text_en
        return self.text_nl or self.text_en or ""


#: Grounded in the seeds: "wat ben ik aan het doen en met wie?", beweging maken, fase
#: (randvoorwaarden of actiestand), ongemak, stip op de horizon, kiemen, het ecosysteem.
LIBRARY: tuple[Prompt, ...] = (
    Prompt("lib:doen_met_wie"),
    Prompt("lib:beweging"),
    Prompt("lib:fase", updates="phase"),
    Prompt("lib:ongemak", updates="ongemak"),
    Prompt("lib:stip"),
    Prompt("lib:kiemen"),
    Prompt("lib:ecosysteem"),
    Prompt("lib:rijk_regio"),
    Prompt("lib:klein_succes"),
    Prompt("lib:opgave"),
)


def next_prompt(available: Sequence[Prompt], used: Sequence[str]) -> Prompt:
    """The first prompt this group has not had; once all were asked, the one asked longest ago.

    ``used`` lists the codes the group got, oldest first."""
    if not available:
        raise ValueError("no prompts")
    seen = set(used)
    for prompt in available:
        if prompt.code not in seen:
            return prompt
    last_asked = {code: i for i, code in enumerate(used)}
    return min(available, key=lambda p: last_asked.get(p.code, -1))


INTERVALS = {"wekelijks": 7, "tweewekelijks": 14}


@cache
def _holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("NL", years=[year]).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_rhythm(day: date, rhythm: str) -> date:
    """One rhythm step later: a week, two weeks, or the same day next month (clipped)."""
    if rhythm in INTERVALS:
        return day + timedelta(days=INTERVALS[rhythm])
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def at_local(day: date, at: time = SEND_AT) -> datetime:
    """A local wall-clock time on ``day`` in Amsterdam, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=AMSTERDAM).astimezone(UTC)


def next_check_in(after: datetime, rhythm: str, *, at: time = SEND_AT) -> datetime:
    """When the next check-in after ``after`` is due: one rhythm step on, the next working day
    (no weekend, no Dutch public holiday), at ``at`` local time."""
    local_day = after.astimezone(AMSTERDAM).date()
    return at_local(next_working_day(add_rhythm(local_day, rhythm)), at)


def group_rhythm(preferences: Iterable[str | None]) -> str:
    """The group's rhythm: the most chosen; on a tie the calmer one; monthly by default."""
    order = ("maandelijks", "tweewekelijks", "wekelijks")
    counts = {r: 0 for r in order}
    for preference in preferences:
        if preference in counts:
            counts[preference] += 1
    if not any(counts.values()):
        return DEFAULT_RHYTHM
    return max(order, key=lambda r: (counts[r], -order.index(r)))


#: What a person may type to skip an open check-in question.
SKIP_WORDS = frozenset({"overslaan", "sla over", "skip", "sla deze over", "skip this"})


def checkin_question(t: Translate, open_: OpenCheckIn) -> Question:
    """A check-in question with its two buttons (answer, skip); typing an answer works too."""
    return Question(
        text=open_.text,
        step="checkin",
        choices=(
            Choice(encode(CheckInAnswer(open_.checkin_id, open_.updates)), t("checkin.answer")),
            Choice(encode(CheckInSkip(open_.checkin_id)), t("checkin.skip")),
        ),
        free_text=False,
        hint=t("checkin.privacy"),
    )


class CheckInDialogue:
    def __init__(self, config: CoreConfig) -> None:
        self.config = config

    def on_action(self, conv: Conversation, t: Translate, action: CheckInAction) -> Move:
        """The buttons under a check-in question; they work at any step."""
        if not conv.consent:
            return reject(conv, t("error.needs_consent"))
        here = origin(conv)
        match action:
            case CheckInSkip(checkin_id):
                return say(
                    replace(conv, step=here),
                    Text(t("checkin.skipped")),
                    effects=(CheckInAnswered(checkin_id, "skipped"),),
                )
            case CheckInAnswer(checkin_id, updates):
                context = {"checkin": checkin_id, "updates": updates or "", "return_to": here}
                return to(replace(conv, step="checkin_answer", context=context))
            case _:
                assert_never(action)

    def on_typed(self, conv: Conversation, t: Translate, text: str) -> Move:
        """A reply typed at rest while a check-in is open: the answer to it (or a skip), then
        the sharing choice as after the answer button."""
        open_ = conv.checkin
        assert open_ is not None
        if command_word(text) in SKIP_WORDS:
            return self.on_action(conv, t, CheckInSkip(open_.checkin_id))
        limit = self.config.max_answer_length
        if len(text) > limit:
            return reject(conv, t("error.too_long", length=len(text), limit=limit))
        context = {
            "checkin": open_.checkin_id,
            "updates": open_.updates or "",
            "return_to": origin(conv),
            "answer": text,
        }
        return to(replace(conv, step="checkin_share", context=context))

    # prompts

    def prompt_answer(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        return (
            Question(
                text=t("checkin.type_answer"),
                step="checkin_answer",
                choices=(Choice("cancel", t("common.back")),),
                max_length=self.config.max_answer_length,
            ),
        )

    def prompt_share(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        return (
            Question(
                text=t("checkin.share_ask"),
                step="checkin_share",
                choices=(
                    Choice("share", t("checkin.share_yes")),
                    Choice("private", t("checkin.share_no")),
                ),
                free_text=False,
            ),
        )

    def prompt_update(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        if conv.context.get("updates") == "phase":
            return (
                Question(
                    text=t("checkin.update_phase"),
                    step="checkin_update",
                    choices=(*choices(t, "phase"), Choice("keep", t("checkin.keep"))),
                    free_text=False,
                ),
            )
        return (
            Question(
                text=t("checkin.update_ongemak"),
                step="checkin_update",
                choices=(Choice("yes", t("common.yes")), Choice("no", t("common.no"))),
                free_text=False,
            ),
        )

    # steps

    def on_answer(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        if inbound.choice == "cancel":
            return to(replace(conv, step=return_step(conv), context={}))
        text = clean_text(inbound.text or "")
        if not text:
            return reject(conv, t("error.type_answer"))
        limit = self.config.max_answer_length
        if len(text) > limit:
            return reject(conv, t("error.too_long", length=len(text), limit=limit))
        context = {**conv.context, "answer": text}
        return to(replace(conv, step="checkin_share", context=context))

    def on_share(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        answer = inbound.choice or yes_no(inbound)
        shared = {"share": True, "yes": True, "private": False, "no": False}.get(answer or "")
        if shared is None:
            return reject(conv, t("error.choose_one"))
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
            return to(replace(conv, step="checkin_update"), before=(thanks,), effects=effects)
        back = replace(conv, step=return_step(conv), context={})
        return say(back, thanks, effects=effects)

    def on_update(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        back = replace(conv, step=return_step(conv), context={})
        effects: tuple[Effect, ...] = ()
        if conv.context.get("updates") == "phase":
            if inbound.choice in PHASES:
                effects = (AnswerGiven("phase", inbound.choice), ProfileCommitted())
            elif inbound.choice != "keep":
                return reject(conv, t("error.choose_one"))
        else:
            answer = inbound.choice or yes_no(inbound)
            if answer == "yes":
                effects = (AnswerGiven("ongemak", conv.context["answer"]), ProfileCommitted())
            elif answer != "no":
                return reject(conv, t("error.choose_one"))
        said = t("checkin.profile_updated") if effects else t("checkin.profile_kept")
        return say(back, Text(said), effects=effects)
