"""The checks behind the settings that need no ``Settings`` to run: addresses and hosts, lists
of identities, tenants and domains, the mail relay's URL, and how strong a key is. ``Settings``
calls them from its validators; each raises ValueError with a message for the operator."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

#: The shortest key that may sign cookies or OAuth state (bytes).
MIN_KEY_BYTES = 32
MAKE_A_KEY = (
    "make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))' "
    "(or: openssl rand -hex 32)"
)

#: MAATJES_PRIVACY_CONTACT's default: a placeholder, not a contact anyone can write to
PRIVACY_CONTACT_PLACEHOLDER = "de coördinator van je community / your community coordinator"


def privacy_contact_missing(contact: str) -> bool:
    """Whether the privacy contact people are shown is still the placeholder (or empty)."""
    return contact.strip().casefold() in ("", PRIVACY_CONTACT_PLACEHOLDER.casefold())


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is only reachable from this machine."""
    host = host.strip().strip("[]")
    if host.casefold() == "localhost" or host.casefold().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # any other name may resolve to an address others can reach


def is_wildcard(host: str) -> bool:
    """``0.0.0.0`` or ``::``: listening on every address, so not an address to link to."""
    host = host.strip().strip("[]")
    if not host:
        return True  # uvicorn and most servers read an empty host as every interface
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it goes into a URL (IPv6 addresses in brackets)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    return f"[{address}]" if address.version == 6 else str(address)


def require_strong(name: str, key: str) -> None:
    size = len(key.encode("utf-8"))
    if size < MIN_KEY_BYTES:
        raise ValueError(
            f"{name} is {size} bytes, too short to sign with: it needs at least {MIN_KEY_BYTES}; "
            f"{MAKE_A_KEY}"
        )


def _items(value: object, expected: str) -> list[str]:
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, (set, frozenset, list, tuple)):
        return [str(item) for item in value]
    raise ValueError(f"expected a comma-separated list of {expected}")


def parse_domains(value: object) -> frozenset[str]:
    """``gemeente.nl, *.nl``: exact domains or ``*.`` and a parent domain, lower case."""
    domains = []
    for item in (i.strip().lower().lstrip("@") for i in _items(value, "domains (*.nl)")):
        if not item:
            continue
        bare = item[2:] if item.startswith("*.") else item
        if not bare or "*" in bare or "@" in bare or " " in bare or bare.startswith("."):
            raise ValueError(
                f"MAATJES_EMAIL_DOMAINS: {item!r} is not a domain (gemeente.nl or *.nl)"
            )
        domains.append(item)
    return frozenset(domains)


def parse_tenants(value: object) -> frozenset[str]:
    """Entra tenant ids (GUIDs), comma separated; compared case-insensitively."""
    return frozenset(i.strip().lower() for i in _items(value, "tenant ids") if i.strip())


def check_smtp_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(
            "MAATJES_SMTP_URL must look like smtp://user:password@relay.example.nl:587 "
            "or smtps://user:password@relay.example.nl:465"
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as problem:
        raise ValueError("MAATJES_SMTP_URL has a port that is not a number") from problem


def check_mail_address(value: str, name: str) -> None:
    from email.utils import parseaddr

    address = parseaddr(value)[1]
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ValueError(f"{name} must be an e-mail address (Maatjes <maatjes@example.nl>)")
