"""Slack's Web API as Maatjes calls it: one client setup, rate limits, and errors as outbox
outcomes.

Web API calls retry a rate limit (429) in-process when Slack asks for a short wait; a longer wait
goes back to the outbox as :class:`RetryLater`. Errors that retrying cannot fix are
:class:`DeliveryRefused`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from bot.core.ports import DeliveryRefused, RetryLater, retry_after_seconds

#: Wait in-process for a rate limit up to this many seconds; longer goes back to the outbox.
SHORT_WAIT: Final = 5.0
#: Slack errors that retrying will not fix (the person left, the app was removed, ...).
PERMANENT: Final = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "cannot_dm_bot",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "is_archived",
        "user_disabled",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "org_login_required",
        "ekm_access_denied",
        "invalid_blocks",
        "msg_too_long",
    }
)


def _retry_after(response: HttpResponse | None) -> float | None:
    return None if response is None else _header_seconds(response.headers)


def _header_seconds(headers: Any) -> float | None:
    """Retry-After from slack_sdk's headers (any case; a value or a list of values)."""
    for name, values in headers.items():
        if name.lower() == "retry-after":
            return retry_after_seconds(values[0] if isinstance(values, list) else values)
    return None


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's rate-limit retry, but only for short waits, and exactly as long as Slack says.

    A longer Retry-After surfaces as a 429 error: the outbox then schedules the message for
    that time instead of holding a worker thread."""

    def __init__(self, max_retry_count: int = 2, max_wait: float = SHORT_WAIT) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        return wait is None or wait <= self.max_wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = _retry_after(response)
        time.sleep(1.0 if wait is None else wait)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def web_client(api_url: str, token: str | None = None) -> WebClient:
    handlers: list[RetryHandler] = [ShortRateLimitRetry(), ConnectionErrorRetryHandler()]
    return WebClient(token=token, base_url=api_url, retry_handlers=handlers, timeout=15)


def post_message(
    client: WebClient, channel: str, blocks: Sequence[dict[str, Any]], text: str
) -> None:
    """Every post asks Slack not to preview its links: a "mijn gegevens" link would otherwise be
    fetched by Slack's unfurler, and nothing we post gains from a preview."""
    client.chat_postMessage(
        channel=channel, blocks=blocks, text=text, unfurl_links=False, unfurl_media=False
    )


def slack_error(error: SlackApiError) -> Exception:
    """A Web API error as an outbox outcome: retry later, or give up."""
    response = error.response
    if response.status_code == 429:
        wait = _header_seconds(response.headers)
        return RetryLater("rate limited", after=None if wait is None else timedelta(seconds=wait))
    code = str(response.get("error") or "") if isinstance(response.data, dict) else ""
    if code in PERMANENT:
        return DeliveryRefused(code)
    return RetryLater(code or f"http {response.status_code}")
