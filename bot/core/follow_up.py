"""The follow-up after an introduction: "hebben jullie elkaar gesproken?" has a button per answer
and one per other member never to be matched with again (built by the rounds service)."""

from __future__ import annotations

from typing import assert_never

from bot.core.actions import FollowUp, FollowUpAction, FollowUpBlock
from bot.core.conversation import Conversation, Move, reject, to
from bot.core.effects import FollowUpAnswered
from bot.core.i18n import Translate
from bot.core.messages import Text


def on_follow_up(conv: Conversation, t: Translate, action: FollowUpAction) -> Move:
    """A press at any step; the open question is asked again afterwards."""
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
    return to(conv, before=(Text(said),), effects=(effect,))
