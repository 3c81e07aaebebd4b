"""The ``maatjes`` command line: run the server, chat in the terminal, manage the database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.settings import Settings, SettingsRefused

app = typer.Typer(
    help="Maatjes: zoek maatjes voor je circulaire opgave.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
coordinator_app = typer.Typer(help="Dashboard accounts for coordinators.", no_args_is_help=True)
app.add_typer(coordinator_app, name="coordinator")
round_app = typer.Typer(help="Match rounds: propose, show, approve, reject.", no_args_is_help=True)
app.add_typer(round_app, name="round")


def _settings() -> Settings:
    return Settings()


def _engine(settings: Settings) -> Any:
    from storage.db import make_engine, migrate

    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return engine


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (MAATJES_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (MAATJES_PORT, default 8000).")] = None,
    socket_mode: Annotated[
        bool,
        typer.Option(
            "--socket-mode",
            help="Also connect to Slack over Socket Mode (SLACK_APP_TOKEN): no public URL needed.",
        ),
    ] = False,
) -> None:
    """Migrate the database and serve the web chat (and every configured platform)."""
    import uvicorn

    from bot import logs
    from bot.app import create_app

    # --host/--port are settings like MAATJES_HOST/PORT: the same checks (a wildcard address
    # needs MAATJES_PUBLIC_URL) and the same links.
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    logs.configure(settings.log_level)
    if socket_mode and (settings.slack_app_token is None or settings.slack_mode is None):
        typer.echo(
            "Socket Mode needs SLACK_APP_TOKEN, SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
            "(or the OAuth settings); see README, 'Install Maatjes in your Slack workspace'.",
            err=True,
        )
        raise typer.Exit(2)
    application = create_app(settings)
    bind_host, bind_port = settings.host, settings.port
    handler = None
    if socket_mode:
        from bot.platforms.slack import setup as slack_setup

        assert settings.slack_app_token is not None
        adapter = application.state.maatjes.slack
        handler = slack_setup.socket_mode(adapter, settings.slack_app_token.get_secret_value())
        typer.echo("Slack: connected over Socket Mode", err=True)
    typer.echo(
        f"Maatjes web chat: {settings.person_link('/')} (listening on {bind_host}:{bind_port})",
        err=True,
    )
    if settings.slack_mode is not None and not socket_mode:
        typer.echo(f"Slack ({settings.slack_mode}): POST /slack/events", err=True)
    try:
        uvicorn.run(application, host=bind_host, port=bind_port, log_config=None, access_log=False)
    finally:
        if handler is not None:
            handler.close()


@app.command()
def chat(
    name: Annotated[
        str, typer.Option("--as", help="Your local account name (as in the web chat).")
    ],
) -> None:
    """Talk to the bot in the terminal, with the same conversation as the web chat."""
    from bot.app import build
    from bot.platforms import console

    maatjes = build(_settings())
    console.run(maatjes.conversations, name, stdin=sys.stdin, stdout=sys.stdout)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the database migrations (also done on every start)."""
    from storage.db import current_revision, make_engine, migrate

    engine = make_engine(_settings().resolved_database_url)
    migrate(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@app.command()
def people(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    everyone: Annotated[
        bool,
        typer.Option(
            "--all", help="Everyone stored, with their platform account (for privacy requests)."
        ),
    ] = False,
) -> None:
    """List the people who completed their profile."""
    from bot.services.community import people_overview

    found = people_overview(_settings().resolved_database_url, everyone=everyone)
    rows = [member.as_row(with_account=everyone) for member in found]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        demo = " (demo)" if row["demo"] else ""
        typer.echo(f"{row['id']:>5}  {row['name']}{demo}  {row['group']}  {row['organisation']}")
    typer.echo(f"{len(rows)} people", err=True)


@app.command()
def demo(
    remove: Annotated[bool, typer.Option("--remove", help="Remove the demo people again.")] = False,
) -> None:
    """Load a synthetic demo community (clearly marked as demo), or remove it."""
    from bot.services.community import load_demo, remove_demo

    settings = _settings()
    if remove:
        typer.echo(f"removed {remove_demo(settings.resolved_database_url)} demo people")
    else:
        added = load_demo(settings.resolved_database_url)
        typer.echo(f"loaded {added} demo people (marked as demo; remove with --remove)")


@coordinator_app.command("password")
def coordinator_password(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    admin: Annotated[
        bool,
        typer.Option("--admin", help="Also let this account handle privacy requests (admin)."),
    ] = False,
) -> None:
    """Create a dashboard login for a coordinator, or set a new password (which signs the
    account out everywhere). The role is kept in the database, where the server reads it."""
    from bot.services.accounts import Accounts, WeakPassword, identity
    from storage.db import make_engine, migrate

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    accounts = Accounts(engine)
    try:
        accounts.set_password(name, password)
    except WeakPassword as weak:
        typer.echo(f"maatjes: {weak}", err=True)
        raise SystemExit(2) from None
    # A new password keeps an admin an admin; --admin raises a coordinator.
    role = "admin" if admin else accounts.granted_role(identity(name)) or "coordinator"
    accounts.grant(name, role)
    typer.echo(f"password set for {identity(name)} ({role})")


@coordinator_app.command("remove")
def coordinator_remove(name: str) -> None:
    """Take the dashboard role back from a local account and end its sessions (the login
    stays; MAATJES_COORDINATORS / MAATJES_ADMINS may still grant a role)."""
    from bot.services.accounts import Accounts, identity
    from storage.db import make_engine, migrate

    settings = _settings()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    who = identity(name)
    if not Accounts(engine).grant(name, None):
        typer.echo(f"maatjes: there is no dashboard account {who}", err=True)
        raise SystemExit(1)
    typer.echo(f"role removed from {who}")
    if who in settings.coordinators | settings.admins:
        typer.echo(
            f"note: {who} is still in MAATJES_COORDINATORS or MAATJES_ADMINS; remove it there too",
            err=True,
        )


def _rounds() -> Any:
    from bot.app import build

    return build(_settings()).rounds


@round_app.command("propose")
def round_propose(
    as_json: Annotated[bool, typer.Option("--json", help="Print the round as JSON.")] = False,
    kind: Annotated[str | None, typer.Option(help="clubs or pairs (MAATJES_ROUND_KIND).")] = None,
) -> None:
    """Propose a round for review; nobody is told anything until a coordinator approves."""
    from sqlmodel import Session

    from bot.services.access import CLI_ACTOR
    from bot.services.errors import MatchingUnavailable, NotEnoughPeople
    from bot.services.round_views import round_view

    service = _rounds()
    try:
        round_id = service.propose(actor=CLI_ACTOR, origin="cli", kind=kind)
    except NotEnoughPeople:
        typer.echo(_TOO_FEW, err=True)
        raise SystemExit(1) from None
    except MatchingUnavailable as error:
        typer.echo(f"maatjes: matching is not available: {error}", err=True)
        raise SystemExit(1) from None
    with Session(service.engine) as session:
        view = round_view(session, round_id=round_id).as_dict()
    _print_round(view, as_json=as_json)


_TOO_FEW = (
    "maatjes: too few people to match: it takes at least two with a finished profile, "
    "consent and no pause who are not yet in a club or in a proposal under review "
    "(try `maatjes demo` for a demo community)"
)


@app.command()
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

    from bot.services.errors import MatchingUnavailable
    from bot.services.matchmaking import Matchmaker, plan_view

    settings = _settings()
    chosen = kind or settings.round_kind
    if chosen not in ("clubs", "pairs"):
        typer.echo("maatjes: --kind must be clubs or pairs", err=True)
        raise SystemExit(2)
    engine = _engine(settings)
    matchmaker = Matchmaker(settings.groups.matching)
    try:
        with Session(engine) as session:
            plan = matchmaker.plan(session, kind=chosen)
            proposal = plan_view(plan, language=language if language in ("nl", "en") else "nl")
            view = proposal.as_dict()
            session.rollback()  # a dry run stores nothing, not even cached vectors
    except MatchingUnavailable as error:
        typer.echo(f"maatjes: matching is not available: {error}", err=True)
        raise SystemExit(1) from None
    if not view["groups"]:
        typer.echo(_TOO_FEW, err=True)
        raise SystemExit(1)
    if not as_json:
        typer.echo(
            f"Dry run with {view['people']} people, embedder {view['embedder']}: "
            "nothing is stored or sent."
        )
    _print_round(view, as_json=as_json)


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

    service = _rounds()
    with Session(service.engine) as session:
        try:
            view = round_view(session, round_id=round_id, language=language).as_dict()
        except UnknownRound:
            typer.echo(f"maatjes: there is no round {round_id}", err=True)
            raise SystemExit(1) from None
    _print_round(view, as_json=as_json)


@round_app.command("approve")
def round_approve(
    round_id: int,
    group: Annotated[
        int | None, typer.Option("--group", help="Group number; all if omitted.")
    ] = None,
) -> None:
    """Approve one group, or all remaining groups, and introduce them."""
    from bot.services.access import CLI_ACTOR

    approved = _review(lambda s: s.approve(round_id, position=group, actor=CLI_ACTOR, origin="cli"))
    typer.echo(f"approved groups: {', '.join(map(str, approved)) or 'none'}")


@round_app.command("reject")
def round_reject(
    round_id: int,
    group: Annotated[int, typer.Option("--group", help="Group number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")],
) -> None:
    """Reject one group, with a reason."""
    from bot.services.access import CLI_ACTOR

    _review(
        lambda s: s.reject(round_id, position=group, reason=reason, actor=CLI_ACTOR, origin="cli")
    )
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

    options = _review(lambda s: s.alternatives(round_id, position=group, member=member))
    if as_json:
        typer.echo(json.dumps([asdict(o) for o in options], indent=2))
        return
    if not options:
        typer.echo("no alternative keeps the sizes and the regio–rijk mix")
    for number, option in enumerate(options, start=1):
        typer.echo(f"{number}. {_describe(option)}")


def _describe(option: Any) -> str:
    if option.kind == "swap":
        what = f"swap with person {option.with_person} of group {option.other_position}"
    elif option.kind == "replace":
        what = f"replace by person {option.with_person} (in no group yet)"
    else:
        what = f"move to group {option.other_position}"
    return f"{what}: total {option.delta:+.3f}, this group's score becomes {option.score_after:.3f}"


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
        typer.echo("maatjes: give either --with PERSON or --to GROUP", err=True)
        raise SystemExit(2)
    done = _review(
        lambda s: s.rearrange(
            round_id,
            position=group,
            member=member,
            with_person=with_person,
            to_position=to,
            actor=CLI_ACTOR,
            origin="cli",
        )
    )
    typer.echo(f"done: {_describe(done)}")


def _review(action: Any) -> Any:
    from bot.services.errors import MatchingUnavailable, RoundClosed, UnknownRound

    try:
        return action(_rounds())
    except MatchingUnavailable as error:
        typer.echo(f"maatjes: matching is not available: {error}", err=True)
        raise SystemExit(1) from None
    except UnknownRound as missing:
        typer.echo(f"maatjes: no such round or group: {missing}", err=True)
        raise SystemExit(1) from None
    except RoundClosed as closed:
        typer.echo(f"maatjes: that round is already {closed}", err=True)
        raise SystemExit(1) from None


def _print_round(view: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    title = "Proposal" if view["id"] is None else f"Round {view['id']}"  # a dry run has no id
    typer.echo(
        f"{title} ({view['kind']}, {view['status']}): {len(view['groups'])} groups, "
        f"mean score {view['mean_score']:.3f}"
    )
    for group in view["groups"]:
        typer.echo(
            f"\n[{group['position']}] {group['kind']} · {group['status']} · "
            f"score {group['score']:.3f} ({group['score_vs_round']:+.3f} vs round)"
        )
        for person in group["people"]:
            typer.echo(
                f"    {person['id']:>5}  {person['name']} — {person['organisation']} "
                f"({person['group']}, {person['region']}, {person['phase']})"
            )
        typer.echo(f"    {group['explanation']}")


@app.command()
def outbox(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    status: Annotated[str | None, typer.Option(help="Only entries with this status.")] = None,
) -> None:
    """List every message to a person: recipient, kind and status."""
    from sqlmodel import Session

    from storage import outbox as box
    from storage.db import make_engine, migrate

    engine = make_engine(_settings().resolved_database_url)
    migrate(engine)
    with Session(engine) as session:
        rows = [
            {
                "id": m.id,
                "recipient": m.recipient_id,
                "kind": m.kind,
                "status": m.status,
                "attempts": m.attempts,
                "not_before": m.not_before.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in box.entries(session, status=status)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:>6}  to {row['recipient']:>5}  {row['kind']:<13} {row['status']}")
    typer.echo(f"{len(rows)} messages", err=True)


checkins_app = typer.Typer(help="Reflection check-ins: deliver what is due, prompts.")
app.add_typer(checkins_app, name="checkins")


def _parse_at(at: str | None) -> Any:
    from datetime import datetime

    if at is None:
        return None
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        typer.echo(
            f"maatjes: --at wants an ISO time such as 2026-12-01T09:00+01:00, not {at!r}",
            err=True,
        )
        raise SystemExit(2) from None
    if when.tzinfo is None:
        from zoneinfo import ZoneInfo

        when = when.replace(tzinfo=ZoneInfo("Europe/Amsterdam"))
    return when


@checkins_app.command("deliver-due")
def checkins_deliver_due(
    at: Annotated[
        str | None, typer.Option("--at", help="Act as if it is this ISO time (Amsterdam if bare).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Plan, send, remind and round up every check-in due, then deliver the outbox."""
    from bot.app import build

    when = _parse_at(at)
    maatjes = build(_settings())
    report = maatjes.checkins.run_due(when)
    report.delivery = maatjes.delivery.deliver_due(now=when).as_dict()
    summary = report.as_dict()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    typer.echo(
        f"check-ins sent {summary['checkins_sent']}, reminders {summary['reminders']}, "
        f"round-ups {summary['roundups']}, missed {summary['missed']}; "
        f"messages delivered {summary['delivered']}"
    )


@checkins_app.command("prompts")
def checkins_prompts(
    add_nl: Annotated[
        str | None, typer.Option("--add", help="Add your own question (Dutch).")
    ] = None,
    add_en: Annotated[str | None, typer.Option("--en", help="Its English version.")] = None,
) -> None:
    """List the reflection questions (library and your own), or add one."""
    from sqlmodel import Session

    from bot.core.i18n import translator
    from bot.services.access import CLI_ACTOR
    from bot.services.checkins import prompts
    from storage import checkins
    from storage.db import session_scope

    engine = _engine(_settings())
    if add_nl is not None:
        text = " ".join(add_nl.split())
        if not 3 <= len(text) <= 500 or (add_en is not None and len(add_en) > 500):
            typer.echo("maatjes: a question is 3 to 500 characters", err=True)
            raise SystemExit(2)
        with session_scope(engine) as session:
            added = checkins.add_prompt(
                session,
                text_nl=text,
                text_en=add_en and " ".join(add_en.split()),
                created_by=CLI_ACTOR,
            )
            typer.echo(f"added own:{added.id}")
        return
    t = translator("nl")
    with Session(engine) as session:
        for prompt in prompts(session):
            typer.echo(f"{prompt.code:<22} {prompt.text('nl', t)}")


@app.command()
def deliver(
    at: Annotated[
        str | None, typer.Option("--at", help="Deliver what is due at this ISO time.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Deliver every outbox message that is due (the server also does this on a schedule)."""
    from bot.app import build

    when = _parse_at(at)
    report = build(_settings()).delivery.deliver_due(now=when)
    typer.echo(
        json.dumps(report.as_dict())
        if as_json
        else f"delivered {report.delivered}, retried {report.retried}, failed {report.failed}"
    )


bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("matching")
def bench_matching(
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Run only these sections: optimality, clubs, scale, embedders, quality.",
        ),
    ] = None,
    quick: Annotated[bool, typer.Option(help="Small instances: a smoke run in seconds.")] = False,
    scale_n: Annotated[
        int | None, typer.Option("--scale-n", help="Profiles in the scale section.")
    ] = None,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this file.")
    ] = None,
) -> None:
    """Quality and speed of pairing, clubs, embedders and match quality, as tables."""
    from dataclasses import asdict

    from matching import bench

    sections = only or list(bench.SECTIONS)
    unknown = sorted(set(sections) - set(bench.SECTIONS))
    if unknown:
        typer.echo(
            f"maatjes: unknown section {', '.join(unknown)}; "
            f"choose from {', '.join(bench.SECTIONS)}",
            err=True,
        )
        raise SystemExit(2)
    if "optimality" in sections:
        try:
            import networkx  # noqa: F401
        except ImportError:
            typer.echo(
                "maatjes: the optimality section needs networkx: pip install -e '.[test]'",
                err=True,
            )
            raise SystemExit(2) from None
    report = bench.run(sections, quick=quick, scale_n=scale_n, out=typer.echo)
    if as_json is not None:
        as_json.write_text(json.dumps(asdict(report), indent=2, default=str), encoding="utf-8")


@bench_app.command("embeddings")
def bench_embeddings(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="Embedder specs to measure (default: E5 raw and calibrated, USE raw and "
            "calibrated, tfidf, MiniLM, the default).",
        ),
    ] = None,
    threads: Annotated[
        list[int] | None,
        typer.Option("--threads", help="Thread counts to measure the models at (repeatable)."),
    ] = None,
    sample: Annotated[
        int | None, typer.Option(help="Use only this many pairs of the set (a quick run).")
    ] = None,
    reembed: Annotated[
        int, typer.Option(help="Also time re-embedding this many profiles (3 texts each).")
    ] = 0,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this file.")
    ] = None,
) -> None:
    """Relatedness (Pearson, Spearman) per language axis, speed and memory of each embedder."""
    from matching import bench_embeddings as bench

    result = bench.run(
        model or list(bench.MODELS),
        threads=threads or [1],
        sample=sample,
        reembed=reembed,
        out=typer.echo,
    )
    if as_json is not None:
        bench.write_json(result, as_json)


@bench_app.command("checkins")
def bench_checkins(
    groups: Annotated[int, typer.Option(help="Groups with a check-in due at once.")] = 10_000,
    workers: Annotated[int, typer.Option(help="Delivering processes.")] = 2,
    rate: Annotated[int, typer.Option(help="The fake platform's limit, messages/s.")] = 1_000,
    database_url: Annotated[
        str | None,
        typer.Option(help="An empty database to use (default: a temporary SQLite file)."),
    ] = None,
) -> None:
    """Check-ins due for many groups, delivered by several processes through a rate-limited
    fake platform: time, throughput, duplicates and lost messages."""
    from bot.cli.bench import bench_checkins as run_bench

    result = run_bench(
        groups=groups, workers=workers, rate=rate, database_url=database_url, out=typer.echo
    )
    if result.duplicates or result.lost:
        raise SystemExit(1)


@bench_app.command("login")
def bench_login(
    chatters: Annotated[int, typer.Option(help="Chat clients answering the intake.")] = 4,
    guessers: Annotated[int, typer.Option(help="Clients guessing a dashboard password.")] = 8,
    seconds: Annotated[float, typer.Option(help="Length of each phase.")] = 20.0,
) -> None:
    """The chat's latency (p50/p95/max, 5xx) on the real server, alone and while clients guess
    a coordinator's dashboard password; and how many guesses were refused with 429."""
    from bot.cli.bench import bench_login as run_bench

    run_bench(chatters=chatters, guessers=guessers, seconds=seconds, out=typer.echo)


@app.command("teams-package")
def teams_package(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the zip (e.g. maatjes-teams.zip).")
    ],
    version: Annotated[
        str, typer.Option(help="The app version; raise it for every new upload.")
    ] = "1.0.0",
) -> None:
    """Build the Microsoft Teams app package (manifest with the bot id, icons) to upload."""
    from bot.platforms.teams import package

    settings = _settings()
    if not settings.teams_app_id:
        typer.echo(
            "Set MAATJES_TEAMS_APP_ID (the Entra app's Application (client) ID) first; "
            "see README, Microsoft Teams.",
            err=True,
        )
        raise typer.Exit(2)
    try:
        manifest = package.build(
            out,
            app_id=settings.teams_app_id,
            name=settings.teams_app_name,
            website_url=settings.teams_website_url,
            version=version,
        )
    except package.PackageError as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{out}: Teams app {manifest['name']['short']} {version}, bot {manifest['id']}")


# --- privacy: a person's data, erasure, retention (docs/privacy.md) ----------------------------


def _privacy() -> Any:
    from bot.services.privacy import PrivacyService

    settings = _settings()
    return PrivacyService(_engine(settings), settings.groups.privacy)


@app.command("export")
def export_person(
    person: Annotated[int, typer.Argument(help="A person id (from `maatjes people --json`).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Everything held about one person, as JSON (a data access request)."""
    data = _privacy().export_bytes(person, actor="cli:operator", origin="cli")
    if data is None:
        typer.echo(f"maatjes: no person with id {person}", err=True)
        raise SystemExit(1)
    if output is None:
        typer.echo(data.decode("utf-8"))
        return
    from storage.files import write_private

    write_private(output, data)  # personal data: 0600 even when the file was there before
    typer.echo(f"export of person {person} written to {output}", err=True)


@app.command("forget")
def forget_person(
    person: Annotated[int, typer.Argument(help="A person id (from `maatjes people --json`).")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Really erase: this cannot be undone.")
    ] = False,
) -> None:
    """Erase one person and everything of theirs (an erasure request); their groups stay."""
    if not yes:
        typer.echo("maatjes: erasing cannot be undone; add --yes to go ahead", err=True)
        raise SystemExit(2)
    report = _privacy().erase(person, actor="cli:operator", origin="cli")
    if report is None:
        typer.echo(f"maatjes: no person with id {person}", err=True)
        raise SystemExit(1)
    removed = ", ".join(f"{k}={v}" for k, v in report.removed.items() if v)
    typer.echo(f"person {person} erased (audit: {report.pseudonym}); removed {removed}")
    if not report.purged:
        typer.echo("note: the SQLite WAL is busy; erased pages are cleared at the next checkpoint")


@app.command()
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list who would be warned or erased.")
    ] = False,
) -> None:
    """Warn people inactive for MAATJES_RETENTION_INACTIVE_DAYS; erase who was warned
    MAATJES_RETENTION_GRACE_DAYS ago and has not written since (the scheduler does this daily)."""
    report = _privacy().run_retention(dry_run=dry_run)
    verb = "would be" if dry_run else "were"
    typer.echo(f"{len(report.warned)} {verb} warned, {len(report.erased)} {verb} erased")
    if dry_run:
        typer.echo(json.dumps({"warn": report.warned, "erase": report.erased}))


def main() -> None:
    """Entry point: known failures become one clear line, not a traceback."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    try:
        app()
    except OperationalError as error:
        typer.echo(
            f"maatjes: the database cannot be reached ({type(error.orig).__name__}). "
            "Check MAATJES_DATABASE_URL and that the server runs.",
            err=True,
        )
        raise SystemExit(2) from None
    except ValidationError as error:
        typer.echo(f"maatjes: invalid setting: {setting_problems(error)}", err=True)
        raise SystemExit(2) from None
    except SettingsRefused as refused:
        typer.echo(f"maatjes: {refused}", err=True)
        raise SystemExit(2) from None


def setting_problems(error: Any) -> str:
    """A pydantic ValidationError of Settings as one line naming each variable."""
    problems = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        where = "_".join(map(str, problem["loc"])).upper()
        name = where if where.startswith("MAATJES_") else f"MAATJES_{where}"
        # a rule over several settings (no location) names them in its message
        problems.append(message if not where or message.startswith(name) else f"{name}: {message}")
    return "; ".join(problems)
