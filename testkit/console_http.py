"""A browser's console session over plain HTTP for the gateway's integration tests: the development login, the
session cookie and the page's CSRF token."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx


@contextmanager
def console_session(gateway, person: str) -> Iterator[tuple[httpx.Client, str]]:
    """An httpx client holding `person`'s console session, and its CSRF token."""
    with httpx.Client(base_url=gateway.url, timeout=30) as browser:
        answer = browser.post("/auth/dev-login", data={"person": person, "next": "/"})
        assert answer.status_code == 303, answer.text
        yield browser, browser.get("/auth/me").json()["csrf_token"]
