"""ASGI middleware in front of every route: request counting, and for every route that takes a body from
outside (`/webhooks/*`, `/api/*`, `/v2/enqueue`, `/slack/*`) the credentials that can be checked first, the
1 MiB body limit with a read deadline, UTF-8 only, and Grafana's optional HMAC signature — all before any
JSON is parsed, so an unauthenticated caller learns nothing about its payload and nothing from it reaches
Temporal. Slack's HMAC is checked by its routes (gateway/slack_requests.py), the headers already here."""

import hashlib
import hmac
import math
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import slack_requests
from gateway.auth_failures import AuthFailures
from gateway.credentials import Credentials
from gateway.errors import rejection
from gateway.metrics import Metrics
from gateway.pagerduty_intake import PAGERDUTY_PATHS, IntakeKeys, routing_key_in, unknown_routing_key
from gateway.request_body import (
    MAX_BODY_BYTES,
    BodyTooLarge,
    BodyTooSlow,
    declared_too_large,
    read_body,
    replay,
    utf8_problem,
)
from gateway.sessions import session_id_of, session_refusal

SIGNATURE_WINDOW_SECONDS = 300  # like Slack's: an older signed timestamp is refused, and so is a signature seen twice
TOKEN_PREFIXES = ("/webhooks/", "/api/")
SLACK_PREFIX = "/slack/"
TWILIO_PREFIX = "/webhooks/twilio/"  # signed by Twilio (gateway/twilio_webhooks.py), not a bearer token
GUARDED_PREFIXES = (*TOKEN_PREFIXES, SLACK_PREFIX, "/v2/")


def grafana_signature(secret: bytes, body: bytes, timestamp: str | None) -> str:
    signed = f"{timestamp}:".encode() + body if timestamp is not None else body
    return hmac.new(secret, signed, hashlib.sha256).hexdigest()


