"""A real OpenID Connect provider for tests: ``oidc-provider-mock`` (a Flask app, Authlib inside)
served by werkzeug in a thread on 127.0.0.1, and helpers that walk its authorize form."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import oidc_provider_mock
import werkzeug.serving


@dataclass(frozen=True)
class Provider:
    issuer: str

    def set_user(self, sub: str, **claims: object) -> None:
        """The claims the provider puts in ``sub``'s ID token (email, email_verified, name)."""
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204, response.text

    def authorize(self, authorize_url: str, sub: str, *, deny: bool = False) -> str:
        """Fill in the provider's authorize form as ``sub`` (or deny); the URL it sends back to."""
        data = {"action": "deny"} if deny else {"sub": sub}
        response = httpx.post(authorize_url, data=data, timeout=10)
        assert response.status_code in (302, 303), response.text
        return response.headers["location"]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@contextmanager
def running_provider(host: str = "127.0.0.1") -> Iterator[Provider]:
    """``host`` names the issuer (``localhost`` makes it another site than 127.0.0.1, as a real
    provider is); the server listens on 127.0.0.1 only."""
    app = oidc_provider_mock.app(require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Provider(issuer=f"http://{host}:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
