"""The download behind a "mijn gegevens" link: a person's export as a JSON file.

The link itself is the key (signed, short-lived, for one person), so it works from any chat: the
web chat, Slack or Teams open it in the browser without a session. It is never cached, never sent
on as a referrer, and an expired or broken link gets a polite page instead of data.
"""

from __future__ import annotations

import html
import logging

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from bot.core.i18n import normalise_language, translator
from bot.services.privacy import LinkExpired, LinkInvalid, PrivacyService

log = logging.getLogger(__name__)

PRIVATE_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}


def _language(request: Request) -> str:
    for part in request.headers.get("accept-language", "").split(","):
        found = normalise_language(part.split(";")[0].strip())
        if found:
            return found
    return "nl"


def router(privacy: PrivacyService) -> APIRouter:
    api = APIRouter()

    def problem(request: Request, status: int, msgid: str) -> Response:
        language = _language(request)
        t = translator(language)
        body = (
            f'<!doctype html><html lang="{language}"><meta charset="utf-8">'
            f"<title>Maatjes</title><p>{html.escape(t(msgid))}</p></html>"
        )
        return HTMLResponse(body, status_code=status, headers=PRIVATE_HEADERS)

    @api.get("/privacy/export/{token}", response_model=None)
    def download(request: Request, token: str = Path(max_length=1000)) -> Response:
        try:
            person_id = privacy.read_link(token)
        except LinkExpired:
            return problem(request, 410, "privacy.link_expired")
        except LinkInvalid:
            return problem(request, 404, "privacy.link_invalid")
        data = privacy.export_bytes(person_id, origin="download")
        if data is None:  # erased between the check and now
            return problem(request, 404, "privacy.link_invalid")
        log.info("export downloaded", extra={"person_id": person_id})
        return Response(
            data,
            media_type="application/json",
            headers={
                **PRIVATE_HEADERS,
                "content-disposition": 'attachment; filename="maatjes-mijn-gegevens.json"',
            },
        )

    return api
