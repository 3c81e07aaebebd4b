"""The closed vocabularies of a Maatjes profile.

Codes are stable identifiers stored in the database and exchanged with the matcher; what a person
sees is the translated label (msgid ``vocab.<kind>.<code>`` in the gettext catalogues).
"""

from __future__ import annotations

from typing import Final

ORGANISATION_KINDS: Final = (
    "gemeente",
    "provincie",
    "waterschap",
    "rijk",
    "uitvoeringsorganisatie",
    "kennisinstelling",
    "anders",
)

#: The two groups the Participatietafel brings together, plus everyone else.
GROUPS: Final = ("regionaal", "rijk", "anders")

REGIONS: Final = (
    "groningen",
    "fryslan",
    "drenthe",
    "overijssel",
    "flevoland",
    "gelderland",
    "utrecht",
    "noord-holland",
    "zuid-holland",
    "zeeland",
    "noord-brabant",
    "limburg",
    "landelijk",
)

#: The five transition agendas of the national circular economy programme, plus "anders".
THEMES: Final = (
    "biomassa-voedsel",
    "kunststoffen",
    "maakindustrie",
    "bouw",
    "consumptiegoederen",
    "anders",
)

#: Phases of an opgave, in order: neighbouring phases are one step apart.
PHASES: Final = ("verkennen", "experimenteren", "opschalen", "verankeren")

RHYTHMS: Final = ("wekelijks", "tweewekelijks", "maandelijks")

LANGUAGES: Final = ("nl", "en")

#: The free texts of a profile, in the order the intake asks them.
FREE_TEXTS: Final = ("works_on", "seeks", "offers", "ongemak")
