"""The follow-up after an introduction: "hebben jullie elkaar gesproken?" has a button per answer
and one per other member never to be matched with again (built by the rounds service). After
"not yet" or "not a fit" the person may say why in a word or two, or skip it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Final, assert_never

from bot.core.actions import FollowUp, FollowUpAction, FollowUpBlock
from bot.core.conversation import Conversation, Move, origin, reject, return_step, to
from bot.core.effects import FollowUpAnswered, FollowUpReasonGiven
from bot.core.i18n import Translate
from bot.core.messages import Choice, Inbound, Outbound, Question, Text
from bot.core.profile import clean_text, command_word

#: The longest reason kept ("in a word or two"); a longer one is refused, not cut.
REASON_LIMIT: Final = 200
#: What a person may type to give no reason.
SKIP_WORDS: Final = frozenset({"sla over", "overslaan", "skip", "nee", "no", "liever niet"})


def on_follow_up(conv: Conversation, t: Translate, action: FollowUpAction) -> Move:
    """A press at any step; the open question is asked again afterwards (after "not yet" or
    "not a fit": first the optional question why)."""
    if not conv.consent:
        return reject(conv, t("error.needs_consent"))
    match action:
        case FollowUp(group_id, answer):
            effect = FollowUpAnswered(group_id, answer)
            said = t(f"follow_up.thanks.{answer}")
        case FollowUpBlock(group_id, person_id):
            effect = FollowUpAnswered(group_id, "not_a_fit", block=person_id)
            said = t("follow_up.blocked")
        case _:
            assert_never(action)
    if effect.answer == "met":
        return to(conv, before=(Text(said),), effects=(effect,))
    context = {"follow_up": effect.group_id, "return_to": origin(conv)}
    asking = replace(conv, step="follow_up_reason", context=context)
    return to(asking, before=(Text(said),), effects=(effect,))


def prompt_reason(conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
    return (
        Question(
            text=t("follow_up.reason_ask"),
            step="follow_up_reason",
            choices=(Choice("skip", t("follow_up.reason_skip")),),
            max_length=REASON_LIMIT,
            hint=t("follow_up.reason_hint"),
        ),
    )


def on_reason(conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
    """The word or two why, or a skip; either way back to where the person was."""
    back = replace(conv, step=return_step(conv), context={})
    text = clean_text(inbound.text or "")
    if inbound.choice == "skip" or command_word(text) in SKIP_WORDS:
        return to(back, before=(Text(t("follow_up.reason_skipped")),))
    if not text:
        return reject(conv, t("error.type_answer"))
    if len(text) > REASON_LIMIT:
        return reject(conv, t("follow_up.reason_too_long", length=len(text), limit=REASON_LIMIT))
    group_id = conv.context.get("follow_up")
    if not isinstance(group_id, int):  # a snapshot from elsewhere: nothing to keep it with
        return to(back)
    effect = FollowUpReasonGiven(group_id, text)
    return to(back, before=(Text(t("follow_up.reason_thanks")),), effects=(effect,))
