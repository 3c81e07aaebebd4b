"""The open web chat page hears of new messages without a reload: ``/api/chat/updates`` hands out
what waits in the person's inbox (delivered by the real outbox), from the database, until the
page says it has shown it; a turn or a resume never shows those again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import create_app
from bot.core.messages import Text, local_account_id, to_dict
from bot.services.delivery import Delivery, InboxSender
from bot.settings import Settings
from storage import outbox, people
from storage.db import session_scope


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", scheduler=False)  # type: ignore[call-arg]
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def sign_in(client: TestClient, name: str = "Anna") -> None:
    assert client.post("/session", json={"name": name}).status_code == 200
    assert client.get("/api/chat").status_code == 200  # the person exists from the first look


def deliver(client: TestClient, *texts: str, name: str = "Anna", key: str = "") -> None:
    """Enqueue a notice for the web person and deliver it through the real outbox."""
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        person = people.get_person(
            session, platform="local", platform_user_id=local_account_id(name)
        )
        assert person is not None and person.id is not None
        outbox.enqueue(
            session,
            dedupe_key=f"test:{key or texts[0]}",
            recipient_id=person.id,
            kind="checkin",
            payload={"messages": [to_dict(Text(t)) for t in texts]},
        )
    report = Delivery(engine, {"local": InboxSender(engine)}).deliver_due()
    assert report.delivered == 1


def texts_of(messages: list[dict[str, object]]) -> list[object]:
    return [m.get("text") for m in messages]


def test_updates_need_a_session_and_sound_parameters(client: TestClient) -> None:
    response = client.get("/api/chat/updates?wait=0")
    assert response.status_code == 401
    assert "Log opnieuw in" in response.json()["error"]
    sign_in(client)
    for query in (
        "after=-1",
        "after=abc",
        "after=99999999999",
        "wait=-1",
        "wait=600",
        "wait=x",
        "wait=nan",
    ):
        assert client.get(f"/api/chat/updates?{query}").status_code == 422, query
    assert client.get("/api/chat?after=-5").status_code == 422
    assert client.post("/api/chat", json={"text": "hallo", "after": "x"}).status_code == 422


def test_a_delivered_message_comes_until_shown_then_never_again(client: TestClient) -> None:
    sign_in(client)
    empty = client.get("/api/chat/updates?wait=0").json()
    assert empty["messages"] == [] and empty["cursor"] == 0 and empty["language"] == "nl"
    deliver(client, "Hoe gaat het met jullie?", "Vertel het gerust.")
    first = client.get("/api/chat/updates?wait=0").json()
    assert texts_of(first["messages"]) == ["Hoe gaat het met jullie?", "Vertel het gerust."]
    # the answer may have been lost on the way (a restart, a dropped connection): it comes again
    again = client.get("/api/chat/updates?wait=0&after=0").json()
    assert texts_of(again["messages"]) == texts_of(first["messages"])
    assert again["cursor"] == first["cursor"] > 0
    # shown: never again, not here, not after a reload, not in the next turn
    shown = client.get(f"/api/chat/updates?wait=0&after={first['cursor']}").json()
    assert shown["messages"] == [] and shown["cursor"] == first["cursor"]
    resumed = client.get(f"/api/chat?after={first['cursor']}").json()["messages"]
    assert "Hoe gaat het met jullie?" not in texts_of(resumed)
    turn = client.post("/api/chat", json={"choice": "yes"}).json()["messages"]
    assert "Hoe gaat het met jullie?" not in texts_of(turn)


def test_a_turn_acknowledges_what_the_page_showed_and_takes_the_rest(client: TestClient) -> None:
    sign_in(client)
    deliver(client, "Eerste bericht")
    cursor = client.get("/api/chat/updates?wait=0").json()["cursor"]
    deliver(client, "Tweede bericht")
    # the page shows the first (its cursor) and sends a turn before it hears of the second
    turn = client.post("/api/chat", json={"choice": "yes", "after": cursor}).json()["messages"]
    assert texts_of(turn)[0] == "Tweede bericht" and "Eerste bericht" not in texts_of(turn)
    assert client.get(f"/api/chat/updates?wait=0&after={cursor}").json()["messages"] == []
    # a reload (resume) takes what waits just once too
    deliver(client, "Derde bericht")
    assert texts_of(client.get("/api/chat").json()["messages"])[0] == "Derde bericht"
    assert client.get("/api/chat/updates?wait=0").json()["messages"] == []


def test_a_waiting_request_answers_when_a_message_arrives(client: TestClient) -> None:
    sign_in(client)
    # delivered by another thread while the request waits (it looks every second)
    timer = threading.Timer(0.5, deliver, args=(client, "Jullie zijn voorgesteld"))
    timer.start()
    try:
        got = client.get("/api/chat/updates?wait=20").json()
    finally:
        timer.join()
    assert texts_of(got["messages"]) == ["Jullie zijn voorgesteld"]


def test_a_waiting_request_lets_a_stopping_server_go(client: TestClient) -> None:
    sign_in(client)
    stopping = threading.Event()
    client.app.state.stopping = stopping  # type: ignore[attr-defined]  # as `maatjes run` does
    stopping.set()
    response = client.get("/api/chat/updates?wait=25")
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    # what waits is not taken by a poll that did not answer: it comes from the next instance
    deliver(client, "Na de herstart")
    del client.app.state.stopping  # type: ignore[attr-defined]
    got = client.get("/api/chat/updates?wait=0").json()["messages"]
    assert texts_of(got) == ["Na de herstart"]


def test_others_messages_stay_theirs(client: TestClient) -> None:
    from storage import inbox

    sign_in(client, "Bram")
    deliver(client, "Alleen voor Bram", name="Bram")
    client.cookies.clear()
    sign_in(client, "Anna")
    # a cursor beyond someone else's message neither shows nor acknowledges it
    assert client.get("/api/chat/updates?wait=0&after=1000").json()["messages"] == []
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        bram = people.get_person(
            session, platform="local", platform_user_id=local_account_id("Bram")
        )
        assert bram is not None and bram.id is not None
        assert [r.seen_at for r in inbox.all_for(session, person_id=bram.id)] == [None]
    client.cookies.clear()
    assert client.post("/session", json={"name": "Bram"}).status_code == 200
    got = client.get("/api/chat/updates?wait=0").json()["messages"]
    assert texts_of(got) == ["Alleen voor Bram"]


def test_the_page_texts_follow_the_conversation_language(client: TestClient) -> None:
    sign_in(client)
    dutch = client.get("/api/chat/texts").json()
    assert dutch["language"] == "nl" and dutch["texts"]["send"] == "Verstuur"
    client.post("/api/chat", json={"text": "language"})
    reply = client.post("/api/chat", json={"choice": "en"}).json()
    assert reply["language"] == "en"
    english = client.get("/api/chat/texts").json()
    assert english["language"] == "en" and english["texts"]["send"] == "Send"
    assert english["texts"]["signed_in_as"].endswith("Anna")
    page = client.get("/").text
    assert '<script type="application/json" id="page-texts">' in page and '"send": "Send"' in page
