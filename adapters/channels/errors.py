"""Turning a third party's "slow down" or outage into a Temporal retry: no sleeping inside activities."""

from datetime import timedelta

from temporalio.exceptions import ApplicationError

DEFAULT_RETRY_AFTER = timedelta(seconds=30)
REJECTED = "Rejected"


def retry_after(value: str | None) -> timedelta:
    """Seconds from a Retry-After header; Slack and PagerDuty send integers."""
    try:
        return timedelta(seconds=max(1, int(float(value or ""))))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def rate_limited(service: str, what: str, header: str | None) -> ApplicationError:
    delay = retry_after(header)
    return ApplicationError(
        f"{service} rate limited {what}; retrying in {delay.total_seconds():.0f}s (Retry-After)",
        type=f"{service}RateLimited", next_retry_delay=delay,
    )


def rejected(service: str, what: str, detail: str) -> ApplicationError:
    """A 4xx other than a rate limit: the same request would be refused again, so it is not retried. The
    workflow writes it into the incident's timeline (docs/communications.md)."""
    return ApplicationError(f"{service} refused {what}: {detail}", type=f"{service}{REJECTED}", non_retryable=True)


def is_rejection(error: BaseException) -> bool:
    return isinstance(error, ApplicationError) and error.non_retryable and (error.type or "").endswith(REJECTED)


def unavailable(service: str, what: str, detail: str) -> ApplicationError:
    """Retried with the activity's backoff: 5xx, connection errors, a room that is not open yet."""
    return ApplicationError(f"{service} {what} failed: {detail}", type=f"{service}Unavailable")


async def post_or_raise(client_post, service: str, what: str):
    """An HTTP POST to a channel's API (`client_post`: awaitable of the httpx response) with its answer mapped:
    connection errors and 5xx are retried, 429 after its Retry-After, any other status from 300 up refused for
    good (the same request would be refused again). Returns the response when it succeeded."""
    import httpx

    try:
        response = await client_post()
    except httpx.HTTPError as exc:
        raise unavailable(service, what, f"{type(exc).__name__}: {exc}") from None
    if response.status_code == 429:
        raise rate_limited(service, what, response.headers.get("retry-after"))
    if response.status_code >= 500:
        raise unavailable(service, what, f"HTTP {response.status_code}")
    if response.status_code >= 300:
        raise rejected(service, what, f"HTTP {response.status_code}: {response.text[:300]}")
    return response
