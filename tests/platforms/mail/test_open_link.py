"""A mail's link back to the chat is signed for its person and expires: signed in as them, it opens
the chat at the question; signed out (or as someone else), one button mails a sign-in link to the
address the mail went to, and that link leads to the same question. Opening it sends nothing."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from bot.app import create_app
from bot.services import person_links
from storage.db import session_scope
from storage.models import Person
from tests.platforms.mail.conftest import PUBLIC, World, approve_all, by_address

OPEN = re.compile(re.escape(PUBLIC) + r"(/mail/open/[A-Za-z0-9_.-]+)")
SIGNIN = re.compile(re.escape(PUBLIC) + r"(/signin/email/[A-Za-z0-9_-]+)")


def _text(mail: object) -> str:
    body = mail.get_body(("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def _open_path(world: World, address: str) -> str:
    approve_all(world)
    world.maatjes.delivery.deliver_due()
    mail = by_address(world.smtp.wait_for(5))[address][0]
    found = OPEN.search(_text(mail))
    assert found, _text(mail)
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'href="{PUBLIC}{found.group(1)}"' in html
    return found.group(1)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _client(world: World) -> TestClient:
    return TestClient(create_app(world.settings, maatjes=world.maatjes), base_url=PUBLIC)


def _sign_in_by_link(client: TestClient, world: World, count: int) -> None:
    found = SIGNIN.search(_text(world.smtp.wait_for(count)[count - 1]))
    assert found
    landing = client.get(found.group(1))
    done = client.post(found.group(1), data={"csrf": _csrf(landing.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_signed_out_the_link_mails_a_sign_in_link_that_leads_to_the_question(world: World) -> None:
    path = _open_path(world, "anna@gemeente.nl")
    with _client(world) as client:
        for _ in range(2):  # a mail scanner opens it: nothing is sent, nobody signed in
            page = client.get(path, follow_redirects=False)
            assert page.status_code == 200
            assert "a…@gemeente.nl" in page.text and "anna@gemeente.nl" not in page.text
        assert len(world.smtp.messages) == 5
        assert client.get("/api/chat").status_code == 401
        refused = client.post(path, data={"csrf": "forged"})
        assert refused.status_code == 403 and len(world.smtp.messages) == 5
        sent = client.post(path, data={"csrf": _csrf(page.text)})
        assert sent.status_code == 200 and "a…@gemeente.nl" in sent.text
        link = world.smtp.wait_for(6)[5]
        assert link["To"] == "anna@gemeente.nl"
        assert link["Subject"] == "Je aanmeldlink voor Maatjes", "in Anna's language"
        _sign_in_by_link(client, world, 6)
        chat = client.get("/api/chat").json()
        texts = " ".join(str(m.get("text", "")) for m in chat["messages"])
        assert "Bram" in texts, "the chat opens at what the mail was about"
        # signed in as Anna, the link goes straight to the chat
        again = client.get(path, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == "/"


def test_signed_in_as_someone_else_the_link_signs_nobody_in(world: World) -> None:
    anna = _open_path(world, "anna@gemeente.nl")
    bram = OPEN.search(_text(by_address(world.smtp.messages)["bram@gemeente.nl"][0]))
    assert bram
    with _client(world) as client:
        first = client.get(bram.group(1))
        client.post(bram.group(1), data={"csrf": _csrf(first.text)})
        _sign_in_by_link(client, world, 6)
        page = client.get(anna, follow_redirects=False)
        assert page.status_code == 200 and "a…@gemeente.nl" in page.text
        chat = client.get("/api/chat").json()
        assert "Anna" not in " ".join(str(m.get("text", "")) for m in chat["messages"][:1])


def test_changed_foreign_and_expired_links_are_a_polite_404(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _open_path(world, "chris@gemeente.nl")
    token = path.rsplit("/", 1)[1]
    key = world.settings.groups.mail.signing_key
    chris = world.ids[2]
    unsubscribe = person_links.unsubscribe_links(world.settings.groups.mail.links, key)
    other_key = URLSafeTimedSerializer("another-instance-key", salt=person_links.OPEN_CHAT)
    with _client(world) as client:
        assert client.get(path, follow_redirects=False).status_code == 200
        for bad in (
            token[:-2] + ("aa" if not token.endswith("aa") else "bb"),
            unsubscribe.token(chris),  # signed by us, for another purpose
            str(other_key.dumps({"p": chris})),
            "x" * 301,
            "",
        ):
            answer = client.get(f"/mail/open/{bad}", follow_redirects=False)
            assert answer.status_code in (404, 422), bad
            assert client.post(f"/mail/open/{bad}", data={"csrf": "x"}).status_code in (404, 422)
        gone = client.get(f"/mail/open/{token[:-2]}xx?lang=en")
        assert "any more" in gone.text
        real_time = time.time
        monkeypatch.setattr(
            time, "time", lambda: real_time() + (person_links.OPEN_DAYS + 1) * 86_400
        )
        expired = client.get(path + "?lang=en", follow_redirects=False)
        assert expired.status_code == 404 and "any more" in expired.text


def test_an_erased_person_s_link_opens_nothing(world: World) -> None:
    path = _open_path(world, "eva@gemeente.nl")
    eva = world.ids[4]
    assert world.maatjes.privacy is not None
    world.maatjes.privacy.erase(eva)
    with session_scope(world.maatjes.engine) as session:
        assert session.get(Person, eva) is None
    with _client(world) as client:
        assert client.get(path, follow_redirects=False).status_code == 404
        assert client.post(path, data={"csrf": "x"}).status_code == 404
    assert len(world.smtp.messages) == 5
