"""Dashboard logins under attack, on the real app and a real database: throttling and lockout,
Argon2 outside the write lock, revocable sessions, an audit trail that a flood cannot bury,
CSRF tokens of any shape, and the role that `maatjes coordinator password` writes."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.app import create_app
from bot.core.messages import Account, Inbound
from bot.services.access import CLI_ACTOR
from bot.services.accounts import Accounts
from bot.settings import Settings
from storage import audit, people
from storage.db import make_engine, migrate, session_scope
from storage.models import AuditEvent
from tests.support.browser import Server
from tests.support.community import community, proposed_round
from tests.support.dashboard import csrf_token, login

PASSWORD = "een lang wachtwoord"


def _settings(tmp_path: Path, **limits: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        coordinators="local:tessa",
        admins="local:root",
        scheduler=False,
        **limits,
    )


def _client(settings: Settings, address: str = "198.51.100.7") -> TestClient:
    return TestClient(create_app(settings), base_url="http://127.0.0.1", client=(address, 40000))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(_settings(tmp_path)) as client:
        accounts = Accounts(client.app.state.maatjes.engine)  # type: ignore[attr-defined]
        accounts.set_password("tessa", PASSWORD)
        accounts.set_password("root", "het beheerderswachtwoord")
        yield client


def _attempt(client: TestClient, name: str, password: str) -> httpx.Response:
    return client.post(
        "/dashboard/login",
        data={"username": name, "password": password, "csrf": csrf_token(client)},
        follow_redirects=False,
    )


# --- item 4: throttling, lockout, Argon2 outside the write lock ----------------------------------


def test_guesses_from_one_address_are_throttled_with_retry_after(tmp_path: Path) -> None:
    settings = _settings(tmp_path, login_rate_limit="5/minute", login_lockout="100/hour")
    with _client(settings) as client:
        Accounts(client.app.state.maatjes.engine).set_password("tessa", PASSWORD)  # type: ignore[attr-defined]
        statuses = [_attempt(client, "tessa", f"gok nummer {n}").status_code for n in range(5)]
        assert statuses == [401] * 5
        refused = _attempt(client, "tessa", "gok nummer 6")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert "Er is te vaak geprobeerd in te loggen" in refused.text
        # another account from the same address: the address is throttled, not only the account
        other = _attempt(client, "root", "het beheerderswachtwoord")
        assert other.status_code == 429
        client.get("/dashboard/login?lang=en")
        assert "Too many login attempts" in _attempt(client, "tessa", "x" * 12).text
    # another address is not slowed down by this one
    with _client(settings, address="203.0.113.9") as elsewhere:
        assert login(elsewhere, "tessa", PASSWORD) == 303


def test_an_account_is_throttled_whatever_the_address(tmp_path: Path) -> None:
    settings = _settings(tmp_path, login_account_rate_limit="3/minute", login_lockout="100/hour")
    app = create_app(settings)
    Accounts(app.state.maatjes.engine).set_password("tessa", PASSWORD)
    statuses = []
    for n in range(5):
        with TestClient(app, base_url="http://127.0.0.1", client=(f"192.0.2.{n}", 1)) as client:
            statuses.append(_attempt(client, "TESSA", "verkeerd wachtwoord").status_code)
    assert statuses == [401, 401, 401, 429, 429], "case and address do not matter"


def test_a_locked_account_refuses_even_the_right_password_until_the_lockout_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(
        tmp_path,
        login_rate_limit="1000/minute",
        login_account_rate_limit="1000/minute",
        login_lockout="3/15 minutes",
    )
    with _client(settings) as client:
        accounts = Accounts(client.app.state.maatjes.engine)  # type: ignore[attr-defined]
        accounts.set_password("tessa", PASSWORD)
        accounts.set_password("root", "het beheerderswachtwoord")
        assert [_attempt(client, "tessa", "fout fout fout").status_code for _ in range(3)] == [
            401
        ] * 3
        right = _attempt(client, "tessa", PASSWORD)
        wrong = _attempt(client, "tessa", "nog een gok!!")
        assert right.status_code == wrong.status_code == 429, "the lockout gives nothing away"
        assert right.text.replace(csrf_token(client), "") == wrong.text.replace(
            csrf_token(client), ""
        )
        assert 840 < int(right.headers["retry-after"]) <= 900
        assert login(client, "root", "het beheerderswachtwoord") == 303, "only tessa is locked"
        # typing errors before a successful login do not add up towards a lockout
        assert [_attempt(client, "root", "tikfout tikfout").status_code for _ in range(2)] == [
            401
        ] * 2
        assert login(client, "root", "het beheerderswachtwoord") == 303
        assert [_attempt(client, "root", "tikfout tikfout").status_code for _ in range(2)] == [
            401
        ] * 2
        assert login(client, "root", "het beheerderswachtwoord") == 303

        # the lockout ends by itself when the failures leave their window
        import time as clock

        later = clock.time() + 15 * 60 + 5
        monkeypatch.setattr(clock, "time", lambda: later)
        assert _attempt(client, "tessa", PASSWORD).status_code == 303


def test_checking_a_password_does_not_need_the_write_lock(tmp_path: Path) -> None:
    """Argon2 is slow on purpose: it must not run inside a write transaction. While another
    connection holds SQLite's write lock, a wrong password is still checked and refused."""
    engine = make_engine(f"sqlite:///{tmp_path / 'maatjes.db'}")
    migrate(engine)
    accounts = Accounts(engine)
    accounts.set_password("tessa", PASSWORD)
    writer = engine.connect()
    writer.begin()  # BEGIN IMMEDIATE: the write lock, as another process writing holds it
    writer.exec_driver_sql("UPDATE dashboard_account SET last_login_at = NULL")
    try:
        outcome: list[bool] = []
        worker = threading.Thread(
            target=lambda: outcome.append(accounts.verify("tessa", "verkeerd wachtwoord"))
        )
        worker.start()
        worker.join(timeout=60)
        assert outcome == [False], "the check waited for the writer (or failed)"
    finally:
        writer.rollback()
        writer.close()
    assert accounts.verify("tessa", PASSWORD)


