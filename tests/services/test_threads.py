"""Group threads in the web chat: after an introduction the group talks in one place, members only;
texts are escaped, nothing typed is lost, the others hear of a new post through the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import create_app
from bot.services.access import CLI_ACTOR
from bot.settings import Settings
from storage import outbox, rounds
from tests.support.community import community, proposed_round


@pytest.fixture
def app_and_round(tmp_path: Path) -> Iterator[tuple[TestClient, int, list[int], list[int]]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", coordinators="local:tessa", scheduler=False
    )
    app = create_app(settings)
    engine = app.state.maatjes.engine
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    app.state.maatjes.rounds.approve(round_id, position=1, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        groups = [g.id or 0 for g in rounds.groups_of(session, round_id=round_id)]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, round_id, ids, groups


def _sign_in(client: TestClient, name: str) -> None:
    client.cookies.clear()
    assert client.post("/session", json={"name": name}).status_code == 200


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_members_talk_in_their_thread(
    app_and_round: tuple[TestClient, int, list[int], list[int]],
) -> None:
    client, _, ids, groups = app_and_round
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    pair, trio = groups
    with Session(engine) as session:
        intro = [m for m in outbox.entries(session) if m.kind == "introduction"]
    assert intro and all(f"/groups/{pair}" in str(m.payload) for m in intro)

    _sign_in(client, "Anna")
    listing = client.get("/groups").text
    assert f'href="/groups/{pair}"' in listing and "Bram" in listing
    assert f"/groups/{trio}" not in listing, "a group that is not approved is not listed"
    page = client.get(f"/groups/{pair}")
    assert page.status_code == 200
    assert "Anna zoekt „circulair inkopen”" in page.text and "Nog geen berichten" in page.text
    posted = client.post(
        f"/groups/{pair}",
        data={"csrf": csrf_token(page.text), "text": "<b>Hoi Bram</b>, zullen we bellen?"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    thread = client.get(f"/groups/{pair}").text
    assert "&lt;b&gt;Hoi Bram&lt;/b&gt;, zullen we bellen?" in thread, "posts are text, not HTML"
    with Session(engine) as session:
        notices = [(m.recipient_id, m.kind) for m in outbox.entries(session)]
    assert (ids[1], "thread_post") in notices and (ids[0], "thread_post") not in notices

    _sign_in(client, "Bram")
    assert "&lt;b&gt;Hoi Bram&lt;/b&gt;" in client.get(f"/groups/{pair}").text
    listing = client.get("/groups").text
    assert "· 1 bericht<" in listing, "the listing counts the posts, in the singular for one"
    assert "met Anna" in listing


def test_others_cannot_read_or_write_and_nothing_typed_is_lost(
    app_and_round: tuple[TestClient, int, list[int], list[int]],
) -> None:
    client, _, _, groups = app_and_round
    pair, trio = groups
    _sign_in(client, "Chris")
    refused = client.get(f"/groups/{pair}")
    assert refused.status_code == 404 and "only for the members" in refused.text  # Chris: English
    assert 'name="text"' not in refused.text
    sneaky = client.post(f"/groups/{pair}", data={"csrf": "geraden", "text": "hallo"})
    assert sneaky.status_code == 404 and "hallo" not in sneaky.text
    assert client.get(f"/groups/{trio}").status_code == 404, "not introduced yet"

    _sign_in(client, "Anna")
    page = client.get(f"/groups/{pair}").text
    long_text = "Een heel lang verhaal. " * 120
    too_long = client.post(f"/groups/{pair}", data={"csrf": csrf_token(page), "text": long_text})
    assert too_long.status_code == 422
    assert "het maximum is 2000" in too_long.text
    assert long_text.strip() in too_long.text, "the text comes back in the box"
    stale = client.post(f"/groups/{pair}", data={"csrf": "verlopen", "text": "Mijn bericht"})
    assert stale.status_code == 422 and "Mijn bericht" in stale.text

    client.cookies.clear()
    assert client.get("/groups", follow_redirects=False).status_code == 303


def test_thread_times_are_amsterdam_time_and_say_so(
    app_and_round: tuple[TestClient, int, list[int], list[int]],
) -> None:
    from datetime import UTC, datetime

    from sqlmodel import select

    from storage.models import GroupPost

    client, _, _, groups = app_and_round
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    pair = groups[0]
    _sign_in(client, "Anna")
    page = client.get(f"/groups/{pair}")
    client.post(f"/groups/{pair}", data={"csrf": csrf_token(page.text), "text": "Hoi"})
    with Session(engine) as session:
        for post in session.exec(select(GroupPost)).all():
            post.created_at = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # summer: UTC+2
            session.add(post)
        session.commit()
    thread = client.get(f"/groups/{pair}").text
    assert '<time datetime="2026-07-02T00:30:00+02:00">02-07-2026 00:30</time>' in thread
    assert "Alle tijden zijn Nederlandse tijd." in thread
    assert "2026-07-01 22:30" not in thread, "no UTC shown as if it were local"
