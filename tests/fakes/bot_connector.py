"""Local stand-ins for the Microsoft services a Teams bot talks to, on 127.0.0.1, no network.

- :class:`FakeBotConnector` is the Bot Connector (the activity's ``serviceUrl``): it records every
  POST/PUT/GET under ``/v3/conversations/…`` and can be told to fail the next calls (429 …).
- :class:`FakeChannelKeys` publishes the signing keys (JWKS) of the Bot Framework channel and
  signs activity tokens with a test RSA key, so the SDK's real JWT validation runs.
- :class:`FakeEntra` is the Entra token service MSAL asks for the bot's outbound token: OpenID
  metadata and a token endpoint, over HTTPS (MSAL insists) with a throwaway certificate.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

#: The test bot's identity: its Entra app id and secret, and the tenant it serves.
APP_ID = "6d1f7c2a-5b1e-4c3d-9f00-0000000b0701"
SECRET = "test-only-secret"
TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"

Route = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], Any]]


class _Server:
    """A threaded HTTP(S) server answering with a route function; stops on ``close``."""

    def __init__(self, route: Route, *, tls: ssl.SSLContext | None = None) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = outer.route(
                    self.command, self.path, dict(self.headers.items()), body
                )
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if payload is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        self.route = route
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class _Served:
    """A fake behind one :class:`_Server`: ``close`` stops it, ``_address`` is where it listens."""

    _server: _Server | None

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    def _address(self, scheme: str = "http") -> str:
        assert self._server is not None
        return f"{scheme}://127.0.0.1:{self._server.port}"


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    response_id: str | None = None

    @property
    def activity(self) -> dict[str, Any]:
        assert isinstance(self.body, dict)
        return self.body


@dataclass
class FakeBotConnector(_Served):
    """The Bot Connector REST API (v3) as far as a bot uses it, recording every call."""

    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _server: _Server | None = None
    _counter: int = 0

    def start(self) -> FakeBotConnector:
        self._server = _Server(self._route)
        return self

    @property
    def url(self) -> str:
        return f"{self._address()}/"

    def fail_next(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.failures.append((status, headers or {}))

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parsed = json.loads(body) if body else None
        self.calls.append(Call(method, path.split("?")[0], headers, parsed))
        if not path.startswith("/v3/conversations/"):
            return 404, {}, {"error": {"code": "NotFound"}}
        if self.failures and method in ("POST", "PUT"):
            status, extra = self.failures.pop(0)
            return status, extra, {"error": {"code": "Throttled", "message": "slow down"}}
        parts = path.split("?")[0].split("/")
        if method == "GET" and len(parts) == 6 and parts[4] == "members":
            member = self.members.get(parts[5])
            return (200, {}, member) if member else (404, {}, {"error": {"code": "NotFound"}})
        if method == "POST":
            self._counter += 1
            self.calls[-1].response_id = f"bot-activity-{self._counter}"
            return 200, {}, {"id": self.calls[-1].response_id}
        if method == "PUT":
            return 200, {}, {"id": parts[-1]}
        return 200, {}, {}

    # what tests read

    def sent(self) -> list[Call]:
        """Activities the bot posted (replies and proactive messages), in order."""
        return [c for c in self.calls if c.method == "POST" and "/activities" in c.path]

    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT"]

    def clear(self) -> None:
        self.calls.clear()


def _tls_context(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1, and the file clients must trust."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-entra.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "fake-entra.pem"
    key_path = directory / "fake-entra.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


@dataclass
class FakeEntra(_Served):
    """Entra ID's token service for one tenant: OpenID metadata and client-credentials tokens."""

    tenant_id: str
    client_id: str
    client_secret: str
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    ca_file: Path | None = None
    _server: _Server | None = None

    def start(self, directory: Path) -> FakeEntra:
        context, self.ca_file = _tls_context(directory)
        self._server = _Server(self._route, tls=context)
        return self

    @property
    def authority(self) -> str:
        return f"{self._address('https')}/{self.tenant_id}"

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        base = self.authority
        if method == "GET" and path.startswith(
            f"/{self.tenant_id}/v2.0/.well-known/openid-configuration"
        ):
            return (
                200,
                {},
                {
                    "issuer": f"https://login.microsoftonline.com/{self.tenant_id}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                },
            )
        if method == "POST" and path.startswith(f"/{self.tenant_id}/oauth2/v2.0/token"):
            form = parse_qs(body.decode())
            self.token_requests.append(form)
            if form.get("client_id") != [self.client_id] or form.get("client_secret") != [
                self.client_secret
            ]:
                return 401, {}, {"error": "invalid_client"}
            return (
                200,
                {},
                {
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "access_token": f"bot-token-{uuid.uuid4().hex}",
                },
            )
        return 404, {}, {"error": "not_found"}


@dataclass
class FakeChannelKeys(_Served):
    """The Bot Framework channel's token signer: a JWKS endpoint and tokens signed by its key."""

    key_id: str = "test-key-1"
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    _server: _Server | None = None

    def start(self) -> FakeChannelKeys:
        self._server = _Server(self._route)
        return self

    @property
    def jwks_url(self) -> str:
        return f"{self._address()}/v1/.well-known/keys"

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if path.startswith("/v1/.well-known/keys"):
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
            public.update({"kid": self.key_id, "use": "sig", "alg": "RS256"})
            return 200, {}, {"keys": [public]}
        return 404, {}, None

    def token(
        self,
        *,
        audience: str,
        service_url: str,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        key: rsa.RSAPrivateKey | None = None,
        expires_in: int = 600,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, key or self._key, algorithm="RS256", headers={"kid": self.key_id})


@dataclass
class TeamsFakes:
    keys: FakeChannelKeys
    connector: FakeBotConnector
    entra: FakeEntra


@contextmanager
def teams_fakes(
    directory: Path, monkeypatch: pytest.MonkeyPatch, *, tenant: str, app_id: str, secret: str
) -> Iterator[TeamsFakes]:
    """The three Microsoft stand-ins on 127.0.0.1, with the SDK and MSAL pointed at them."""
    import msal.authority
    from microsoft_agents.hosting.core.authorization._entra_issuers import BOTFRAMEWORK_JWKS_URIS

    keys = FakeChannelKeys().start()
    connector = FakeBotConnector().start()
    entra = FakeEntra(tenant, app_id, secret).start(directory)
    try:
        # The SDK fetches the Bot Framework channel's keys from a fixed URL: point it here.
        monkeypatch.setitem(BOTFRAMEWORK_JWKS_URIS, BOT_FRAMEWORK_ISSUER, keys.jwks_url)
        # MSAL asks login.microsoftonline.com whether an unknown authority host is genuine;
        # the local stand-in is declared known instead, so MSAL talks to it directly.
        monkeypatch.setattr(
            msal.authority,
            "WELL_KNOWN_AUTHORITY_HOSTS",
            msal.authority.WELL_KNOWN_AUTHORITY_HOSTS | {"127.0.0.1"},
        )
        assert entra.ca_file is not None
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(entra.ca_file))
        yield TeamsFakes(keys, connector, entra)
    finally:
        connector.close()
        keys.close()
        entra.close()