# --- item 5: the audit trail cannot be flushed -------------------------------------------------


def test_a_flood_of_refused_logins_does_not_bury_approvals_and_erasures(
    client: TestClient,
) -> None:
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    round_id = proposed_round(engine, community(engine))
    chat = client.app.state.maatjes.conversations  # type: ignore[attr-defined]
    for inbound in (Inbound(text="hallo"), Inbound(choice="yes"), Inbound(text="Sanne")):
        chat.handle(Account("local", "sanne"), inbound)
    with Session(engine) as session:
        sanne = people.get_person(session, platform="local", platform_user_id="sanne")
        assert sanne is not None
    from bot.services.errors import NotAllowed

    with pytest.raises(NotAllowed):  # sanne asks the chat for a round: refused, tallied
        client.app.state.maatjes.rounds.propose(actor="unverified:local:sanne", origin="web")  # type: ignore[attr-defined]

    assert login(client, "root", "het beheerderswachtwoord") == 303
    token = csrf_token(client, "/dashboard/privacy")
    assert (
        client.post(
            f"/dashboard/rounds/{round_id}/approve",
            data={"csrf": token, "group": "1"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    for n in range(1100):
        # from the same browser: the session stays the attacker's own
        client.post(
            "/dashboard/login",
            data={"username": "tessa", "password": f"gok {n:04d} geraden", "csrf": token},
        )
    assert login(client, "root", "het beheerderswachtwoord") != 303, "still throttled"

    with _client(client.app.state.maatjes.settings, address="203.0.113.50") as admin:  # type: ignore[attr-defined]
        assert login(admin, "root", "het beheerderswachtwoord") == 303
        token = csrf_token(admin, "/dashboard/privacy")
        erased = admin.post(
            "/dashboard/privacy/erase", data={"csrf": token, "person": sanne.id, "confirm": "yes"}
        )
        assert erased.status_code == 200

        exported = admin.get("/dashboard/audit?format=csv")
        assert exported.status_code == 200
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        actions = [row["action"] for row in rows]
        assert "approve" in actions and "erase" in actions
        assert sum(int(row["count"]) for row in rows if row["action"] == "login") == 1101
        assert {row["source"] for row in rows if row["action"] == "login"} == {"198.51.100.7"}

        for action in ("approve", "erase"):
            shown = admin.get(f"/dashboard/audit?action={action}").text
            assert f'data-action="{action}"' in shown
            assert 'data-action="login"' not in shown

        with Session(engine) as session:
            logins = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "login")).all()
        assert len(logins) <= 4, "refusals from one source are tallied, not one row each"
        assert sum(e.count for e in logins) == 1101
        with Session(engine) as session:
            proposed = session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "propose")
            ).one()
        assert proposed.actor.startswith("erased:") and proposed.tally_key is None, (
            "nothing links the pseudonym to the name, not even the tally's key"
        )


