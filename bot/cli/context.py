"""What the commands work with, built from the settings in one place.

Each part is built once and only when a command asks for it: a round is proposed, shown or
reviewed with the round service alone, without Slack or Teams; only the commands that reach
people on their platforms (run, chat, deliver) build the whole app."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.engine import Engine

    from bot.app import Maatjes
    from bot.services.accounts import Accounts
    from bot.services.checkins import CheckInService
    from bot.services.matchmaking import Matchmaker
    from bot.services.privacy import PrivacyService
    from bot.services.rounds import RoundService


class Context:
    def __init__(self, settings: Settings | None = None) -> None:
        # Read at once, so a bad setting is refused before a command prompts or works.
        self.settings = settings or Settings()

    @cached_property
    def engine(self) -> Engine:
        """The database, migrated to the latest revision."""
        from storage.db import make_engine, migrate
        from storage.files import private_directory

        if self.settings.data_dir.exists():  # the database and the session key: owner only
            private_directory(self.settings.data_dir)
        engine = make_engine(self.settings.resolved_database_url)
        migrate(engine)
        return engine

    @cached_property
    def matchmaker(self) -> Matchmaker:
        from bot.services.matchmaking import Matchmaker

        return Matchmaker(self.settings.groups.matching)

    @cached_property
    def rounds(self) -> RoundService:
        from bot.platforms import introduction_links
        from bot.services.rounds import RoundService

        return RoundService(
            self.engine,
            self.settings.groups.rounds,
            proposer=self.matchmaker,
            # what an introduction says of where the group talks: no platform is started for it
            group_conversations=introduction_links(self.settings),
        )

    @cached_property
    def privacy(self) -> PrivacyService:
        from bot.services.privacy import PrivacyService

        return PrivacyService(self.engine, self.settings.groups.privacy)

    @cached_property
    def checkins(self) -> CheckInService:
        from bot.services.checkins import CheckInService

        return CheckInService(self.engine, self.settings.groups.checkins)

    @cached_property
    def accounts(self) -> Accounts:
        from bot.services.accounts import Accounts

        return Accounts(self.engine)

    @cached_property
    def maatjes(self) -> Maatjes:
        """Every service with every configured platform, for what reaches people there."""
        from bot.app import build

        return build(self.settings)

    def web_app(self) -> FastAPI:
        """The one ASGI app the server runs (its lifespan starts the jobs)."""
        from bot.app import create_app

        return create_app(self.settings)
