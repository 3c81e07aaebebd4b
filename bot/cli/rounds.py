"""Match rounds: propose, show and review them (approve, reject, alternatives, swap), and the
dry run that only prints a proposal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.context import Context
from bot.cli.refusals import TOO_FEW, Refusal, refusals, refuse

if TYPE_CHECKING:
    from bot.services.alternatives import Alternative

round_app = typer.Typer(help="Match rounds: propose, show, approve, reject.", no_args_is_help=True)


@round_app.command("propose")
def round_propose(
    as_json: Annotated[bool, typer.Option("--json", help="Print the round as JSON.")] = False,
    kind: Annotated[str | None, typer.Option(help="clubs or pairs (MAATJES_ROUND_KIND).")] = None,
) -> None:
    """Propose a round for review; nobody is told anything until a coordinator approves."""
    from sqlmodel import Session

    from bot.services.access import CLI_ACTOR
    from bot.services.round_views import round_view

    service = Context().rounds
    round_id = service.propose(actor=CLI_ACTOR, origin="cli", kind=kind)
    with Session(service.engine) as session:
        view = round_view(session, round_id=round_id).as_dict()
    print_round(view, as_json=as_json)


def match(
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run/--propose",
            help="Only print the proposal (default), or store it as a round for review.",
        ),
    ] = True,
    kind: Annotated[str | None, typer.Option(help="clubs or pairs (MAATJES_ROUND_KIND).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    language: Annotated[str, typer.Option("--lang", help="nl or en")] = "nl",
) -> None:
    """Propose pairs or clubs for the current community, with explanations.

    With --dry-run (the default) nothing is stored and nobody is told anything."""
    if not dry_run:
        round_propose(as_json=as_json, kind=kind)
        return
    from sqlmodel import Session

    from bot.services.matchmaking import plan_view

    cli = Context()
    chosen = kind or cli.settings.round_kind
    if chosen not in ("clubs", "pairs"):
        refuse("--kind must be clubs or pairs", 2)
    with Session(cli.engine) as session:
        plan = cli.matchmaker.plan(session, kind=chosen)
        proposal = plan_view(plan, language=language if language in ("nl", "en") else "nl")
        view = proposal.as_dict()
        session.rollback()  # a dry run stores nothing, not even cached vectors
    if not view["groups"]:
        refuse(TOO_FEW)
    if not as_json:
        typer.echo(
            f"Dry run with {view['people']} people, embedder {view['embedder']}: "
            "nothing is stored or sent."
        )
    print_round(view, as_json=as_json, language=language)


@round_app.command("show")
def round_show(
    round_id: int,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    language: Annotated[str, typer.Option("--lang", help="nl or en")] = "nl",
) -> None:
    """Show a round's groups with members, explanation and score."""
    from sqlmodel import Session

    from bot.services.errors import UnknownRound
    from bot.services.round_views import round_view

    service = Context().rounds
    with (
        refusals(Refusal(UnknownRound, lambda _: f"there is no round {round_id}")),
        Session(service.engine) as session,
    ):
        view = round_view(session, round_id=round_id, language=language).as_dict()
    print_round(view, as_json=as_json, language=language)


@round_app.command("approve")
def round_approve(
    round_id: int,
    group: Annotated[
        int | None, typer.Option("--group", help="Group number; all if omitted.")
    ] = None,
) -> None:
    """Approve one group, or all remaining groups, and introduce them."""
    from bot.services.access import CLI_ACTOR

    approved = Context().rounds.approve(round_id, position=group, actor=CLI_ACTOR, origin="cli")
    typer.echo(f"approved groups: {', '.join(map(str, approved)) or 'none'}")


@round_app.command("reject")
def round_reject(
    round_id: int,
    group: Annotated[int, typer.Option("--group", help="Group number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")],
) -> None:
    """Reject one group, with a reason."""
    from bot.services.access import CLI_ACTOR

    Context().rounds.reject(round_id, position=group, reason=reason, actor=CLI_ACTOR, origin="cli")
    typer.echo(f"rejected group {group}")