def test_the_export_is_complete_and_the_page_pages(client: TestClient) -> None:
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        for n in range(2345):
            audit.record(
                session,
                actor=CLI_ACTOR,
                action="approve" if n % 2 else "introduce",
                object_type="group",
                object_id=n,
                result="ok",
                origin="cli",
            )
    assert login(client) == 303
    with client.stream("GET", "/dashboard/audit?format=csv") as response:
        assert response.status_code == 200
        body = "".join(response.iter_text())
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(int(r["object_id"]) for r in rows if r["object_type"] == "group") == list(
        range(2345)
    )
    first = client.get("/dashboard/audit?action=approve").text
    assert "Pagina 1 van 12" in first and "<td>introduce</td>" not in first
    last = client.get("/dashboard/audit?action=approve&page=12").text
    assert "group 1</td>" in last, "the oldest approval is on the last page"
    assert client.get("/dashboard/audit?page=99999").status_code == 200
    for bad in ("page=0", "page=-1", "page=abc", "action=" + "é" * 65, "page=99999999999999"):
        assert client.get(f"/dashboard/audit?{bad}").status_code == 422, bad


# --- item 6: sessions can be revoked ---------------------------------------------------------


def test_a_copied_cookie_stops_working_after_logout(client: TestClient) -> None:
    assert login(client) == 303
    copied = dict(client.cookies)
    logout = client.post("/dashboard/logout", data={"csrf": csrf_token(client, "/dashboard")})
    assert logout.status_code == 200 and "/dashboard/login" in str(logout.url)
    client.cookies.clear()
    client.cookies.update(copied)
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"


def test_a_copied_cookie_stops_working_after_a_new_password(
    client: TestClient, tmp_path: Path
) -> None:
    assert login(client) == 303
    copied = dict(client.cookies)
    # the operator sets a new password from the command line (another process)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bot.cli import main; main()",
            "coordinator",
            "password",
            "tessa",
            "--password-stdin",
        ],
        input="een nieuw lang wachtwoord\n",
        capture_output=True,
        text=True,
        env={**os.environ, "MAATJES_DATA_DIR": str(tmp_path / "data")},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    client.cookies.clear()
    client.cookies.update(copied)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    assert login(client) == 401, "the old password is gone"
    assert login(client, password="een nieuw lang wachtwoord") == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 200


# --- item 7: CSRF tokens of any shape are a polite 403 -----------------------------------------


NOT_A_TOKEN = ["é" * 43, "🙂", "tëst" + "a" * 40, "", "\u202etoken", "\x00", "ü" * 900]


