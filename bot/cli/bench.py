"""Benchmarks that print figures (the check-in and login runs are in bot/cli/benchmarks.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.refusals import refuse

bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)


@bench_app.command("matching")
def bench_matching(
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help=(
                "Run only these sections: optimality, clubs, scale, embedders, quality, simulation."
            ),
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
    """Quality and speed of pairing, clubs, embedders and match quality, and a year of rounds
    learning from the follow-up (simulated), as tables."""
    from dataclasses import asdict

    from matching import bench

    sections = only or list(bench.SECTIONS)
    unknown = sorted(set(sections) - set(bench.SECTIONS))
    if unknown:
        refuse(f"unknown section {', '.join(unknown)}; choose from {', '.join(bench.SECTIONS)}", 2)
    if "optimality" in sections:
        try:
            import networkx  # noqa: F401
        except ImportError:
            refuse("the optimality section needs networkx: pip install -e '.[test]'", 2)
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
    selection: Annotated[
        str | None,
        typer.Option(
            "--selection",
            help="Instead: the default's text view on one half of the selection set "
            "(choose or measure; docs/embedder-selection.md).",
        ),
    ] = None,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this file.")
    ] = None,
) -> None:
    """Relatedness (Pearson, Spearman) per language axis, speed and memory of each embedder;
    with --selection, the registered choice of the default's text view."""
    from matching import bench_embeddings as bench

    if selection is not None:
        from matching import bench_selection

        if selection not in bench_selection.HALVES:
            raise typer.BadParameter("choose or measure", param_hint="--selection")
        figures = bench_selection.run(selection, out=typer.echo)
        if as_json is not None:
            as_json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
        return
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
    from bot.cli import benchmarks

    result = benchmarks.bench_checkins(
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
    from bot.cli import benchmarks

    benchmarks.bench_login(chatters=chatters, guessers=guessers, seconds=seconds, out=typer.echo)


@bench_app.command("mail")
def bench_mail(
    messages: Annotated[int, typer.Option(help="E-mails in the outbox at once.")] = 10_000,
    people: Annotated[int, typer.Option(help="People they go to.")] = 1_000,
    workers: Annotated[int, typer.Option(help="Delivering processes.")] = 2,
    database_url: Annotated[
        str | None,
        typer.Option(help="An empty database to use (default: a temporary SQLite file)."),
    ] = None,
) -> None:
    """E-mails through the outbox to a local SMTP relay, sent by several processes at once:
    time, mails per second, and duplicates and lost by Message-ID at the relay."""
    from bot.cli import bench_mail as mail

    result = mail.bench_mail(
        messages=messages,
        people=people,
        workers=workers,
        database_url=database_url,
        out=typer.echo,
    )
    if result.duplicates or result.lost:
        raise SystemExit(1)


@bench_app.command("insights")
def bench_insights(
    sizes: Annotated[str, typer.Option(help="Community sizes, comma separated.")] = "500,10000",
    embedder: Annotated[str, typer.Option(help="Embedder spec (see MAATJES_EMBEDDER).")] = "tfidf",
) -> None:
    """Themes of synthetic communities with planted lessons: adjusted Rand index against the
    planted themes, time and peak memory, as a table."""
    from matching import bench_themes
    from matching.embedders import for_matching, load_embedder

    try:
        counts = [int(part) for part in sizes.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            "use whole numbers, e.g. 500,10000", param_hint="--sizes"
        ) from None
    if not counts or min(counts) < 10:
        raise typer.BadParameter("each size must be at least 10", param_hint="--sizes")
    bench_themes.run(counts, for_matching(load_embedder(embedder)), out=typer.echo)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
