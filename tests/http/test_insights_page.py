"""„Wat speelt er” on the real app: coordinators only, each reading audited, the demo community
gives at least three themes of three or more people with verbatim quotes, in both languages; the
printable report says what changed since the last report; a bad date is a 4xx."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import create_app
from bot.services.accounts import Accounts
from bot.services.community import demo_people, load_demo
from bot.settings import Settings
from storage import audit
from tests.support.dashboard import login
from tests.support.insights import community_that_moved

QUOTE = re.compile(r'<blockquote class="quote">(.*?)</blockquote>', re.S)
PEOPLE = re.compile(r'<span class="people-count">(\d+) (?:personen|people)</span>')


def _app(tmp_path: Path) -> FastAPI:
    """The app on a fresh SQLite file (tfidf, no model), with coordinator tessa."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        coordinators="local:tessa",
        scheduler=False,
        embedder="tfidf",
    )  # type: ignore[call-arg]
    app = create_app(settings)
    Accounts(app.state.maatjes.engine).set_password("tessa", "een lang wachtwoord")
    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = _app(tmp_path)
    load_demo(app.state.maatjes.settings.resolved_database_url)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def test_the_page_and_the_report_show_the_demo_communitys_themes(client: TestClient) -> None:
    for path in ("/dashboard/insights", "/dashboard/insights/report"):
        assert client.get(path, follow_redirects=False).status_code == 303
    assert login(client) == 303
    page = client.get("/dashboard/insights")
    assert page.status_code == 200 and "<h1>Wat speelt er</h1>" in page.text
    counts = [int(n) for n in PEOPLE.findall(page.text)]
    assert len(counts) >= 3 and min(counts) >= 3
    texts = {p[f] for p in demo_people() for f in ("ongemak", "works_on") if p[f]}
    quotes = [html.unescape(q) for q in QUOTE.findall(page.text)]
    assert quotes and all(q in texts for q in quotes), "every quote verbatim from a profile"
    assert 'href="/dashboard/insights"' in page.text  # in the navigation

    english = client.get("/dashboard/insights?lang=en")
    assert "<h1>What&#39;s going on</h1>" in english.text and "people</span>" in english.text

    first = client.get("/dashboard/insights/report?lang=nl")
    assert first.status_code == 200 and "eerste rapport" in first.text
    assert client.get("/dashboard/insights/report").text.count("eerste rapport") == 1
    since = client.get("/dashboard/insights/report?since=2000-01-01")
    assert "Nieuw thema:" in since.text and "Sinds 01-01-2000:" in since.text
    assert '<script src="/static/insights.js"></script>' in since.text

    with Session(client.app.state.maatjes.engine) as session:  # type: ignore[attr-defined]
        actions = [e.action for e in audit.events(session) if e.object_type == "insights"]
    assert sorted(actions) == ["read_insights"] * 2 + ["read_insights_report"] * 3
    for query, status in (("2026-13-45", 400), ("gisteren", 422), ("9" * 40, 422)):
        for path in ("/dashboard/insights", "/dashboard/insights/report"):
            assert client.get(f"{path}?since={query}").status_code == status


def test_the_report_and_the_page_tell_which_theme_is_gone_since(tmp_path: Path) -> None:
    app = _app(tmp_path)
    since = community_that_moved(app.state.maatjes.engine).isoformat()
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert login(client) == 303
        report = html.unescape(client.get(f"/dashboard/insights/report?since={since}").text)
        changes = report.split('id="changes"')[1].split("</section>")[0]
        assert "Geen thema meer: clothing, collection en sorting (was 5 personen)" in changes
        assert "Nieuw thema: maaisel, bermgras en biomassa (5 personen)" in changes
        assert "Geen nieuwe thema" not in changes
        english = html.unescape(
            client.get(f"/dashboard/insights/report?since={since}&lang=en").text
        )
        assert "No longer a theme: clothing, collection, and sorting (was 5 people)" in english
        page = html.unescape(client.get(f"/dashboard/insights?since={since}&lang=nl").text)
        assert "Geen thema meer sinds 01-11-2026" in page and "(was 5 personen)" in page
        assert "Geen thema meer" not in client.get("/dashboard/insights").text