def test_a_non_ascii_csrf_token_is_a_polite_403_not_a_500(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    app = create_app(settings)
    engine = app.state.maatjes.engine
    Accounts(engine).set_password("tessa", PASSWORD)
    round_id = proposed_round(engine, community(engine))
    app.state.maatjes.rounds.approve(round_id, position=1, actor=CLI_ACTOR, origin="cli")
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        client.get("/dashboard/login")
        for token in NOT_A_TOKEN:
            form = {"username": "tessa", "password": PASSWORD, "csrf": token}
            response = client.post("/dashboard/login", data=form)
            assert response.status_code == 403, token
            assert "Dit formulier is verlopen" in response.text
        # invalid UTF-8 and odd encodings in the raw body
        for raw in (
            b"csrf=%FF%FE&username=tessa&password=x",
            b"csrf=\xff\xfe&username=t&password=x",
        ):
            response = client.post(
                "/dashboard/login",
                content=raw,
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            assert response.status_code in (403, 422), raw

        assert login(client) == 303
        for token in NOT_A_TOKEN[:3]:
            for path, form in (
                ("/dashboard/logout", {}),
                (f"/dashboard/rounds/{round_id}/approve", {"group": "2"}),
                ("/dashboard/rounds", {}),
            ):
                response = client.post(path, data={"csrf": token, **form}, follow_redirects=False)
                assert response.status_code == 403, (path, token)
        assert client.get("/dashboard", follow_redirects=False).status_code == 200, "still in"

        # the group threads share the check
        client.cookies.clear()
        assert client.post("/session", json={"name": "Anna"}).status_code == 200
        with Session(engine) as session:
            from storage import rounds

            pair = rounds.groups_of(session, round_id=round_id)[0].id
        for token in NOT_A_TOKEN[:3]:
            posted = client.post(f"/groups/{pair}", data={"csrf": token, "text": "hallo"})
            assert posted.status_code < 500 and posted.status_code != 303, token
            assert "hallo" in posted.text, "nothing typed is lost"


def test_a_non_ascii_slack_oauth_state_is_refused_not_a_crash(tmp_path: Path) -> None:
    from bot.platforms.slack.store import SignedStateStore

    engine = make_engine(f"sqlite:///{tmp_path / 'maatjes.db'}")
    migrate(engine)
    store = SignedStateStore(engine, "een geheim van minstens tweeëndertig tekens lang")
    good = store.issue()
    expiry, nonce, _ = good.split(".")
    for state in (f"{expiry}.{nonce}.{'é' * 64}", f"{expiry}.{nonce}.🙂", "é.é.é", "..."):
        assert store.consume(state) is False, state
    assert store.consume(good) is True and store.consume(good) is False


# --- item 13: the role `maatjes coordinator password` writes is the role the server reads --------


def _cli(data_dir: Path, *args: str, stdin: str, env: dict[str, str]) -> str:
    """The command as the README writes it, in a session of its own (no terminal: the password
    prompt reads standard input)."""
    result = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**_clean_env(), "MAATJES_DATA_DIR": str(data_dir), **env},
        timeout=60,
        check=False,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _clean_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if k not in ("MAATJES_COORDINATORS", "MAATJES_ADMINS")
    }


def _form_login(http: httpx.Client, name: str, password: str) -> httpx.Response:
    form = http.get("/dashboard/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    return http.post(
        "/dashboard/login",
        data={"username": name, "password": password, "csrf": token.group(1)},
        follow_redirects=False,
    )


def test_the_readme_coordinator_line_works_with_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    # README: MAATJES_COORDINATORS=local:tessa maatjes coordinator password tessa
    said = _cli(
        data,
        "coordinator",
        "password",
        "tessa",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
        env={"MAATJES_COORDINATORS": "local:tessa"},
    )
    assert "local:tessa" in said
    # the server (as `make run` starts it) never sees that variable
    for key in ("MAATJES_COORDINATORS", "MAATJES_ADMINS"):
        monkeypatch.delenv(key, raising=False)
    server = Server(data, env={"MAATJES_SECRET_KEY": "s" * 48})
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert _form_login(http, "tessa", PASSWORD).status_code == 303
            assert http.get("/dashboard").status_code == 200
            assert http.get("/dashboard/privacy").status_code == 403, "a coordinator, no admin"

        # strangers: no account at all, and an account whose role was taken back
        _cli(data, "coordinator", "password", "anna", stdin="een ander wachtwoord\n" * 2, env={})
        _cli(data, "coordinator", "remove", "anna", stdin="", env={})
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert _form_login(http, "victor", "een geraden wachtwoord").status_code == 401
            refused = _form_login(http, "anna", "een ander wachtwoord")
            assert refused.status_code == 403 and "alleen voor coördinatoren" in refused.text
            assert http.get("/dashboard", follow_redirects=False).status_code == 303

        _cli(
            data,
            "coordinator",
            "password",
            "root",
            "--admin",
            stdin="het beheerderswachtwoord\n" * 2,
            env={},
        )
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert _form_login(http, "root", "het beheerderswachtwoord").status_code == 303
            assert http.get("/dashboard/privacy").status_code == 200

        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert _form_login(http, "tessa", PASSWORD).status_code == 303
            _cli(data, "coordinator", "remove", "tessa", stdin="", env={})
            assert http.get("/dashboard", follow_redirects=False).status_code == 303
            assert _form_login(http, "tessa", PASSWORD).status_code == 403
    finally:
        server.stop()


