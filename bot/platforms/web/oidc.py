"""Single sign-on with the organisation's OpenID Connect provider (MAATJES_WEB_SIGNIN=oidc).

``GET /signin/oidc`` sends the person to the provider (authorization code flow with PKCE S256,
state and nonce, all by Authlib); ``GET /signin/oidc/callback`` takes them back. Authlib checks
the ID token: its signature against the provider's published keys, ``iss``, ``aud``, ``exp`` and
the nonce. The provider's address book (discovery) is fetched once and cached by Authlib.

Anything that goes wrong on the way back (a provider error, a missing, mismatched or replayed
state, a token that does not check out) is a polite 400 page in the reader's language; a provider
that cannot be reached is a polite 503. Nothing the provider sent is logged.

The session cookie is SameSite=Strict, so a browser coming back from the provider's site does not
send it: the callback first answers with a page that reloads itself from our own site (a same-site
navigation carries the cookie), then finishes the flow.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response
from joserfc.errors import JoseError

from bot.core.i18n import translator
from bot.http import identity_session
from bot.http.deps import Language
from bot.http.templates import templates
from bot.services.throttle import KeyedLimiter
from bot.services.web_identities import WebIdentities
from bot.settings_groups import OidcSignIn, WebSettings
from storage.identities import oidc_identity

log = logging.getLogger(__name__)

#: the provider did not answer (Authlib talks httpx2; httpx where that is missing)
UNREACHABLE = (httpx.HTTPError, httpx2.HTTPError, OSError)
#: what Authlib raises when the answer does not check out (state, token, ID token claims)
NOT_VALID = (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError)

CLIENT = "oidc"
#: sign-in starts per client address (each may cost the provider a request): generous, as a
#: whole office can share one address
START_LIMIT = "30/minute;600/hour"
#: the one query parameter the same-site bounce adds
BOUNCED = "here"
#: where a sign-in may return to (``?next=``): the chat, or the dashboard for coordinators
RETURNS = frozenset({"/", "/dashboard"})


def _page(request: Request, language: str, key: str, status: int, **extra: Any) -> Response:
    t = translator(language)
    return templates.TemplateResponse(
        request,
        "oidc.html",
        {
            "lang": language,
            "t": t,
            "title": t(f"web.oidc.{key}.title"),
            "text": t(f"web.oidc.{key}.text"),
            **extra,
        },
        status_code=status,
    )


def _has_state(request: Request) -> bool:
    return any(str(k).startswith(f"_state_{CLIENT}_") for k in request.session)


def router(
    config: OidcSignIn,
    identities: WebIdentities,
    *,
    callback_url: str,
    oauth: OAuth | None = None,
    start_limit: str = START_LIMIT,
) -> APIRouter:
    api = APIRouter()
    starts = KeyedLimiter(start_limit)
    oauth = oauth or OAuth()
    oauth.register(
        CLIENT,
        client_id=config.client_id,
        client_secret=config.client_secret.get_secret_value(),
        server_metadata_url=f"{config.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": config.scopes, "code_challenge_method": "S256"},
    )
    client = oauth.create_client(CLIENT)
    assert client is not None

    @api.get("/signin/oidc")
    async def start(
        request: Request, language: Language, next_page: str = Query("/", alias="next")
    ) -> Response:
        address = request.client.host if request.client is not None else "unknown"
        if not starts.allow(address):  # the peer itself: forwarded headers are not trusted
            slow_down = _page(request, language, "throttled", 429)
            slow_down.headers["retry-after"] = str(max(1, starts.retry_after(address)))
            return slow_down
        for key in [k for k in request.session if str(k).startswith(f"_state_{CLIENT}_")]:
            del request.session[key]  # one flow at a time: the cookie does not grow per click
        request.session["oidc_lang"] = language
        request.session["oidc_next"] = next_page if next_page in RETURNS else "/"
        try:
            answer: Response = await client.authorize_redirect(request, callback_url)
        except (*UNREACHABLE, *NOT_VALID):
            log.warning("the OIDC provider could not be reached for a sign-in")
            return _page(request, language, "unreachable", 503)
        return answer

    @api.get("/signin/oidc/callback")
    async def callback(request: Request, asked: Language) -> Response:
        language = request.session.get("oidc_lang") or asked
        if not _has_state(request) and BOUNCED not in request.query_params:
            # came from the provider's site: the Strict cookie stayed behind; reload from here
            query = request.url.include_query_params(**{BOUNCED: "1"}).query
            return _page(request, language, "returning", 200, refresh=f"?{query}")
        if request.query_params.get("error"):
            return _page(request, language, "refused", 400)
        try:
            token = await client.authorize_access_token(request)
        except UNREACHABLE:
            log.warning("the OIDC provider could not be reached to finish a sign-in")
            return _page(request, language, "unreachable", 503)
        except NOT_VALID:
            log.info("an OIDC sign-in did not check out")  # no token or claim in the log
            return _page(request, language, "failed", 400)
        claims = token.get("userinfo") or {}
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            return _page(request, language, "failed", 400)
        email = claims.get("email") if claims.get("email_verified") is True else None
        email = email.strip().lower() if isinstance(email, str) and email.strip() else None
        name = claims.get("name") or claims.get("preferred_username") or email or subject
        signed = identities.sign_in(
            oidc_identity(config.issuer, subject),
            email=email,
            display_name=str(name)[:80],
            language=language,
        )
        back = request.session.get("oidc_next")
        identity_session.begin(request, signed, language=language)  # a new session: no fixation
        return RedirectResponse(back if back in RETURNS else "/", status_code=303)

    return api


def mount(app: FastAPI, web: WebSettings, identities: WebIdentities, *, callback_url: str) -> None:
    """The sign-in routes (the chat's mount installs the identity sessions they begin)."""
    assert web.oidc is not None
    app.include_router(router(web.oidc, identities, callback_url=callback_url))
