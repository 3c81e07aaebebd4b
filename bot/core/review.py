"""A round for review, described once as cards with buttons; every platform renders these."""

from __future__ import annotations

from collections.abc import Mapping
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
