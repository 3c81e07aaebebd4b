"""E-mail as a channel, against a real SMTP server on 127.0.0.1: every message to a web person
also goes out as an e-mail in their language, once, with List-Unsubscribe (RFC 8058); one click
pauses e-mail; a temporary refusal is retried and a permanent one is failed for coordinators."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from pathlib import Path

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import Session

from bot.app import build, create_app
from bot.platforms.mail.calendar import AMSTERDAM, is_working_day
from storage import inbox, outbox
from storage.db import session_scope
from storage.models import Person
from tests.platforms.mail.conftest import PUBLIC, World, approve_all, by_address, mail_settings
from tests.support.community import community
from tests.support.mail import smtp_server


def test_every_placed_web_person_gets_one_introduction_mail(world: World) -> None:
    approve_all(world)
    report = world.maatjes.delivery.deliver_due()
    assert report.failed == 0
    mails = by_address(world.smtp.wait_for(5))
    assert sorted(mails) == sorted(
        f"{n}@gemeente.nl" for n in ("anna", "bram", "chris", "dewi", "eva")
    )
    for address, received in mails.items():
        assert len(received) == 1, address
        mail = received[0]
        assert mail["List-Unsubscribe"].startswith(f"<{PUBLIC}/mail/unsubscribe/")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["Reply-To"] == "coordinator@example.nl"
        assert mail["Message-ID"].endswith("@example.nl>")
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        page = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        opened = re.search(re.escape(PUBLIC) + r"/mail/open/[\w.-]+", text)
        assert opened and f'href="{opened.group(0)}"' in page, "a signed link back to the chat"
        assert "<img" not in page and 'lang="' in page
    anna = mails["anna@gemeente.nl"][0]
    assert anna["Subject"] == "Maatjes: maak kennis met je nieuwe maatjes"
    assert "Bram" in anna.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    chris = mails["chris@gemeente.nl"][0]
    assert chris["Subject"] == "Maatjes: meet your new peers", "in the person's own language"
    body = chris.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Dewi" in body and "Eva" in body
    # the messages are in the web inbox as well: e-mail is a copy, not instead
    with Session(world.maatjes.engine) as session:
        assert inbox.all_for(session, person_id=world.ids[0])
    # delivering again sends nothing more
    world.maatjes.delivery.deliver_due()
    assert len(world.smtp.messages) == 5


def test_the_introduction_offers_a_calendar_invitation_on_a_working_day(world: World) -> None:
    approve_all(world)
    world.maatjes.delivery.deliver_due()
    chris = by_address(world.smtp.wait_for(5))["chris@gemeente.nl"][0]
    (attachment,) = list(chris.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(attachment.get_content())
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart").astimezone(AMSTERDAM)
    assert is_working_day(start.date()) and start.hour == 10
    assert (event.decoded("dtend") - event.decoded("dtstart")).total_seconds() == 30 * 60
    attendees = {str(a) for a in event.get("attendee")}
    assert attendees == {f"mailto:{n}@gemeente.nl" for n in ("chris", "dewi", "eva")}


def test_one_click_pauses_mail_and_the_chat_still_gets_everything(world: World) -> None:
    approve_all(world)
    world.maatjes.delivery.deliver_due()
    anna = by_address(world.smtp.wait_for(5))["anna@gemeente.nl"][0]
    link = anna["List-Unsubscribe"].strip("<>")
    path = link.removeprefix(PUBLIC)
    with TestClient(create_app(world.settings, maatjes=world.maatjes)) as client:
        looked = client.get(path)
        assert looked.status_code == 200 and "Geen e-mail meer" in looked.text
        with Session(world.maatjes.engine) as session:
            assert session.get(Person, world.ids[0]).email_notifications  # type: ignore[union-attr]
        clicked = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert clicked.status_code == 200 and "geen e-mail meer" in clicked.text
        assert client.post("/mail/unsubscribe/forged").status_code == 404
        assert client.get("/mail/unsubscribe/" + "x" * 500).status_code in (404, 422)
    with Session(world.maatjes.engine) as session:
        assert not session.get(Person, world.ids[0]).email_notifications  # type: ignore[union-attr]
    world.maatjes.privacy.export_link(world.ids[0])  # type: ignore[union-attr]
    # the next message to Anna (her export link) reaches the chat, not her mailbox
    with session_scope(world.maatjes.engine) as session:
        outbox.enqueue(
            session,
            dedupe_key="note-anna",
            recipient_id=world.ids[0],
            kind="thread_post",
            payload={"messages": [{"kind": "text", "text": "Nieuw bericht", "tone": "normal"}]},
        )
    world.maatjes.delivery.deliver_due()
    assert len(world.smtp.messages) == 5, "no e-mail after pausing"


def test_a_temporary_refusal_is_retried_and_a_permanent_one_fails(world: World) -> None:
    with session_scope(world.maatjes.engine) as session:
        for key in ("one", "two"):
            outbox.enqueue(
                session,
                dedupe_key=key,
                recipient_id=world.ids[0] if key == "one" else world.ids[1],
                kind="checkin",
                payload={"messages": [{"kind": "text", "text": "Hoe gaat het?", "tone": "normal"}]},
                channel="mail",
            )
    world.smtp.answer = "451 4.3.0 try again later"
    report = world.maatjes.delivery.deliver_due()
    assert report.retried == 2 and report.failed == 0 and not world.smtp.messages
    world.smtp.answer = "550 5.1.1 no such user"
    with session_scope(world.maatjes.engine) as session:
        for row in outbox.entries(session):
            row.not_before = row.created_at
            session.add(row)
    report = world.maatjes.delivery.deliver_due()
    assert report.failed == 2
    with Session(world.maatjes.engine) as session:
        failed = outbox.entries(session, status="failed")
    assert len(failed) == 2 and all("550" in (m.last_error or "") for m in failed)
    assert all("gemeente.nl" not in (m.last_error or "") for m in failed), "no address kept"


def test_mail_is_refused_without_starttls_when_a_password_is_set(tmp_path: Path) -> None:
    with smtp_server() as smtp:
        settings = mail_settings(
            tmp_path, f"smtp://user:secret@127.0.0.1:{smtp.port}", mail_from="maatjes@example.nl"
        )
        maatjes = build(settings)
        ids = community(maatjes.engine)
        with session_scope(maatjes.engine) as session:
            person = session.get(Person, ids[0])
            assert person is not None
            person.email = "anna@gemeente.nl"
            session.add(person)
            outbox.enqueue(
                session,
                dedupe_key="x",
                recipient_id=ids[0],
                kind="checkin",
                payload={"messages": [{"kind": "text", "text": "Hoi", "tone": "normal"}]},
                channel="mail",
            )
        report = maatjes.delivery.deliver_due()
        assert report.failed == 1 and not smtp.messages
        with Session(maatjes.engine) as session:
            (row,) = outbox.entries(session)
        assert "STARTTLS" in (row.last_error or "") and "secret" not in (row.last_error or "")


def test_one_relay_session_carries_a_run_of_deliveries(world: World) -> None:
    approve_all(world)
    world.maatjes.delivery.deliver_due()
    assert len(world.smtp.wait_for(5)) == 5
    assert world.smtp.sessions == 1, "five mails, one SMTP session (no new TLS and login each)"


def test_a_session_the_relay_closed_meanwhile_is_opened_again(tmp_path: Path) -> None:
    from bot.services.smtp import SmtpTransport

    def letter(n: int) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "m@example.nl", "a@example.nl", str(n)
        message.set_content("hallo")
        return message

    with smtp_server(idle_timeout=0.5) as smtp:
        settings = mail_settings(
            tmp_path, f"smtp://127.0.0.1:{smtp.port}", mail_from="m@example.nl"
        )
        transport = SmtpTransport(settings.groups.mail)
        try:
            transport.send(letter(1))
            time.sleep(2)  # the relay drops the session after half a second of quiet
            transport.send(letter(2))  # the kept session is gone: a new one, the mail goes out
        finally:
            transport.close()
        assert [m["Subject"] for m in smtp.wait_for(2)] == ["1", "2"]
        assert smtp.sessions == 2


def test_subjects_exist_for_every_kind_in_both_languages() -> None:
    from bot.core.i18n import has_message

    kinds = set(
        re.findall(
            r'kind="([a-z_]+)"',
            "".join(p.read_text(encoding="utf-8") for p in Path("bot/services").glob("*.py")),
        )
    ) | {"checkin", "checkin_reminder", "checkin_roundup", "invitation", "invitation_reminder"}
    for language in ("nl", "en"):
        missing = [k for k in sorted(kinds) if not has_message(language, f"mail.subject.{k}")]
        assert not missing, (language, missing)


def _fields(messages: object) -> dict[str, str]:
    """The fields of every card among ``messages`` (the privacy overview's among them)."""
    return {f.label: f.value for m in messages for f in getattr(m, "fields", ())}  # type: ignore[attr-defined]


def test_a_person_chooses_in_the_chat_whether_they_want_e_mail(world: World) -> None:
    from bot.core.messages import Account, Inbound

    conversations = world.maatjes.conversations
    with Session(world.maatjes.engine) as session:
        anna = session.get(Person, world.ids[0])
        assert anna is not None and anna.email_notifications, "e-mail is on by default"
        account = Account(platform="local", user_id=anna.platform_user_id)
    said = conversations.handle(account, Inbound(text="mail uit"))
    assert "geen e-mail meer" in " ".join(getattr(m, "text", "") for m in said.messages)
    approve_all(world)
    world.maatjes.delivery.deliver_due()
    assert "anna@gemeente.nl" not in by_address(world.smtp.wait_for(4)), "Anna paused e-mail"
    with Session(world.maatjes.engine) as session:
        assert inbox.all_for(session, person_id=world.ids[0]), "the chat still gets it"
    overview = conversations.handle(account, Inbound(text="privacy")).messages
    shown = _fields(overview)
    assert shown["Berichten ook per e-mail"].startswith("uit")
    again = conversations.handle(account, Inbound(text="E-mail aan"))
    assert "weer ook per e-mail" in " ".join(getattr(m, "text", "") for m in again.messages)
    with Session(world.maatjes.engine) as session:
        assert session.get(Person, world.ids[0]).email_notifications  # type: ignore[union-attr]
    overview = conversations.handle(account, Inbound(text="privacy")).messages
    assert _fields(overview)["Berichten ook per e-mail"].startswith("aan")


def test_help_tells_a_mailed_person_how_to_choose(world: World) -> None:
    from bot.core.messages import Account, Inbound

    def help_text(user_id: str) -> str:
        turn = world.maatjes.conversations.handle(Account("local", user_id), Inbound(text="help"))
        return " ".join(getattr(m, "text", "") for m in turn.messages)

    assert "mail uit / mail aan" in help_text("anna"), "Anna has an address"
    assert "mail off / mail on" in help_text("chris"), "in Chris's language"
    with session_scope(world.maatjes.engine) as session:
        bram = session.get(Person, world.ids[1])
        assert bram is not None
        bram.email = None
        session.add(bram)
    assert "mail uit" not in help_text("bram"), "nothing to choose without an address"
