"""Links that name one person, signed with the instance's key for one purpose (itsdangerous).

A mail carries two: the one-click unsubscribe (RFC 8058, valid as long as the key is) and the link
back to the chat, which expires. Nobody can make either for another person, and a link made for
one purpose is refused for the other (each purpose is its own salt)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from bot.settings_groups import PublicLinks

#: the unsubscribe link of every mail (kept: links already mailed stay valid)
UNSUBSCRIBE = "mail-unsubscribe"
#: a mail's link back to the web chat
OPEN_CHAT = "mail-open"
#: how long a mail's link back to the chat opens it (a sign-in link is mailed after that too)
OPEN_DAYS = 60


class PersonLinks:
    """``url(person_id)`` is ``PUBLIC_URL/<prefix>/<token>``; ``person_id(token)`` reads it back,
    or None for a changed, foreign, expired or malformed token."""

    def __init__(
        self,
        links: PublicLinks,
        signing_key: str,
        *,
        purpose: str,
        prefix: str,
        max_age_days: int | None = None,
    ) -> None:
        self.links = links
        self.prefix = "/" + prefix.strip("/")
        self.max_age = None if max_age_days is None else max_age_days * 86_400
        self.serializer: URLSafeSerializer | URLSafeTimedSerializer = (
            URLSafeSerializer(signing_key, salt=purpose)
            if max_age_days is None
            else URLSafeTimedSerializer(signing_key, salt=purpose)
        )

    def token(self, person_id: int) -> str:
        return str(self.serializer.dumps({"p": person_id}))

    def url(self, person_id: int) -> str:
        return self.links.person_link(f"{self.prefix}/{self.token(person_id)}")

    def person_id(self, token: str) -> int | None:
        try:
            if isinstance(self.serializer, URLSafeTimedSerializer):
                data = self.serializer.loads(token, max_age=self.max_age)
            else:
                data = self.serializer.loads(token)
        except BadSignature:  # SignatureExpired is one
            return None
        found = data.get("p") if isinstance(data, dict) else None
        return found if isinstance(found, int) and not isinstance(found, bool) else None


def unsubscribe_links(links: PublicLinks, signing_key: str) -> PersonLinks:
    return PersonLinks(links, signing_key, purpose=UNSUBSCRIBE, prefix="/mail/unsubscribe")


def open_chat_links(links: PublicLinks, signing_key: str) -> PersonLinks:
    return PersonLinks(
        links, signing_key, purpose=OPEN_CHAT, prefix="/mail/open", max_age_days=OPEN_DAYS
    )
