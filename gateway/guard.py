"""ASGI middleware in front of every route: request counting, and for `/webhooks/*` and `/api/*` the bearer
token, the 1 MiB body limit and Grafana's optional HMAC signature — all checked before any JSON is parsed,
so an unauthenticated caller learns nothing about its payload and nothing from it reaches Temporal."""

import hashlib
import hmac
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import rejection
from gateway.metrics import Metrics

MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_WINDOW_SECONDS = 300  # like Slack's: an older signed timestamp is refused, and so is a signature seen twice
PROTECTED_PREFIXES = ("/webhooks/", "/api/")


def parse_tokens(raw: str | None) -> list[bytes]:
    return [t.strip().encode() for t in (raw or "").split(",") if t.strip()]


def token_matches(presented: bytes, tokens: list[bytes]) -> bool:
    # compare against every token, so the time taken does not tell which one (or how much of one) matched
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(presented, token)
    return matched


def grafana_signature(secret: bytes, body: bytes, timestamp: str | None) -> str:
    signed = f"{timestamp}:".encode() + body if timestamp is not None else body
    return hmac.new(secret, signed, hashlib.sha256).hexdigest()


class Guard:
    def __init__(self, app: ASGIApp, metrics: Metrics, tokens: list[bytes], grafana_secret: bytes | None = None,
                 grafana_timestamp_header: str | None = None):
        self.app = app
        self.metrics = metrics
        self.tokens = tokens
        self.grafana_secret = grafana_secret
        self.grafana_timestamp_header = grafana_timestamp_header
        self._seen_signatures: dict[str, float] = {}  # signature → when it stops being fresh anyway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status_seen: list[int] = []
        began = time.perf_counter()

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
            await send(message)

        try:
            if scope["path"].startswith(PROTECTED_PREFIXES):
                await self._guarded(scope, receive, counting_send)
            else:
                await self.app(scope, receive, counting_send)
        finally:
            route = getattr(scope.get("route"), "path", None)
            # refused before routing: label by the guarded prefix, never by the raw (unbounded) path
            path = route or next((p + "*" for p in PROTECTED_PREFIXES if scope["path"].startswith(p)), "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(status_seen[0] if status_seen else 500)).inc()
            self.metrics.request_seconds.labels(path).observe(time.perf_counter() - began)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        refusal = self._check_token(headers.get("authorization", b""))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await self._too_large()(scope, receive, send)
            return
        body, more_body_error = await self._read_body(receive)
        if more_body_error:
            await self._too_large()(scope, receive, send)
            return
        if scope["path"] == "/webhooks/grafana" and self.grafana_secret is not None:
            refusal = self._check_grafana(headers, body)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    def _check_token(self, header: bytes):
        challenge = {"WWW-Authenticate": 'Bearer realm="incidentflow"'}
        if not self.tokens:
            return rejection(self.metrics, 401, "unauthorized",
                             "the gateway has no API token configured: set INCIDENTFLOW_API_TOKEN", challenge)
        scheme, _, presented = header.partition(b" ")
        if not header or scheme.lower() != b"bearer" or not presented.strip():
            return rejection(self.metrics, 401, "unauthorized",
                             "missing credentials: send 'Authorization: Bearer <token>'", challenge)
        if not token_matches(presented.strip(), self.tokens):
            return rejection(self.metrics, 401, "unauthorized", "invalid bearer token", challenge)
        return None

    def _too_large(self):
        return rejection(self.metrics, 413, "too_large", f"request body larger than {MAX_BODY_BYTES} bytes (1 MiB)")

    async def _read_body(self, receive: Receive) -> tuple[bytes, bool]:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), False

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
            return rejection(self.metrics, 401, "bad_signature", f"{self.grafana_timestamp_header} is not a Unix time")
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


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

