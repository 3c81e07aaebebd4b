"""Snapshots to start a transcript from: a person who finished the intake."""

from __future__ import annotations

from bot.core.conversation import Conversation

PROFILE = {
    "name": "Anna de Vries",
    "organisation": "Gemeente Zwolle",
    "organisation_kind": "gemeente",
    "group": "regionaal",
    "region": "overijssel",
    "themes": ["bouw"],
    "themes_other": None,
    "phase": "experimenteren",
    "works_on": "Een circulair viaduct.",
    "seeks": "Iemand bij het rijk.",
    "offers": "Marktconsultaties.",
    "ongemak": None,
    "rhythm": "maandelijks",
}


def member(language: str = "nl") -> Conversation:
    """Consent given, profile saved, at rest."""
    return Conversation(
        step="done", language=language, consent=True, completed=True, profile=PROFILE
    )
