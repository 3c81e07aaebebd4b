"""``maatjes insights``: the recurring themes in what the community agreed may count."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from bot.cli.context import Context


def _since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use a date as YYYY-MM-DD", param_hint="--since") from None


def insights(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Also say what changed since this day (YYYY-MM-DD)."),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="The language of the labels: nl or en.")
    ] = "nl",
) -> None:
    """The lessons of the community: its themes, how many people each stands for, quotes."""
    from bot.core.i18n import translator
    from bot.services.insights import InsightsService

    if lang not in ("nl", "en"):
        raise typer.BadParameter("use nl or en", param_hint="--lang")
    day = _since(since)
    context = Context()
    service = InsightsService(context.engine, lambda: context.matchmaker.embedder)
    view = service.themes(language=lang, since=day, actor="cli", origin="cli")
    if as_json:
        typer.echo(json.dumps(view.as_dict(), ensure_ascii=False, indent=2))
        return
    t = translator(lang)
    typer.echo(t("insights.cli.summary", people=view.people, themes=len(view.themes)))
    for number, theme in enumerate(view.themes, start=1):
        typer.echo("")
        head = f"{number}. {theme.label} · {t('insights.people', n=theme.people)}"
        if theme.new:
            head += f" · {t('insights.new')}"
        typer.echo(head)
        for name, kind, counts in (
            ("field.group", "group", theme.group),
            ("field.phase", "phase", theme.phase),
            ("field.themes", "theme", theme.agenda),
        ):
            shown = ", ".join(f"{t(f'vocab.{kind}.{code}')} {n}" for code, n in counts.items())
            typer.echo(f"   {t(name)}: {shown}")
        if theme.month:
            typer.echo(
                f"   {t('insights.months')}: "
                + ", ".join(f"{m} {n}" for m, n in theme.month.items())
            )
        for quote in theme.quotes:
            typer.echo(f"   „{quote}”")
    if view.gone and view.since is not None:
        typer.echo("")
        typer.echo(t("dashboard.insights.gone", date=view.since.strftime("%d-%m-%Y")))
        for gone in view.gone:
            typer.echo(f"   {t('dashboard.insights.gone_theme', label=gone.label, n=gone.people)}")


def register(app: typer.Typer) -> None:
    app.command()(insights)
