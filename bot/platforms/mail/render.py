"""An outbox message as an e-mail: a clear subject, plain text and accessible HTML (headings,
paragraphs and links; no images), the link back to the chat and the one-click unsubscribe."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from bot.core.i18n import has_message, translator

URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


@dataclass(frozen=True)
class Letter:
    """Everything a mail needs besides its content."""

    to: str
    language: str
    kind: str
    message_id: str
    chat_url: str
    unsubscribe_url: str
    mail_from: str
    reply_to: str | None = None
    calendar: bytes | None = None


def subject(kind: str, language: str) -> str:
    t = translator(language)
    msgid = f"mail.subject.{kind}"
    return t(msgid) if has_message(language, msgid) else t("mail.subject.default")


def _blocks(messages: Sequence[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Each message as a paragraph and its list items (a question's options, a card's fields)."""
    blocks: list[tuple[str, list[str]]] = []
    for message in messages:
        kind = message.get("kind")
        if kind == "card":
            items = [
                f"{f.get('label', '')}: {f.get('value', '')}" for f in message.get("fields", ())
            ]
            blocks.append((str(message.get("title", "")), items))
            if message.get("footer"):
                blocks.append((str(message["footer"]), []))
        else:
            items = [str(c.get("label", "")) for c in message.get("choices", ())]
            blocks.append((str(message.get("text", "")), items))
            if kind == "question" and message.get("hint"):
                blocks.append((str(message["hint"]), []))
    return [(text, items) for text, items in blocks if text.strip() or items]


def _linked(text: str) -> str:
    """Escaped text with its addresses as links (the rest stays text)."""
    out, last = [], 0
    for found in URL.finditer(text):
        out.append(html.escape(text[last : found.start()]))
        url = html.escape(found.group(0), quote=True)
        out.append(f'<a href="{url}">{url}</a>')
        last = found.end()
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>\n")


def plain_text(messages: Sequence[dict[str, Any]], letter: Letter) -> str:
    t = translator(letter.language)
    lines: list[str] = []
    for text, items in _blocks(messages):
        lines.append(text)
        lines.extend(f"  - {item}" for item in items)
        lines.append("")
    lines += [t("mail.open_chat", url=letter.chat_url), "", "-- ", t("mail.footer")]
    lines.append(t("mail.unsubscribe", url=letter.unsubscribe_url))
    return "\n".join(lines) + "\n"


def html_text(messages: Sequence[dict[str, Any]], letter: Letter) -> str:
    t = translator(letter.language)
    title = html.escape(subject(letter.kind, letter.language))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(letter.language)}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title></head>",
        '<body style="font-family: sans-serif; font-size: 16px; line-height: 1.5; '
        'color: #1a1a1a; background: #ffffff; max-width: 40em; margin: 0 auto; padding: 1em">',
        f'<h1 style="font-size: 1.4em">{title}</h1>',
    ]
    for text, items in _blocks(messages):
        parts.append(f"<p>{_linked(text)}</p>")
        if items:
            parts.append("<ul>" + "".join(f"<li>{_linked(i)}</li>" for i in items) + "</ul>")
    chat = html.escape(letter.chat_url, quote=True)
    parts += [
        f'<p><a href="{chat}" style="display: inline-block; padding: 0.6em 1.2em; '
        'background: #0b5394; color: #ffffff; text-decoration: underline; border-radius: 4px">'
        f"{html.escape(t('mail.open_chat_button'))}</a></p>",
        '<hr><p style="font-size: 0.9em; color: #444444">'
        f"{html.escape(t('mail.footer'))}<br>"
        f'<a href="{html.escape(letter.unsubscribe_url, quote=True)}">'
        f"{html.escape(t('mail.unsubscribe_link'))}</a></p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def compose(messages: Sequence[dict[str, Any]], letter: Letter) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = subject(letter.kind, letter.language)
    mail["From"] = letter.mail_from
    mail["To"] = Address(addr_spec=letter.to)
    if letter.reply_to:
        mail["Reply-To"] = letter.reply_to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = letter.message_id
    mail["Content-Language"] = letter.language
    mail["Auto-Submitted"] = "auto-generated"
    # RFC 2369 and RFC 8058: one click (a POST) pauses e-mail for this person
    mail["List-Unsubscribe"] = f"<{letter.unsubscribe_url}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(plain_text(messages, letter))
    mail.add_alternative(html_text(messages, letter), subtype="html")
    if letter.calendar is not None:
        mail.add_attachment(
            letter.calendar,
            maintype="text",
            subtype="calendar",
            filename="maatjes.ics",
            params={"method": "PUBLISH"},
        )
    return mail


def sender_address(mail_from: str) -> str:
    """The bare address of MAATJES_MAIL_FROM (``Maatjes <maatjes@example.nl>``)."""
    return parseaddr(mail_from)[1]


def sender_domain(mail_from: str) -> str:
    return sender_address(mail_from).rpartition("@")[2] or "maatjes.invalid"
