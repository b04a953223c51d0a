"""Who is using the console: the person of the browser session (gateway/sessions.py), found from the cookie by a
FastAPI dependency (the Guard covers /api/ only). Without a live session a page redirects to the login there is
(OIDC, else the development login) or says how to log in; a state-changing form must carry the session's CSRF
token (the same HMAC of the session id that /auth/me gives)."""

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from domain.identity.principal import Principal
from gateway.context import gateway_of
from gateway.sessions import COOKIE, csrf_token

CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    def __init__(self, why: str = "not logged in"):
        super().__init__(why)
        self.why = why


class CsrfRefused(Exception):
    """A state-changing form without the session's CSRF token: refused before anything is read from it."""


@dataclass(frozen=True)
class ConsoleUser:
    principal: Principal
    session_id: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)

    def check_csrf(self, presented: str | None) -> None:
        if not presented or not hmac.compare_digest(presented.encode(), self.csrf.encode()):
            raise CsrfRefused()


async def console_user(request: Request) -> ConsoleUser:
    session_id = request.cookies.get(COOKIE) or None
    principal = await request.app.state.sessions.principal(session_id) if session_id else None
    if principal is None:
        raise LoginRequired("no live session" if session_id else "not logged in")
    return ConsoleUser(principal, session_id)


UserDep = Annotated[ConsoleUser, Depends(console_user)]


def login_url(request: Request) -> str | None:
    """Where a person logs in: the OpenID provider when configured, else the development login, else nowhere."""
    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
    if request.app.state.oauth is not None:
        return f"/auth/login?next={target}"
    if gateway_of(request).settings.dev_login:
        return f"/auth/dev-login?next={target}"
    return None


def login_answer(request: Request, exc: LoginRequired) -> Response:
    from gateway.console.templating import render

    target = login_url(request)
    if target is not None and request.method == "GET":
        return RedirectResponse(target, status_code=303)
    return render(request, "login_needed.html", {"why": exc.why, "login_url": target}, status=401)
