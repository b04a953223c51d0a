"""Browser login (docs/security.md, "Logging in"): OpenID Connect with the authorization code and PKCE (authlib),
the ID token mapped to a person of the policy and its `groups` claim to a role, a server-side session
(gateway/sessions.py) in an HttpOnly cookie; and, for `incident dev` only, a development login that picks a person
of the policy from a loopback client."""

import hashlib
import hmac
import html
import ipaddress
import logging
import secrets
import warnings
from datetime import timedelta
from urllib.parse import parse_qs

import authlib.deprecate  # before the import below: its own "always" filter must be in place before ours
import httpx
from authlib.common.errors import AuthlibBaseError
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc.errors import JoseError
from starlette.middleware.sessions import SessionMiddleware

from domain.identity.roles import Role
from domain.policy.model import Policy
from gateway.context import gateway_of
from gateway.security_headers import CONTENT_SECURITY_POLICY
from gateway.sessions import COOKIE, CSRF_HEADER, Sessions, csrf_token

with warnings.catch_warnings():  # authlib prefers httpx2 and warns on import; httpx is what the project uses
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth

log = logging.getLogger("incidentflow.gateway.auth")
router = APIRouter(prefix="/auth", tags=["login"])
DEV_LOGIN_LABEL = "development login — not for production"
STATE_COOKIE = "incidentflow_oauth"  # the OAuth state, PKCE verifier and nonce between login and callback
STATE_SECONDS = 600
MAX_FORM_BYTES = 4096
# The gateway's page policy, except that the development login's form may post to the gateway itself
LOGIN_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace("form-action 'none'", "form-action 'self'")


def identify(policy: Policy, claims: dict) -> tuple[str, Role] | None:
    """The person of the policy an ID token names, and their role; None when it names nobody. A person's
    `oidc_sub` counts first, then a verified `email` (or a `sub` that is an email) equal to theirs."""
    sub, email = claims.get("sub"), claims.get("email")
    groups = claims.get("groups") or []
    groups = [groups] if isinstance(groups, str) else [str(g) for g in groups]
    email = email.strip().lower() if isinstance(email, str) and claims.get("email_verified") is not False else None
    people = policy.oncall.people
    match = next((key for key, p in people.items() if sub and p.oidc_sub == sub), None)
    for candidate in (email, sub.strip().lower() if isinstance(sub, str) else None):
        if match is None and candidate:
            match = next((key for key, p in people.items() if p.email and p.email.lower() == candidate), None)
    if match is None:
        return None
    return match, policy.oncall.access.role_of(people[match], groups)


def install(app: FastAPI, settings) -> Sessions:
    """The login routes, the OAuth client when a provider is configured, and the session store; returns the store
    (its `principal` is the `sessions` Lookup of Credentials)."""
    base = settings.oidc_redirect_base_url
    secure = base.lower().startswith("https://") if base else None
    gateway = app.state.gateway
    sessions = Sessions(lambda: gateway.ledger().engine, timedelta(hours=settings.session_lifetime_hours),
                        secure, gateway.policy)
    app.state.sessions = sessions
    app.state.oauth = None
    if settings.oidc_issuer_url and settings.oidc_client_id:
        secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
        oauth = OAuth()
        oauth.register(
            "oidc", client_id=settings.oidc_client_id, client_secret=secret,
            server_metadata_url=settings.oidc_issuer_url.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256",
                           **({} if secret else {"token_endpoint_auth_method": "none"})})
        app.state.oauth = oauth
        # Every replica must read the state another wrote: the key comes from the shared client secret (a public
        # client has none to share: its key is this process's own)
        key = hmac.new(secret.encode(), b"incidentflow oauth state", hashlib.sha256).hexdigest() if secret \
            else secrets.token_hex(32)
        app.add_middleware(SessionMiddleware, secret_key=key, session_cookie=STATE_COOKIE,
                           max_age=STATE_SECONDS, same_site="lax", https_only=bool(secure))
    if settings.dev_login:
        log.warning("%s is on: anyone on this machine may log in as any person of the policy at /auth/dev-login",
                    DEV_LOGIN_LABEL)
    app.include_router(router)
    return sessions


def _sessions(request: Request) -> Sessions:
    return request.app.state.sessions


def _policy(request: Request) -> Policy:
    policy = gateway_of(request).policy()
    if policy is None:
        raise HTTPException(503, "the policy is not loadable: nobody can be logged in until it is fixed")
    return policy


def _callback_url(request: Request) -> str:
    base = gateway_of(request).settings.oidc_redirect_base_url or str(request.base_url)
    return base.rstrip("/") + "/auth/callback"


@router.get("/login", summary="Log in through the OpenID provider (a redirect to it)")
async def login(request: Request, next: str = "/auth/me") -> Response:  # noqa: A002 - the usual parameter name
    client = request.app.state.oauth
    if client is None:
        raise HTTPException(404, "OpenID Connect login is not configured: set INCIDENTFLOW_OIDC_ISSUER_URL and "
                                 "INCIDENTFLOW_OIDC_CLIENT_ID (docs/security.md, \"Logging in\")")
    request.session["next"] = _local_path(next)
    try:
        return await client.oidc.authorize_redirect(request, _callback_url(request))
    except httpx.HTTPError as exc:  # its discovery document is read at the first login
        log.warning("OpenID provider unreachable: %s", exc)
        return _page("Login unavailable", "The OpenID provider did not answer. Try again in a moment.", 502)


