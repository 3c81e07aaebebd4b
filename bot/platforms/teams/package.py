"""The Teams app package: ``manifest.json`` (with the bot id), two icons and the English texts,
zipped so an admin can upload it in Teams (Apps → Manage your apps → Upload an app) or in the
Teams admin center."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

from PIL import Image, ImageDraw

from bot.core.i18n import translator

MANIFEST_VERSION: Final = "1.17"
SCHEMA: Final = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
LOCALIZATION_SCHEMA: Final = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.Localization.schema.json"
)
ACCENT: Final = "#2E7D4F"  # the green of the circular economy, as in the web chat
COLOR_SIZE: Final = 192
OUTLINE_SIZE: Final = 32
COMMANDS: Final = ("help", "profiel", "pauze", "taal", "privacy")
GUID: Final = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
VERSION: Final = re.compile(r"^\d+\.\d+\.\d+$")


class PackageError(ValueError):
    """A setting the package needs is missing or invalid (the message says which)."""


def _texts(language: str, name: str) -> dict[str, Any]:
    t = translator(language)
    return {
        "short": name,
        "full": t("teams.manifest.name_full", name=name),
        "description_short": t("teams.manifest.description_short"),
        "description_full": t("teams.manifest.description_full"),
        "commands": [(c, t(f"teams.manifest.command.{c}")) for c in COMMANDS],
    }


def manifest(*, app_id: str, name: str, website_url: str, version: str = "1.0.0") -> dict[str, Any]:
    if not GUID.match(app_id or ""):
        raise PackageError(
            "MAATJES_TEAMS_APP_ID must be the Entra app's Application (client) ID, a GUID"
        )
    if not VERSION.match(version):
        raise PackageError("the package version must look like 1.0.0")
    parsed = urlparse(website_url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise PackageError("MAATJES_TEAMS_WEBSITE_URL must be an https address")
    nl = _texts("nl", name)
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id.lower(),
        "developer": {
            "name": nl["short"],
            "websiteUrl": website_url,
            "privacyUrl": website_url,
            "termsOfUseUrl": website_url,
        },
        "name": {"short": nl["short"], "full": nl["full"]},
        "description": {"short": nl["description_short"], "full": nl["description_full"]},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id.lower(),
                "scopes": ["personal"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": title, "description": description}
                            for title, description in nl["commands"]
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [parsed.hostname],
        "localizationInfo": {
            "defaultLanguageTag": "nl-nl",
            "additionalLanguages": [{"languageTag": "en-us", "file": "en-us.json"}],
        },
    }


def english(name: str) -> dict[str, Any]:
    """The English texts (Teams shows them to people whose Teams is in English)."""
    en = _texts("en", name)
    texts: dict[str, Any] = {
        "$schema": LOCALIZATION_SCHEMA,
        "name.short": en["short"],
        "name.full": en["full"],
        "description.short": en["description_short"],
        "description.full": en["description_full"],
    }
    for index, (_, description) in enumerate(en["commands"]):
        texts[f"bots[0].commandLists[0].commands[{index}].description"] = description
    return texts


def _two_people(draw: ImageDraw.ImageDraw, size: int, fill: Any, width: int) -> None:
    """Two overlapping circles: two people who found each other."""
    r = size * 0.24
    cy = size * 0.5
    for cx in (size * 0.38, size * 0.62):
        box = (cx - r, cy - r, cx + r, cy + r)
        draw.ellipse(box, outline=fill, width=width)


def color_icon() -> bytes:
    image = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), ACCENT)
    _two_people(ImageDraw.Draw(image), COLOR_SIZE, (255, 255, 255, 255), 12)
    return _png(image)


def outline_icon() -> bytes:
    """White on transparent, as Teams requires for the outline icon."""
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (255, 255, 255, 0))
    _two_people(ImageDraw.Draw(image), OUTLINE_SIZE, (255, 255, 255, 255), 2)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build(
    out: Path, *, app_id: str, name: str, website_url: str, version: str = "1.0.0"
) -> dict[str, Any]:
    """Write the zip (files at its root, as Teams expects) and return the manifest."""
    data = manifest(app_id=app_id, name=name, website_url=website_url, version=version)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("en-us.json", json.dumps(english(name), ensure_ascii=False, indent=2))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return data
