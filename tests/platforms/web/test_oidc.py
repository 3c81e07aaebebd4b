"""Single sign-on with a real OpenID Connect provider (oidc-provider-mock on 127.0.0.1): the
authorization code flow with PKCE, state and nonce, checked by Authlib, through Maatjes' real app
(real SQLite), and every way it can go wrong answered politely with a 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import create_app
from bot.settings import Settings
from storage.identities import oidc_identity
from storage.models import WebIdentity
from tests.support.oidc import Provider, path_and_query, query, running_provider

PUBLIC = "http://127.0.0.1:8765"
#: the provider (a test tool) uses Authlib APIs that Authlib now warns about; not ours
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


def oidc_settings(tmp_path: Path, issuer: str, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        scheduler=False,
        web_signin="oidc",
        public_url=PUBLIC,
        oidc_issuer=issuer,
        oidc_client_id="maatjes-test",
        oidc_client_secret="a-client-secret-for-tests",
        **extra,
    )


@pytest.fixture
def client(tmp_path: Path, provider: Provider) -> Iterator[TestClient]:
    with TestClient(create_app(oidc_settings(tmp_path, provider.issuer)), base_url=PUBLIC) as c:
        yield c


def start(client: TestClient, lang: str = "nl") -> str:
    """Our /signin/oidc: the provider's authorize URL it sends the browser to."""
    response = client.get(f"/signin/oidc?lang={lang}", follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def with_params(url: str, **params: str) -> str:
    parts = urlsplit(url)
    merged = {**query(url), **params}
    return urlunsplit(parts._replace(query=urlencode(merged)))


def sign_in(client: TestClient, provider: Provider, sub: str = "anna") -> None:
    back = provider.authorize(start(client), sub)
    response = client.get(path_and_query(back), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/", response.text


def test_the_flow_asks_for_pkce_state_and_nonce(client: TestClient, provider: Provider) -> None:
    authorize = start(client)
    assert authorize.startswith(f"{provider.issuer}/")
    params = query(authorize)
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert params["state"] and params["nonce"]
    assert params["redirect_uri"] == f"{PUBLIC}/signin/oidc/callback"
    assert params["client_id"] == "maatjes-test"
    assert set(params["scope"].split()) == {"openid", "email", "profile"}


def test_sign_in_chat_and_sign_out(client: TestClient, provider: Provider) -> None:
    assert "Inloggen via je organisatie" in client.get("/").text
    assert client.get("/api/chat").status_code == 401
    provider.set_user("anna-1", email="Anna@Example.org", email_verified=True, name="Anna")
    sign_in(client, provider, "anna-1")

    page = client.get("/").text
    assert "Inloggen via je organisatie" not in page and 'id="signout"' in page
    opening = client.get("/api/chat").json()
    assert opening["messages"][-1]["step"] == "consent"
    assert client.post("/api/chat", json={"choice": "yes"}).json()["accepted"] is True

    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        row = session.get(WebIdentity, oidc_identity(provider.issuer, "anna-1"))
        assert row is not None and row.email == "anna@example.org"

    assert client.delete("/session").status_code == 200
    assert client.get("/api/chat").status_code == 401


def test_an_unverified_address_is_not_kept(client: TestClient, provider: Provider) -> None:
    provider.set_user("bert-1", email="bert@example.org", email_verified=False)
    sign_in(client, provider, "bert-1")
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        row = session.get(WebIdentity, oidc_identity(provider.issuer, "bert-1"))
        assert row is not None and row.email is None


def test_a_bare_name_is_refused(client: TestClient) -> None:
    assert client.post("/session", json={"name": "Anna"}).status_code == 403
    assert client.get("/api/chat").status_code == 401


def test_a_replayed_callback_is_refused(client: TestClient, provider: Provider) -> None:
    back = provider.authorize(start(client), "carla")
    assert client.get(path_and_query(back), follow_redirects=False).status_code == 303
    client.delete("/session")
    again = client.get(path_and_query(back), follow_redirects=False)
    # no state of ours any more: first the same-site bounce, then a polite refusal
    assert again.status_code == 200 and 'http-equiv="refresh"' in again.text
    refused = client.get(path_and_query(with_params(back, here="1")))
    assert refused.status_code == 400
    assert "Inloggen is niet gelukt" in refused.text
    assert client.get("/api/chat").status_code == 401


def test_a_wrong_state_is_refused(client: TestClient, provider: Provider) -> None:
    back = provider.authorize(start(client, "en"), "dirk")
    refused = client.get(path_and_query(with_params(back, state="not-ours")))
    assert refused.status_code == 400 and "Signing in did not work" in refused.text
    assert client.get("/api/chat").status_code == 401


def test_a_missing_state_is_refused(client: TestClient, provider: Provider) -> None:
    back = provider.authorize(start(client), "dirk")
    params = {k: v for k, v in query(back).items() if k != "state"}
    refused = client.get(f"/signin/oidc/callback?{urlencode(params)}")
    assert refused.status_code == 400
    assert client.get("/api/chat").status_code == 401


def test_a_tampered_nonce_is_refused(client: TestClient, provider: Provider) -> None:
    authorize = with_params(start(client), nonce="someone-elses-nonce")
    back = provider.authorize(authorize, "eva")
    refused = client.get(path_and_query(back))
    assert refused.status_code == 400
    assert client.get("/api/chat").status_code == 401


def test_a_provider_error_is_polite(client: TestClient, provider: Provider) -> None:
    back = provider.authorize(start(client), "fien", deny=True)
    assert query(back)["error"] == "access_denied"
    refused = client.get(path_and_query(back))
    assert refused.status_code == 400
    assert "Je organisatie heeft het inloggen niet doorgezet" in refused.text
    assert client.get("/api/chat").status_code == 401


def test_garbage_on_the_callback_is_4xx(client: TestClient, provider: Provider) -> None:
    start(client)
    for params in ("code=x&state=y", "state=" + "x" * 5000, "code=&state=", "error=%00"):
        answer = client.get(f"/signin/oidc/callback?{params}&here=1")
        assert 400 <= answer.status_code < 500, params


def test_an_unreachable_provider_is_a_polite_503(tmp_path: Path) -> None:
    settings = oidc_settings(tmp_path, "http://127.0.0.1:9")
    with TestClient(create_app(settings), base_url=PUBLIC) as client:
        answer = client.get("/signin/oidc?lang=en")
        assert answer.status_code == 503
        assert "cannot be reached" in answer.text


def test_sign_out_ends_every_copy_of_the_cookie(client: TestClient, provider: Provider) -> None:
    sign_in(client, provider, "hans")
    copied = dict(client.cookies)
    assert client.get("/api/chat").status_code == 200
    client.delete("/session")
    client.cookies.clear()
    client.cookies.update(copied)  # the cookie as it was before signing out, e.g. stolen
    assert client.get("/api/chat").status_code == 401


def test_a_session_past_its_lifetime_is_over(tmp_path: Path, provider: Provider) -> None:
    settings = oidc_settings(tmp_path, provider.issuer)
    with TestClient(create_app(settings), base_url=PUBLIC) as client:
        sign_in(client, provider, "ina")
        assert client.get("/api/chat").status_code == 200
        client.app.state.web_session_lifetimes = (-1.0, -1.0)  # type: ignore[attr-defined]
        assert client.get("/api/chat").status_code == 401


def test_coordinators_may_name_the_subject_alone(tmp_path: Path) -> None:
    settings = oidc_settings(
        tmp_path,
        "https://idp.example.org/",
        coordinators="oidc:abc, oidc:https://other.example.org|def, tessa",
    )
    assert settings.coordinators == {
        "oidc:https://idp.example.org|abc",
        "oidc:https://other.example.org|def",
        "local:tessa",
    }


def test_sign_in_starts_are_throttled_per_client(client: TestClient) -> None:
    answers = [client.get("/signin/oidc", follow_redirects=False) for _ in range(31)]
    assert [a.status_code for a in answers[:30]] == [302] * 30
    assert answers[30].status_code == 429 and int(answers[30].headers["retry-after"]) >= 1
    assert "Even rustig aan" in answers[30].text


def test_a_coordinator_by_subject_signs_in_to_the_dashboard(
    tmp_path: Path, provider: Provider
) -> None:
    settings = oidc_settings(tmp_path, provider.issuer, coordinators="oidc:tessa-1")
    with TestClient(create_app(settings), base_url=PUBLIC) as client:
        login = client.get("/dashboard/login?lang=nl").text
        assert 'href="/signin/oidc?lang=nl&amp;next=/dashboard"' in login
        provider.set_user("tessa-1", email="tessa@example.org", email_verified=True, name="Tessa")
        authorize = client.get("/signin/oidc?next=/dashboard", follow_redirects=False)
        back = provider.authorize(authorize.headers["location"], "tessa-1")
        done = client.get(path_and_query(back), follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/dashboard"
        assert client.get("/dashboard", follow_redirects=False).status_code == 200
        client.cookies.clear()
        # anyone else signs in to the chat, never the dashboard; an outside next is ignored
        provider.set_user("piet-1", email="piet@example.org", email_verified=True)
        authorize = client.get("/signin/oidc?next=https://evil.example/", follow_redirects=False)
        back = provider.authorize(authorize.headers["location"], "piet-1")
        done = client.get(path_and_query(back), follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert client.get("/api/chat").status_code == 200
        assert client.get("/dashboard", follow_redirects=False).status_code != 200
