"""Review in chat: a round described once as cards with buttons (every platform renders these),
and what a coordinator's press on one of them decides.

Deciding itself (checking the role, storing, introducing) is the caller's: the core turns each
button into a ReviewDecided or SwapRequested effect, after asking a reason for a rejection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, Final, assert_never

from bot.core.actions import (
    ReviewAction,
    ReviewApprove,
    ReviewApproveAll,
    ReviewRearrange,
    ReviewReject,
    ReviewSwap,
    encode,
)
from bot.core.conversation import Conversation, Move, origin, reject, return_step, say, to
from bot.core.effects import ReviewDecided, SwapRequested
from bot.core.i18n import Translate
from bot.core.messages import Card, CardField, Choice, Inbound, Outbound, Question, Text
from bot.core.profile import clean_text

REASON_LIMIT: Final = 1000


def review_messages(view: Mapping[str, Any], t: Translate) -> list[Outbound]:
    """The open groups of a round as cards (members, explanation, score) with review buttons."""
    round_id = view["id"]
    open_groups = [g for g in view["groups"] if g["status"] == "proposed"]
    messages: list[Outbound] = [
        Text(
            t(
                "review.intro",
                id=round_id,
                open=len(open_groups),
                total=len(view["groups"]),
                mean=f"{view['mean_score']:.0f}",
            )
        )
    ]
    for group in open_groups:
        position = group["position"]
        fields = [
            CardField(
                label=person["name"] or "?",
                value=" · ".join(
                    part
                    for part in (
                        person["organisation"] or "",
                        t(f"vocab.group.{person['group']}") if person["group"] else "",
                        t(f"vocab.region.{person['region']}") if person["region"] else "",
                        ", ".join(t(f"vocab.theme.{code}") for code in person["themes"]),
                        t(f"vocab.phase.{person['phase']}") if person["phase"] else "",
                    )
                    if part
                ),
            )
            for person in group["people"]
        ]
        fields.append(
            CardField(
                label=t("review.score"),
                value=f"{group['score']:.0f} ({group['score_vs_round']:+.0f})",
            )
        )
        messages.append(
            Card(
                title=t(
                    "review.group_title",
                    kind=t(f"dashboard.kind.{group['kind']}"),
                    position=position,
                ),
                fields=tuple(fields),
                footer=group["explanation"],
                choices=(
                    Choice(encode(ReviewApprove(round_id, position)), t("review.approve")),
                    Choice(encode(ReviewReject(round_id, position)), t("review.reject")),
                    Choice(encode(ReviewSwap(round_id, position)), t("review.swap")),
                ),
            )
        )
    if len(open_groups) > 1:
        messages.append(
            Card(
                title=t("review.all_title"),
                choices=(Choice(encode(ReviewApproveAll(round_id)), t("review.approve_all")),),
            )
        )
    return messages


def swap_member_card(round_id: int, group: Mapping[str, Any], t: Translate) -> Card:
    """Which member to swap or move: one button per member."""
    return Card(
        title=t("review.swap_which", position=group["position"]),
        choices=tuple(
            Choice(
                encode(ReviewSwap(round_id, group["position"], person["id"])),
                person["name"] or "?",
            )
            for person in group["people"]
        ),
    )


def alternatives_card(
    round_id: int,
    position: int,
    member: int,
    options: Sequence[Any],
    names: Mapping[int, str],
    t: Translate,
) -> Outbound:
    """The best alternatives for one member, each a button with its effect on the score."""
    if not options:
        return Text(t("dashboard.alt.none"))
    fields = []
    choices = []
    for number, option in enumerate(options, start=1):
        if option.kind == "swap":
            label = t(
                "dashboard.alt.swap",
                name=names.get(option.with_person, "?"),
                group=option.other_position,
            )
        elif option.kind == "replace":
            label = t("dashboard.alt.replace", name=names.get(option.with_person, "?"))
        else:
            label = t("dashboard.alt.move", group=option.other_position)
        fields.append(
            CardField(
                label=f"{number}. {label}",
                value=t(
                    "dashboard.alt.effect",
                    delta=f"{option.delta:+.2f}",
                    after=f"{option.score_after:.0f}",
                ),
            )
        )
        moved_to = option.other_position if option.kind == "move" else None
        action = ReviewRearrange(
            round_id, position, member, option.with_person or None, moved_to or None
        )
        choices.append(Choice(encode(action), f"{number}. {label}"))
    return Card(
        title=t("dashboard.alt.title", name=names.get(member, "?")),
        fields=tuple(fields),
        choices=tuple(choices),
    )


class ReviewDialogue:
    """A coordinator's presses on review cards; they work at any step."""

    def on_action(self, conv: Conversation, t: Translate, action: ReviewAction) -> Move:
        here = replace(conv, step=origin(conv))
        match action:
            case ReviewApprove(round_id, position):
                return say(here, effects=(ReviewDecided("approve", round_id, position),))
            case ReviewApproveAll(round_id):
                return say(here, effects=(ReviewDecided("approve", round_id, None),))
            case ReviewReject(round_id, position):
                context = {"round": round_id, "position": position, "return_to": here.step}
                return to(replace(conv, step="review_reason", context=context))
            case ReviewSwap(round_id, position, member):
                return say(here, effects=(SwapRequested(round_id, position, member),))
            case ReviewRearrange(round_id, position, member, with_person, to_position):
                decided = ReviewDecided(
                    "rearrange",
                    round_id,
                    position,
                    member=member,
                    with_person=with_person,
                    to_position=to_position,
                )
                return say(here, effects=(decided,))
            case _:
                assert_never(action)

    def prompt_reason(self, conv: Conversation, t: Translate) -> tuple[Outbound, ...]:
        return (
            Question(
                text=t("review.reason", position=conv.context.get("position", "?")),
                step="review_reason",
                choices=(Choice("cancel", t("common.back")),),
                max_length=REASON_LIMIT,
            ),
        )

    def on_reason(self, conv: Conversation, t: Translate, inbound: Inbound, today: date) -> Move:
        back = replace(conv, step=return_step(conv), context={})
        if inbound.choice == "cancel":
            return to(back)
        reason = clean_text(inbound.text or "")
        if not reason:
            return reject(conv, t("error.type_answer"))
        if len(reason) > REASON_LIMIT:
            return reject(conv, t("error.too_long", length=len(reason), limit=REASON_LIMIT))
        decided = ReviewDecided(
            "reject", int(conv.context["round"]), int(conv.context["position"]), reason
        )
        return say(back, effects=(decided,))