@round_app.command("alternatives")
def round_alternatives(
    round_id: int,
    group: Annotated[int, typer.Option("--group", help="Group number.")],
    member: Annotated[int, typer.Option("--member", help="Person id of the member to change.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The three best ways to swap or move one member, with their effect on the score."""
    from dataclasses import asdict

    options = Context().rounds.alternatives(round_id, position=group, member=member)
    if as_json:
        typer.echo(json.dumps([asdict(o) for o in options], indent=2))
        return
    if not options:
        typer.echo("no alternative keeps the sizes and the regio–rijk mix")
    for number, option in enumerate(options, start=1):
        typer.echo(f"{number}. {describe(option)}")


@round_app.command("swap")
def round_swap(
    round_id: int,
    group: Annotated[int, typer.Option("--group", help="Group number.")],
    member: Annotated[int, typer.Option("--member", help="Person id of the member to change.")],
    with_person: Annotated[
        int | None, typer.Option("--with", help="Swap with (or replace by) this person id.")
    ] = None,
    to: Annotated[
        int | None, typer.Option("--to", help="Move the member to this group instead.")
    ] = None,
) -> None:
    """Swap a member with someone else, or move them to another group (see alternatives)."""
    from bot.services.access import CLI_ACTOR

    if (with_person is None) == (to is None):
        refuse("give either --with PERSON or --to GROUP", 2)
    done = Context().rounds.rearrange(
        round_id,
        position=group,
        member=member,
        with_person=with_person,
        to_position=to,
        actor=CLI_ACTOR,
        origin="cli",
    )
    typer.echo(f"done: {describe(done)}")


def describe(option: Alternative) -> str:
    if option.kind == "swap":
        what = f"swap with person {option.with_person} of group {option.other_position}"
    elif option.kind == "replace":
        what = f"replace by person {option.with_person} (in no group yet)"
    else:
        what = f"move to group {option.other_position}"
    after = f"{option.score_after:.0f} of 100"
    return f"{what}: total {option.delta:+.3f}, this group's score becomes {after}"


def print_round(view: dict[str, Any], *, as_json: bool, language: str = "nl") -> None:
    """A round or a proposal as JSON, or for reading: weak groups first, labels in ``language``."""
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    from bot.core.i18n import translator

    t = translator(language)

    def label(kind: str, code: str | None) -> str:
        return t(f"vocab.{kind}.{code}") if code else "—"

    title = "Proposal" if view["id"] is None else f"Round {view['id']}"  # a dry run has no id
    typer.echo(
        f"{title} ({view['kind']}, {view['status']}): {len(view['groups'])} groups, "
        f"mean score {view['mean_score']:.0f} of 100"
    )
    if view.get("weak_summary"):
        typer.echo(view["weak_summary"])
    groups = view["groups"]
    for group in [g for g in groups if g.get("weak")] + [g for g in groups if not g.get("weak")]:
        mark = f" · {t('weak.label').upper()}" if group.get("weak") else ""
        typer.echo(
            f"\n[{group['position']}] {group['kind']} · {group['status']}{mark} · "
            f"score {group['score']:.0f} ({group['score_vs_round']:+.0f} vs round)"
        )
        for reason in group.get("weak") or ():
            typer.echo(f"    ! {reason}")
        for person in group["people"]:
            typer.echo(
                f"    {person['id']:>5}  {person['name']} — {person['organisation']} "
                f"({label('group', person['group'])}, {label('region', person['region'])}, "
                f"{label('phase', person['phase'])})"
            )
        if group.get("score_parts"):
            parts = " · ".join(
                f"{t(f'score.part.{name}')} {value:+.1f}"
                for name, value in group["score_parts"].items()
            )
            typer.echo(f"    {t('score.parts')}: {parts}")
        typer.echo(f"    {group['explanation']}")
        if "follow_up" in group:  # a stored group: what its members said after the introduction
            counts = group["follow_up"]
            typer.echo(
                f"    follow-up: met {counts['met']} · not yet {counts['not_yet']} · "
                f"not a fit {counts['not_a_fit']} · no answer {counts['no_answer']}"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(round_app, name="round")
    app.command()(match)
