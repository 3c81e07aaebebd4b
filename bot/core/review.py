"""A round for review, described once as cards with buttons; every platform renders these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.i18n import Translate
from bot.core.messages import Card, CardField, Choice, Outbound, Text


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
                mean=f"{view['mean_score']:.2f}",
            )
        )
    ]
    for group in open_groups:
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
                value=f"{group['score']:.2f} ({group['score_vs_round']:+.2f})",
            )
        )
        messages.append(
            Card(
                title=t(
                    "review.group_title",
                    kind=t(f"dashboard.kind.{group['kind']}"),
                    position=group["position"],
                ),
                fields=tuple(fields),
                footer=group["explanation"],
                choices=(
                    Choice(f"review:approve:{round_id}:{group['position']}", t("review.approve")),
                    Choice(f"review:reject:{round_id}:{group['position']}", t("review.reject")),
                    Choice(f"review:swap:{round_id}:{group['position']}", t("review.swap")),
                ),
            )
        )
    if len(open_groups) > 1:
        messages.append(
            Card(
                title=t("review.all_title"),
                choices=(Choice(f"review:approve_all:{round_id}", t("review.approve_all")),),
            )
        )
    return messages


def swap_member_card(round_id: int, group: Mapping[str, Any], t: Translate) -> Card:
    """Which member to swap or move: one button per member."""
    return Card(
        title=t("review.swap_which", position=group["position"]),
        choices=tuple(
            Choice(
                f"review:swap:{round_id}:{group['position']}:{person['id']}",
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
                    after=f"{option.score_after:.2f}",
                ),
            )
        )
        to = option.other_position if option.kind == "move" else 0
        value = f"review:rearrange:{round_id}:{position}:{member}:{option.with_person or 0}:{to}"
        choices.append(Choice(value, f"{number}. {label}"))
    return Card(
        title=t("dashboard.alt.title", name=names.get(member, "?")),
        fields=tuple(fields),
        choices=tuple(choices),
    )
