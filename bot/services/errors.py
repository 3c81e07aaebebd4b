"""What the round and review use cases refuse with (mapped to 4xx, exit codes, chat replies)."""

from __future__ import annotations


class NotAllowed(Exception):
    """The actor is not a coordinator. The refusal is audited before this is raised."""


class UnknownRound(LookupError):
    pass


class MatchingUnavailable(RuntimeError):
    """No matching engine is configured, so no round can be proposed."""


class NotEnoughPeople(MatchingUnavailable):
    """Too few people with a finished profile, consent and no pause to form a single group."""


class RoundClosed(Exception):
    pass