def test_roles_from_the_settings_and_the_database_are_both_honoured(tmp_path: Path) -> None:
    engine_url = f"sqlite:///{tmp_path / 'data' / 'maatjes.db'}"
    with _client(_settings(tmp_path)) as client:
        accounts = Accounts(client.app.state.maatjes.engine)  # type: ignore[attr-defined]
        accounts.set_password("tessa", PASSWORD)  # MAATJES_COORDINATORS only
        accounts.set_password("bram", "een wachtwoord van bram")
        accounts.grant("bram", "coordinator")  # the database only
        assert login(client, "tessa", PASSWORD) == 303
        assert login(client, "bram", "een wachtwoord van bram") == 303
        assert client.get("/dashboard/privacy").status_code == 403
        accounts.grant("bram", "admin")
        assert login(client, "bram", "een wachtwoord van bram") == 303
        assert client.get("/dashboard/privacy").status_code == 200
    engine = make_engine(engine_url)
    with engine.connect() as connection:
        roles = dict(connection.execute(text("SELECT username, role FROM dashboard_account")).all())
    assert roles == {"tessa": None, "bram": "admin"}


# --- odd input on both databases: always 4xx, never 5xx ----------------------------------------


ODD_NAMES = [
    "\x00",
    "tessa\x00",
    "ﷺ" * 80,
    "🙂" * 80,
    "\u202etessa",
    "ｔｅｓｓａ\x00",
    " ",
    "é" * 81,
]


def test_odd_logins_and_audit_filters_are_4xx_on_every_database(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database_url,
        coordinators="local:tessa",
        scheduler=False,
        login_rate_limit="1000/minute",
        login_account_rate_limit="1000/minute",
        login_lockout="1000/minute",
    )
    app = create_app(settings)
    Accounts(app.state.maatjes.engine).set_password("tessa", PASSWORD)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        for name in ODD_NAMES:
            for password in ("x", "\x00" * 10, "ü" * 200):
                status = _attempt(client, name, password).status_code
                assert 400 <= status < 500, (name, password, status)
        assert login(client) == 303
        for query in ("action=%00", "action=login%00", "action=" + "ﷺ" * 60, "page=1&action=é"):
            status = client.get(f"/dashboard/audit?{query}").status_code
            assert status in (200, 422), (query, status)
            status = client.get(f"/dashboard/audit?format=csv&{query}").status_code
            assert status in (200, 422), (query, status)
        exported = client.get("/dashboard/audit?format=csv").text
        assert exported.count("\n") >= 2


def test_refused_review_actions_are_tallied_too(client: TestClient) -> None:
    from bot.services.errors import NotAllowed

    service = client.app.state.maatjes.rounds  # type: ignore[attr-defined]
    for _ in range(1100):
        with pytest.raises(NotAllowed):
            service.propose(actor="unverified:local:mallory", origin="web")
    with Session(service.engine) as session:
        refused = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "propose")).all()
    assert [(e.actor, e.result, e.count) for e in refused] == [
        ("unverified:local:mallory", "refused", 1100)
    ]


def test_odd_cookie_content_is_a_fresh_session_not_a_500(client: TestClient) -> None:
    raw_cookies = [
        "session=é".encode(),
        "session=éé.abc.def".encode(),
        b"session=\xff\xfe",
        "csrf=é; session=🙂".encode(),
        b"session=" + b"x" * 5000,
    ]
    form = {"csrf": "é", "username": "tessa", "password": PASSWORD}
    for raw in raw_cookies:
        client.cookies.clear()
        for method, path in (
            ("GET", "/dashboard/login"),
            ("POST", "/dashboard/login"),
            ("POST", "/dashboard/logout"),
            ("GET", "/dashboard/audit"),
        ):
            response = client.request(
                method,
                path,
                headers=[(b"cookie", raw)],
                data=form if method == "POST" else None,
                follow_redirects=False,
            )
            assert response.status_code in (200, 303, 403), (raw[:20], path)