class Guard:
    def __init__(self, app: ASGIApp, metrics: Metrics, credentials: Credentials, grafana_secret: bytes | None = None,
                 grafana_timestamp_header: str | None = None, intake_keys: IntakeKeys | None = None,
                 body_timeout_seconds: float = 10.0, auth_failures: AuthFailures | None = None):
        self.app = app
        self.metrics = metrics
        self.credentials = credentials
        self.grafana_secret = grafana_secret
        self.grafana_timestamp_header = grafana_timestamp_header
        self.intake_keys = intake_keys or IntakeKeys({})
        self.body_timeout_seconds = body_timeout_seconds
        self.auth_failures = auth_failures or AuthFailures(0, 60)
        self._seen_signatures: dict[str, float] = {}  # signature → when it stops being fresh anyway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status_seen: list[int] = []
        began = time.perf_counter()

        async def counting_send(message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
            await send(message)

        try:
            if scope["path"].startswith(GUARDED_PREFIXES):
                await self._throttled(scope, receive, counting_send, status_seen)
            else:
                await self.app(scope, receive, counting_send)
        finally:
            route = getattr(scope.get("route"), "path", None)
            # refused before routing: label by the guarded prefix, never by the raw (unbounded) path
            path = route or next((p + "*" for p in GUARDED_PREFIXES if scope["path"].startswith(p)), "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(status_seen[0] if status_seen else 500)).inc()
            self.metrics.request_seconds.labels(path).observe(time.perf_counter() - began)

    async def _throttled(self, scope: Scope, receive: Receive, send: Send, status_seen: list[int]) -> None:
        """An address that failed to authenticate too often is answered 429 before anything else is looked at;
        every 401 (bearer token, routing key, signature) counts as a failure, and so does Twilio's 403."""
        address = (scope.get("client") or ("unknown",))[0]
        retry_after = self.auth_failures.retry_after(address)
        if retry_after is not None:
            await rejection(self.metrics, 429, "auth_throttled",
                            f"too many failed authentications from this address: retry in {retry_after} s",
                            {"Retry-After": str(retry_after)})(scope, receive, send)
            return
        try:
            await self._guarded(scope, receive, send)
        finally:
            if status_seen and (status_seen[0] == 401 or
                                (status_seen[0] == 403 and scope["path"].startswith(TWILIO_PREFIX))):
                self.auth_failures.failed(address)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        token_problem = None
        if path.startswith("/api/") and "authorization" not in headers and session_id_of(headers) is not None:
            refused = await session_refusal(scope, headers, self.credentials, self.metrics)  # a browser: cookie + CSRF
            if refused is not None:
                await refused(scope, receive, send)
                return
        elif path.startswith(TWILIO_PREFIX):
            if not headers.get("x-twilio-signature"):
                await rejection(self.metrics, 403, "bad_signature", "missing X-Twilio-Signature header")(
                    scope, receive, send)
                return
        elif path.startswith(TOKEN_PREFIXES) or path in PAGERDUTY_PATHS:
            token_problem = await self._authenticate(scope, headers.get("authorization", b""))
            # PagerDuty senders may authenticate with the routing key in the body instead: read it first
            if token_problem is not None and not self.intake_keys.accepts_instead_of_a_token(path):
                await self._unauthorized(token_problem)(scope, receive, send)
                return
        elif path.startswith(SLACK_PREFIX):
            problem = slack_requests.header_problem(_text(headers.get("x-slack-request-timestamp")),
                                                     _text(headers.get("x-slack-signature")), time.time())
            if problem is not None:
                await rejection(self.metrics, 401, "bad_signature", problem)(scope, receive, send)
                return
        if declared_too_large(headers):
            await self._too_large()(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.body_timeout_seconds)
        except BodyTooLarge:
            await self._too_large()(scope, receive, send)
            return
        except BodyTooSlow:
            await rejection(self.metrics, 408, "body_timeout",
                            f"request body not received within {self.body_timeout_seconds:g} s",
                            {"Connection": "close"})(scope, receive, send)
            return
        refusal = None
        if token_problem is not None:
            refusal = self._check_routing_key(body, token_problem, "authorization" in headers)
        if refusal is None and path == "/webhooks/grafana" and self.grafana_secret is not None:
            refusal = self._check_grafana(headers, body)
        if refusal is None and not path.startswith(SLACK_PREFIX):  # Slack's routes check it after the signature
            problem = utf8_problem(body)
            if problem is not None:
                refusal = rejection(self.metrics, 400, "not_utf8", f"malformed JSON body: {problem}")
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)

    async def _authenticate(self, scope: Scope, header: bytes) -> str | None:
        """Leave the Principal in the request's state (gateway/principal.py), or say what is wrong."""
        if not self.credentials.any_configured:
            return "the gateway has no API token configured: set INCIDENTFLOW_API_TOKEN"
        scheme, _, presented = header.partition(b" ")
        if not header or scheme.lower() != b"bearer" or not presented.strip():
            return "missing credentials: send 'Authorization: Bearer <token>'"
        principal = await self.credentials.from_bearer(presented.strip())
        if principal is None:
            return "invalid bearer token"
        scope.setdefault("state", {})["principal"] = principal
        return None

    def _unauthorized(self, problem: str):
        challenge = {"WWW-Authenticate": 'Bearer realm="incidentflow"'}
        return rejection(self.metrics, 401, "unauthorized", problem, challenge)

    def _check_routing_key(self, body: bytes, token_problem: str, authorization_sent: bool):
        """No valid bearer token on a PagerDuty route: a configured routing key lets the event in."""
        routing_key = routing_key_in(body)
        if routing_key is not None and self.intake_keys.service_for(routing_key) is not None:
            return None
        if authorization_sent:
            return self._unauthorized(token_problem)  # the sender chose a bearer token: it is the token that is wrong
        return unknown_routing_key(self.metrics, routing_key)

    def _too_large(self):
        return rejection(self.metrics, 413, "too_large", f"request body larger than {MAX_BODY_BYTES} bytes (1 MiB)")

    def _check_grafana(self, headers: dict[str, bytes], body: bytes):
        presented = headers.get("x-grafana-alerting-signature", b"").decode("latin-1").strip().lower()
        timestamp = None
        if self.grafana_timestamp_header:
            raw = headers.get(self.grafana_timestamp_header.lower())
            if raw is None:
                return rejection(self.metrics, 401, "bad_signature",
                                 f"missing {self.grafana_timestamp_header} header (Grafana HMAC timestamp)")
            timestamp = raw.decode("latin-1").strip()
        if not presented:
            return rejection(self.metrics, 401, "bad_signature", "missing X-Grafana-Alerting-Signature header")
        expected = grafana_signature(self.grafana_secret, body, timestamp)
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            return rejection(self.metrics, 401, "bad_signature", "X-Grafana-Alerting-Signature does not match the body")
        if timestamp is not None:
            return self._check_fresh(timestamp, presented)
        return None

    def _check_fresh(self, timestamp: str, signature: str):
        """With a signed timestamp a captured request cannot be replayed: too old, or already seen, is refused."""
        try:
            signed_at = float(timestamp)
        except ValueError:
            signed_at = math.nan
        if not math.isfinite(signed_at):  # nan compares false with everything: it would pass both checks below
            return rejection(self.metrics, 401, "bad_signature",
                             f"{self.grafana_timestamp_header} is not a Unix time (seconds or milliseconds)")
        if signed_at > 1e11:  # milliseconds
            signed_at /= 1000
        now = time.time()
        if abs(now - signed_at) > SIGNATURE_WINDOW_SECONDS:
            return rejection(self.metrics, 401, "bad_signature",
                             f"signature timestamp is more than {SIGNATURE_WINDOW_SECONDS} s old (or in the future)")
        self._seen_signatures = {s: until for s, until in self._seen_signatures.items() if until > now}
        if signature in self._seen_signatures:
            return rejection(self.metrics, 401, "bad_signature", "this signed request was already received (replay)")
        self._seen_signatures[signature] = signed_at + SIGNATURE_WINDOW_SECONDS
        return None


def _text(header: bytes | None) -> str | None:
    return header.decode("latin-1").strip() if header is not None else None
