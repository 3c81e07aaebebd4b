"""The download behind a "mijn gegevens" link: a person's export as a JSON file.

The link itself is the key (signed, short-lived, for one person, good for one download), so it
works from any chat: the web chat, Slack or Teams open it in the browser without a session.
Opening it (GET) only shows a page with a download button; the download is the button's POST,
so a mail scanner or link preview that fetches the link spends nothing and gets no data. It is
never cached, never sent on as a referrer, and an expired, used or broken link gets a polite page.
"""

from __future__ import annotations

import html
import logging

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from bot.core.i18n import normalise_language, translator
from bot.services.privacy import LinkExpired, LinkInvalid, LinkUsed, PrivacyService

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

    def page(request: Request, status: int, *paragraphs: str, form: str = "") -> Response:
        language = _language(request)
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        return HTMLResponse(
            f'<!doctype html><html lang="{language}"><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Maatjes</title>{body}{form}</html>",
            status_code=status,
            headers=PRIVATE_HEADERS,
        )

    def problem(request: Request, error: LinkInvalid) -> Response:
        t = translator(_language(request))
        if isinstance(error, LinkUsed):
            return page(request, 410, t("privacy.link_used"))
        if isinstance(error, LinkExpired):
            return page(request, 410, t("privacy.link_expired"))
        return page(request, 404, t("privacy.link_invalid"))

    @api.get("/privacy/export/{token}", response_model=None)
    def landing(request: Request, token: str = Path(max_length=1000)) -> Response:
        try:
            privacy.read_link(token)
            if privacy.link_used(token):
                raise LinkUsed
        except LinkInvalid as error:
            return problem(request, error)
        t = translator(_language(request))
        # the form posts to this same address (form-action 'self'); no script is needed
        form = (
            '<form method="post"><button type="submit">'
            f"{html.escape(t('privacy.download.button'))}</button></form>"
        )
        return page(request, 200, t("privacy.download.intro"), form=form)

    @api.post("/privacy/export/{token}", response_model=None)
    def download(request: Request, token: str = Path(max_length=1000)) -> Response:
        try:
            person_id = privacy.spend_link(token)
        except LinkInvalid as error:
            return problem(request, error)
        data = privacy.export_bytes(person_id, origin="download")
        if data is None:  # erased between the check and now
            return problem(request, LinkInvalid())
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
