"""A person's data, erasure and retention (docs/privacy.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import Context
from bot.cli.refusals import refuse


def export_person(
    person: Annotated[int, typer.Argument(help="A person id (from `maatjes people --json`).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Everything held about one person, as JSON (a data access request)."""
    data = Context().privacy.export_bytes(person, actor="cli:operator", origin="cli")
    if data is None:
        refuse(f"no person with id {person}")
    if output is None:
        typer.echo(data.decode("utf-8"))
        return
    from storage.files import write_private

    write_private(output, data)  # personal data: 0600 even when the file was there before
    typer.echo(f"export of person {person} written to {output}", err=True)


def forget_person(
    person: Annotated[int, typer.Argument(help="A person id (from `maatjes people --json`).")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Really erase: this cannot be undone.")
    ] = False,
) -> None:
    """Erase one person and everything of theirs (an erasure request); their groups stay."""
    if not yes:
        refuse("erasing cannot be undone; add --yes to go ahead", 2)
    report = Context().privacy.erase(person, actor="cli:operator", origin="cli")
    if report is None:
        refuse(f"no person with id {person}")
    removed = ", ".join(f"{k}={v}" for k, v in report.removed.items() if v)
    typer.echo(f"person {person} erased (audit: {report.pseudonym}); removed {removed}")
    if not report.purged:
        typer.echo("note: the SQLite WAL is busy; erased pages are cleared at the next checkpoint")


def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list who would be warned or erased.")
    ] = False,
) -> None:
    """Warn people inactive for MAATJES_RETENTION_INACTIVE_DAYS; erase who was warned
    MAATJES_RETENTION_GRACE_DAYS ago and has not written since (the scheduler does this daily)."""
    report = Context().privacy.run_retention(dry_run=dry_run)
    verb = "would be" if dry_run else "were"
    typer.echo(f"{len(report.warned)} {verb} warned, {len(report.erased)} {verb} erased")
    if dry_run:
        typer.echo(json.dumps({"warn": report.warned, "erase": report.erased}))


def register(app: typer.Typer) -> None:
    app.command("export")(export_person)
    app.command("forget")(forget_person)
    app.command()(retention)
