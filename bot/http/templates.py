"""The one template environment of the web: dashboard, web chat and group threads share
bot/http/templates/ (and its filters and globals) and bot/http/static/."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from bot.core.i18n import join_list

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
#: names as a sentence lists them, in the page's language: ``join_list(names, lang)``
templates.env.globals["join_list"] = join_list
