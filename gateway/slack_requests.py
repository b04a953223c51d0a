"""A Slack request, verified and read. Slack signs each request with v0: HMAC-SHA256 of
`v0:<timestamp>:<body>` with the signing secret, the timestamp within five minutes. The headers are checked
before the body is read (the Guard calls `header_problem`: an unsigned 150 MB post is refused unread, and a
signed one is cut at 1 MiB), the HMAC with slack-sdk once the body is there; a body seen before is refused as
a replay. Malformed bodies are 400s naming what is wrong."""

import json
import re
import time
from urllib.parse import parse_qs

from fastapi import HTTPException, Request
from slack_sdk.signature import SignatureVerifier

from gateway.context import Gateway
from gateway.request_body import utf8_problem

WINDOW_SECONDS = 5 * 60
TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() would also take '٣' or ' 1_0 '
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def header_problem(timestamp: str | None, signature: str | None, now: float) -> str | None:
    """What is wrong with the signature headers alone, or None."""
    if not timestamp:
        return "missing X-Slack-Request-Timestamp header"
    if not TIMESTAMP.fullmatch(timestamp):
        return "X-Slack-Request-Timestamp is not a Unix time in seconds"
    if abs(now - int(timestamp)) > WINDOW_SECONDS:
        return "X-Slack-Request-Timestamp is more than 5 minutes old (or in the future)"
    if not signature:
        return "missing X-Slack-Signature header"
    if not SIGNATURE.fullmatch(signature):
        return "X-Slack-Signature is not a v0 signature (v0=<64 hex digits>)"
    return None


class ReplayGuard:
    """Signatures seen in the last five minutes; older ones are refused by the timestamp check anyway."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    def first_time(self, signature: str) -> bool:
        now = time.monotonic()
        self.seen = {s: at for s, at in self.seen.items() if now - at < WINDOW_SECONDS + 60}
        if signature in self.seen:
            return False
        self.seen[signature] = now
        return True


async def verified_body(request: Request, gateway: Gateway) -> bytes:
    secret = gateway.settings.slack_signing_secret
    if secret is None:
        raise HTTPException(503, "Slack is not configured: set INCIDENTFLOW_SLACK_SIGNING_SECRET")
    body = await request.body()
    timestamp = request.headers.get("x-slack-request-timestamp")
    signature = request.headers.get("x-slack-signature")
    problem = header_problem(timestamp, signature, time.time())  # the Guard's check, again for this route alone
    if problem is not None:
        raise HTTPException(401, problem)
    problem = utf8_problem(body)  # before the HMAC: slack-sdk decodes the body as UTF-8 first
    if problem is not None:
        raise HTTPException(400, f"malformed form body: {problem}")
    if not SignatureVerifier(secret.get_secret_value()).is_valid(body, timestamp, signature):
        raise HTTPException(401, "X-Slack-Signature does not match the body (wrong signing secret, or altered)")
    guard = request.app.state.__dict__.setdefault("slack_replay_guard", ReplayGuard())
    if not guard.first_time(signature):
        raise HTTPException(401, "replayed Slack request")
    return body


def form_fields(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}


def form_field(body: bytes, name: str) -> str:
    value = form_fields(body).get(name)
    if value is None:
        raise HTTPException(400, f"form field {name!r} missing")
    return value


def json_object(text: str, what: str) -> dict:
    """`text` parsed as a JSON object, else a 400 naming `what`."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"{what}: not JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise HTTPException(400, f"{what}: JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise HTTPException(400, f"{what}: must be a JSON object, not {type(value).__name__}") from None
    return value
