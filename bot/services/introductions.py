"""What a person hears when their group is approved: the introduction, a club's "who joined"
notice, and later the question whether they met."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.core.actions import FOLLOW_UP_ANSWERS, FollowUp, FollowUpBlock, encode
from bot.core.explain import render_explanation
from bot.core.i18n import join_list, translator
from bot.core.messages import Card, CardField, Choice, Outbound, Question, Text
from storage.models import MatchGroup, Person


def introduction(
    group: MatchGroup,
    person: Person,
    members: Sequence[Person],
    names: dict[int, str],
    *,
    explanation: dict[str, Any] | None = None,
    extras: Sequence[Outbound] = (),
) -> list[Any]:
    """The introduction to ``group`` (for a newcomer to a club, with the ``explanation`` of the
    proposal that brought them in), ending with what the person's platform adds (``extras``:
    where the group talks there, see bot.services.group_conversations)."""
    t = translator(person.language)
    others = [m for m in members if m.id != person.id]
    fields = member_fields(others, t)
    messages: list[Any] = [
        Text(t(f"intro.title.{group.kind}")),
        Card(title=t("intro.lead"), fields=fields),
    ]
    if group.kind == "trio":
        messages.append(Text(t("intro.trio_note")))
    why = render_explanation(group.explanation if explanation is None else explanation, names, t)
    messages += [Text(t("intro.why", explanation=why)), Text(t("intro.first_question"))]
    messages += extras
    return messages


def member_fields(people: Sequence[Person], t: Callable[..., str]) -> tuple[CardField, ...]:
    """Who someone is, one card field each: organisation, regio or rijk, region."""
    return tuple(
        CardField(
            label=other.name or "?",
            value=t(
                "intro.member",
                organisation=other.organisation or "—",
                group=t(f"vocab.group.{other.group}") if other.group else "—",
                region=t(f"vocab.region.{other.region}") if other.region else "—",
            ),
        )
        for other in people
    )


def club_joined(person: Person, newcomers: Sequence[Person]) -> list[Any]:
    """The notice to a club's members that newcomers joined them."""
    t = translator(person.language)
    names = [m.name or "?" for m in newcomers]
    joined = join_list(names, person.language)
    fields = member_fields(newcomers, t)
    return [
        Card(title=t("club_joined.text", names=joined), fields=fields),
        Text(t("club_joined.welcome")),
    ]


def follow_up(
    group: MatchGroup, person: Person, members: Sequence[Person], *, again: bool = False
) -> list[Any]:
    """The question whether they met; ``again``: the second and last time it is asked."""
    t = translator(person.language)
    others = [m for m in members if m.id != person.id]
    names = join_list([m.name or "?" for m in others], person.language)
    assert group.id is not None
    choices = [
        Choice(encode(FollowUp(group.id, answer)), t(f"follow_up.{answer}"))
        for answer in FOLLOW_UP_ANSWERS
    ]
    choices += [
        Choice(
            encode(FollowUpBlock(group.id, m.id)), t("follow_up.never_again", name=m.name or "?")
        )
        for m in others
        if m.id is not None
    ]
    return [
        Question(
            text=t("follow_up.ask_again" if again else "follow_up.ask", names=names),
            step="follow_up",
            choices=tuple(choices),
            free_text=False,
        )
    ]
