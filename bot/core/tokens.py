"""Comparing secrets (CSRF tokens, signatures) with what a client sent."""

from __future__ import annotations

import hmac


def same_secret(expected: str, candidate: str) -> bool:
    """Constant-time comparison of a secret with what a client sent, whatever it sent.

    ``compare_digest`` refuses ``str`` with non-ASCII characters (TypeError, so a 500), so both
    sides are compared as UTF-8 bytes; lone surrogates are encoded rather than fail.
    """
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), candidate.encode("utf-8", "surrogatepass")
    )
