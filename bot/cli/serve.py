"""Serving: the web server with every configured platform, and the chat in the terminal."""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import Annotated

import typer

from bot.cli.context import Context
from bot.settings import Settings


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

    # --host/--port are settings like MAATJES_HOST/PORT: the same checks (a wildcard address
    # needs MAATJES_PUBLIC_URL) and the same links.
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    cli = Context(Settings(**overrides))  # type: ignore[arg-type]
    settings = cli.settings
    logs.configure(settings.log_level)
    if socket_mode and (settings.slack_app_token is None or settings.slack_mode is None):
        typer.echo(
            "Socket Mode needs SLACK_APP_TOKEN, SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
            "(or the OAuth settings); see README, 'Install Maatjes in your Slack workspace'.",
            err=True,
        )
        raise typer.Exit(2)
    application = cli.web_app()
    bind_host, bind_port = settings.host, settings.port
    handler = None
    if socket_mode:
        from bot.platforms.slack import setup as slack_setup
        from bot.platforms.slack.adapter import SlackAdapter

        assert settings.slack_app_token is not None
        adapter = application.state.maatjes.adapter(SlackAdapter)
        assert adapter is not None  # settings.slack_mode is set
        handler = slack_setup.socket_mode(adapter, settings.slack_app_token.get_secret_value())
        typer.echo("Slack: connected over Socket Mode", err=True)
    typer.echo(
        f"Maatjes web chat: {settings.person_link('/')} (listening on {bind_host}:{bind_port})",
        err=True,
    )
    if settings.slack_mode is not None and not socket_mode:
        typer.echo(f"Slack ({settings.slack_mode}): POST /slack/events", err=True)
    # Told on SIGTERM/SIGINT: the web chat's waiting requests (long polls) answer at once, so a
    # restart does not wait for them, while every other request still finishes.
    stopping = threading.Event()
    application.state.stopping = stopping

    class Serving(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            stopping.set()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        application, host=bind_host, port=bind_port, log_config=None, access_log=False
    )
    server = Serving(config)
    try:
        server.run()
        if not server.started:
            raise typer.Exit(3)  # as uvicorn.run: the port is taken, or the app would not start
    finally:
        if handler is not None:
            handler.close()


def chat(
    name: Annotated[
        str, typer.Option("--as", help="Your local account name (as in the web chat).")
    ],
) -> None:
    """Talk to the bot in the terminal, with the same conversation as the web chat."""
    from bot.platforms import console

    console.run(Context().maatjes.conversations, name, stdin=sys.stdin, stdout=sys.stdout)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(chat)
