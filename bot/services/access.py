"""Who may review rounds and who may handle privacy requests for others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

#: The identity of whoever runs the command line: an operator with access to the database.
CLI_ACTOR = "cli:operator"


class StaffIdentities(Protocol):
    """Where the configured coordinators and admins come from (``Settings``, ``RoundSettings``)."""

    @property
    def coordinators(self) -> frozenset[str]: ...

    @property
    def admins(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Access:
    """Who may review and who may handle privacy requests: the identities in the settings, and
    the roles the database grants to local accounts (``maatjes coordinator password NAME``)."""

    coordinators: frozenset[str]
    admins: frozenset[str] = frozenset()
    granted: Callable[[str], str | None] | None = None

    @classmethod
    def from_settings(
        cls, settings: StaffIdentities, granted: Callable[[str], str | None] | None = None
    ) -> Access:
        return cls(coordinators=settings.coordinators, admins=settings.admins, granted=granted)

    def _granted(self, actor: str) -> str | None:
        return self.granted(actor) if self.granted is not None else None

    def is_coordinator(self, actor: str) -> bool:
        if actor == CLI_ACTOR or actor in self.coordinators or actor in self.admins:
            return True
        return self._granted(actor) in ("coordinator", "admin")

    def is_admin(self, actor: str) -> bool:
        """Admins also handle privacy requests (export, erase) for others from the dashboard."""
        return actor == CLI_ACTOR or actor in self.admins or self._granted(actor) == "admin"
