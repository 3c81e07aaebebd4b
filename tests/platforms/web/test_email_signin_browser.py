"""Sign-in by e-mail link in a real headless Chromium against the real server and SMTP server."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.support.browser import Server, chromium, require_chromium, seed_people, seed_round
from tests.support.mail import smtp_server


def test_ask_a_link_open_it_press_the_button_and_chat(tmp_path: Path) -> None:
    require_chromium()
    with smtp_server() as smtp, chromium() as browser:
        server = Server(
            tmp_path / "data",
            {
                "MAATJES_WEB_SIGNIN": "email",
                "MAATJES_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                "MAATJES_MAIL_FROM": "maatjes@example.org",
            },
        )
        server.env["MAATJES_PUBLIC_URL"] = server.url
        server.start()
        try:
            page = browser.new_page()
            page.goto(f"{server.url}/?lang=nl")
            expect(page.locator("#signin-name")).to_have_count(0)
            page.fill("#signin-email", "Marieke@Example.org")
            page.click("#email-form button[type=submit]")
            expect(page.locator("#email-sent")).to_contain_text("onderweg")
            body = smtp.wait_for(1)[0].get_body(("plain",))
            assert body is not None
            found = re.search(
                re.escape(server.url) + r"/signin/email/[A-Za-z0-9_-]+", body.get_content()
            )
            assert found
            page.goto(found.group(0))
            page.click("form button[type=submit]")
            page.wait_for_url(f"{server.url}/")
            expect(page.locator("#transcript .from-bot").first).to_be_visible()
            page.fill("#message", "hallo")
            with page.expect_response(
                lambda r: r.url.endswith("/api/chat") and r.request.method == "POST"
            ) as answer:
                page.click("#send")
            assert answer.value.status == 200
            log = (tmp_path / "data" / "server.log").read_text(encoding="utf-8")
            assert "marieke@example.org" not in log.lower()
            assert found.group(0).rpartition("/")[2] not in log
        finally:
            server.stop()


def _person_id(tmp_path: Path, address: str) -> int:
    from sqlmodel import Session, col, select

    from storage.db import make_engine
    from storage.models import Person

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'maatjes.db'}")
    with Session(engine) as session:
        person = session.exec(select(Person).where(col(Person.email).startswith(address))).one()
    engine.dispose()
    assert person.id is not None
    return person.id


def test_an_invitation_leads_into_the_chat_and_a_mail_link_back_to_it(tmp_path: Path) -> None:
    """The pilot as the README runs it: ``maatjes invite`` mails an invitation; its link, opened
    in a browser, signs the person in with one button and the chat asks for consent; later a
    message of Maatjes also arrives by mail, and its link, in a browser without a session, gets
    a sign-in link to the same address and leads back to the chat."""
    require_chromium()
    people = tmp_path / "people.csv"
    people.write_text("name,email,language\nAnna de Vries,anna@gemeente.nl,nl\n", encoding="utf-8")
    with smtp_server() as smtp, chromium() as browser:
        server = Server(
            tmp_path / "data",
            {
                "MAATJES_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                "MAATJES_MAIL_FROM": "Maatjes <maatjes@example.nl>",
            },
        )
        server.env["MAATJES_PUBLIC_URL"] = server.url
        server.start()
        try:
            invited = server.cli("invite", str(people))
            assert invited.returncode == 0, invited.stderr
            invitation = smtp.wait_for(1)[0]
            assert invitation["Subject"] == "Je bent uitgenodigd voor Maatjes"
            link = re.search(
                re.escape(server.url) + r"/signin/email/[A-Za-z0-9_-]+",
                invitation.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
            )
            assert link
            page = browser.new_page()
            page.goto(link.group(0))
            page.click("form button[type=submit]")
            page.wait_for_url(f"{server.url}/")
            consent = page.locator("#transcript button").first
            expect(consent).to_be_visible()
            joined = server.cli("invitations", "--json")
            assert '"joined": true' in joined.stdout.replace("'", '"'), joined.stdout

            # Anna is introduced: the introduction reaches her chat and her mailbox
            seed_people(tmp_path / "data")
            round_id = seed_round(tmp_path / "data", with_person=_person_id(tmp_path, "anna"))
            assert server.cli("round", "approve", str(round_id)).returncode == 0
            delivered = server.cli("deliver")
            assert delivered.returncode == 0, delivered.stderr
            mails = smtp.wait_for(2)
            back = re.search(
                re.escape(server.url) + r"/mail/open/[\w.-]+",
                mails[1].get_body(("plain",)).get_content(),  # type: ignore[union-attr]
            )
            assert back, mails[1]
            elsewhere = browser.new_context().new_page()  # another device, signed out
            elsewhere.goto(back.group(0))
            expect(elsewhere.locator("main")).to_contain_text("a…@gemeente.nl")
            elsewhere.click("#mail-open-send")
            expect(elsewhere.locator("#mail-open-sent")).to_be_visible()
            signin = re.search(
                re.escape(server.url) + r"/signin/email/[A-Za-z0-9_-]+",
                smtp.wait_for(3)[2].get_body(("plain",)).get_content(),  # type: ignore[union-attr]
            )
            assert signin
            elsewhere.goto(signin.group(0))
            elsewhere.click("form button[type=submit]")
            elsewhere.wait_for_url(f"{server.url}/")
            expect(elsewhere.locator("#transcript .from-bot").first).to_be_visible()
            elsewhere.goto(back.group(0))  # signed in now: straight to the chat
            elsewhere.wait_for_url(f"{server.url}/")
        finally:
            server.stop()