@router.get("/callback", summary="Where the OpenID provider sends the browser back", include_in_schema=False)
async def callback(request: Request) -> Response:
    client = request.app.state.oauth
    if client is None:
        raise HTTPException(404, "OpenID Connect login is not configured")
    try:
        token = await client.oidc.authorize_access_token(request)
    except httpx.HTTPError as exc:
        log.warning("OpenID Connect login failed: the provider is unreachable: %s", exc)
        return _page("Login failed", "The OpenID provider did not answer. <a href=\"/auth/login\">Try again</a>.", 502)
    except (AuthlibBaseError, JoseError, ValueError) as exc:  # bad state, code, signature, issuer, nonce, expiry…
        log.warning("OpenID Connect login failed: %s", exc)
        return _page("Login failed", f"The OpenID provider's answer was not accepted "
                                     f"({html.escape(type(exc).__name__)}). <a href=\"/auth/login\">Try again</a>.",
                     400)
    claims = token.get("userinfo")
    if not claims:
        return _page("Login failed", "The OpenID provider sent no ID token.", 400)
    found = identify(_policy(request), dict(claims))
    if found is None:
        who = claims.get("email") or claims.get("sub")
        log.warning("OpenID Connect login refused: %s is none of the people of the policy", who)
        return _page("Not one of the people", f"You are logged in at the OpenID provider as <b>{html.escape(str(who))}"
                     f"</b>, but that is none of the people of the on-call policy. Ask an admin to add your email "
                     f"(or <code>oidc_sub</code>) to <code>people</code>.", 403)
    person, role = found
    log.info("logged in through OpenID Connect: %s (%s)", person, role.value)
    return await _logged_in(request, person, role, "oidc", request.session.pop("next", "/auth/me"))


async def _logged_in(request: Request, person: str, role: Role, via: str, next_url: str) -> Response:
    sessions = _sessions(request)
    session_id = await sessions.open(person, role, via)
    response = RedirectResponse(next_url, status_code=303)
    response.headers["X-CSRF-Token"] = csrf_token(session_id)
    sessions.set_cookie(request, response, session_id)
    return response


@router.get("/me", summary="Who is logged in: the person, their role, and the CSRF token for their requests")
async def me(request: Request) -> JSONResponse:
    session_id = request.cookies.get(COOKIE) or None
    principal = await _sessions(request).principal(session_id) if session_id else None
    if principal is None:
        raise HTTPException(401, "not logged in: GET /auth/login")
    policy = gateway_of(request).policy()
    return JSONResponse({"person": principal.name, "name": policy.person_name(principal.name) if policy else None,
                         "role": principal.role.value, "source": principal.source.value,
                         "csrf_token": csrf_token(session_id)}, headers={"Cache-Control": "no-store"})


@router.post("/logout", status_code=204, summary="End the session (the cookie stops working at once)")
async def logout(request: Request) -> Response:
    session_id = request.cookies.get(COOKIE) or None
    if session_id is None:
        raise HTTPException(401, "not logged in")
    presented = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(presented.encode(), csrf_token(session_id).encode()):
        raise HTTPException(403, f"logging out needs the {CSRF_HEADER.upper()} header (GET /auth/me gives it)")
    person = await _sessions(request).principal(session_id)
    await _sessions(request).close(session_id)
    log.info("logged out: %s", person.name if person else "(an expired session)")
    response = Response(status_code=204)
    _sessions(request).clear_cookie(request, response)
    return response


def _dev_login_allowed(request: Request) -> None:
    if not gateway_of(request).settings.dev_login:
        raise HTTPException(404, "the development login is off (only `incident dev` turns it on)")
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise HTTPException(403, f"the {DEV_LOGIN_LABEL} answers loopback clients only")


def _local_path(target: str) -> str:
    """Where to go after logging in: a path on this gateway, never another site."""
    local = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if local else "/auth/me"


@router.get("/dev-login", summary=f"Pick a person of the policy ({DEV_LOGIN_LABEL})", response_class=HTMLResponse)
async def dev_login_page(request: Request, next: str = "/auth/me") -> HTMLResponse:  # noqa: A002 - as /login
    _dev_login_allowed(request)
    policy = _policy(request)
    buttons = "".join(
        f'<li><button name="person" value="{html.escape(key)}">{html.escape(p.name)}</button> '
        f'<small>{html.escape(key)} · {policy.oncall.access.role_of(p).value}</small></li>'
        for key, p in policy.oncall.people.items())
    return _page(DEV_LOGIN_LABEL.capitalize(), f'<p class="warning">This page logs anyone on this machine in as '
                 f'anyone: it exists for <code>incident dev</code> only.</p><form method="post" '
                 f'action="/auth/dev-login"><input type="hidden" name="next" '
                 f'value="{html.escape(_local_path(next))}"><ul>{buttons}</ul></form>')


@router.post("/dev-login", summary=f"Log in as a person of the policy ({DEV_LOGIN_LABEL})")
async def dev_login(request: Request) -> Response:
    _dev_login_allowed(request)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
    form = parse_qs(body.decode("utf-8", "replace"))
    person = (form.get("person") or [""])[0]
    policy = _policy(request)
    if person not in policy.oncall.people:
        raise HTTPException(403, f"{person!r} is none of the people of the policy")
    role = policy.oncall.access.role_of(policy.oncall.people[person])
    log.warning("%s: logged in as %s (%s)", DEV_LOGIN_LABEL, person, role.value)
    return await _logged_in(request, person, role, "dev", _local_path((form.get("next") or ["/auth/me"])[0]))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · incidentflow'
            f'</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>body{{font-family:'
            f'system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}.warning{{background:#fff3cd;'
            f'border:1px solid #d69e2e;padding:.5rem}}li{{margin:.4rem 0}}</style></head><body>'
            f'<h1>{html.escape(title)}</h1>{body}</body></html>')
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store",
                                                           "Content-Security-Policy": LOGIN_PAGE_POLICY})

