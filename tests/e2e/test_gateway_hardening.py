"""The surface hostile senders touch (issue 21), through the real app on loopback: `/slack/*` bounded like the
webhooks (1 MiB, refused by Content-Length before reading, a read deadline) and never a 500 for malformed
input; UTF-16 and byte-order-marked bodies refused everywhere; a Grafana timestamp of `nan` refused; security
headers on every answer and a /docs that needs no CDN. No Temporal is needed: nothing here may get that far
(the gateway points at a closed port, so a request that wrongly got through would be a 503, not a pass)."""

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from gateway.security_headers import CONTENT_SECURITY_POLICY
from testkit.comms import SIGNING_SECRET, command_body, signed
from testkit.environment import free_port
from testkit.gateway import GRAFANA_SECRET, TOKEN, example, post_raw, served

TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"
BODY_TIMEOUT = 0.5
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def gateway():
    with served(f"127.0.0.1:{free_port()}", "tq-hardening", slack_signing_secret=SIGNING_SECRET,
                grafana_hmac_secret=GRAFANA_SECRET, grafana_hmac_timestamp_header=TIMESTAMP_HEADER,
                gateway_body_timeout_seconds=BODY_TIMEOUT) as served_gateway:
        yield served_gateway


def signed_bytes(body: bytes) -> dict[str, str]:
    """Slack's v0 signature over raw bytes (testkit.comms.signed takes text, which cannot be invalid UTF-8)."""
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


async def raw_exchange(gateway, head: str, body: bytes = b"", wait: float = 5.0) -> tuple[int, dict]:
    """Send a request head (and maybe part of a body) on a bare socket, keep the socket open, and return the
    status and JSON answer the gateway gives within `wait` seconds — without sending the rest of the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        answer_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), wait)
        length = int(re.search(rb"(?i)content-length: *(\d+)", answer_head).group(1))
        answer = await asyncio.wait_for(reader.readexactly(length), wait)
    finally:
        writer.close()
    return int(answer_head.split()[1]), json.loads(answer)


def request_head(path: str, length: int, **headers: str) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}",
             *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())]
    return "\n".join(lines) + "\n"


# ── /slack/*: the limits of /webhooks/* ────────────────────────────────────────────────────────────
async def test_an_unsigned_150_mb_slack_post_is_refused_before_its_body_is_read(gateway):
    status, answer = await raw_exchange(gateway, request_head("/slack/commands", 150 * MIB))
    assert (status, answer) == (401, {"detail": "missing X-Slack-Request-Timestamp header"})


async def test_a_slack_body_over_1_mib_is_413_by_content_length_and_while_streaming(gateway):
    headers = signed("x")  # fresh, well-formed signature headers: the body is what is refused
    status, answer = await raw_exchange(gateway, request_head("/slack/interactions", 150 * MIB, **headers))
    assert (status, answer) == (413, {"detail": "request body larger than 1048576 bytes (1 MiB)"})

    async def chunks():  # no Content-Length: counted while streaming, reading stops at the limit
        for _ in range(40):
            yield b"payload=" + b"x" * 65536

    async with gateway.http(token=None) as http:
        streamed = await http.post("/slack/interactions", content=chunks(), headers=headers)
    assert streamed.status_code == 413, streamed.text


@pytest.mark.parametrize("path, token", [("/slack/commands", None), ("/webhooks/generic", TOKEN)])
async def test_a_body_that_stops_arriving_is_408_after_the_read_deadline(gateway, path, token):
    headers = signed("x") if token is None else {"Authorization": f"Bearer {token}"}
    began = time.monotonic()
    status, answer = await raw_exchange(gateway, request_head(path, 1000, **headers), b"command=%2Fincid")
    assert (status, answer) == (408, {"detail": f"request body not received within {BODY_TIMEOUT:g} s"})
    assert BODY_TIMEOUT <= time.monotonic() - began < BODY_TIMEOUT + 3


NOW = "<now>"  # stands for the request's own Unix time in the cases below


# ── /slack/*: 401 or 400, never 500 ────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("headers, detail", [
    ({"X-Slack-Request-Timestamp": "abc"}, "X-Slack-Request-Timestamp is not a Unix time in seconds"),
    ({"X-Slack-Request-Timestamp": "nan", "X-Slack-Signature": "v0=00"},
     "X-Slack-Request-Timestamp is not a Unix time in seconds"),
    ({"X-Slack-Request-Timestamp": NOW}, "missing X-Slack-Signature header"),
    ({"X-Slack-Request-Timestamp": NOW, "X-Slack-Signature": "sha256=abc"},
     "X-Slack-Signature is not a v0 signature (v0=<64 hex digits>)"),
])
async def test_bad_slack_signature_headers_are_401_naming_the_header(gateway, headers, detail, caplog):
    # the time of the request, not of collection: the suite may reach this test more than 5 minutes later
    headers = {k: str(int(time.time())) if v == NOW else v for k, v in headers.items()}
    async with gateway.http(token=None) as http:
        answer = await http.post("/slack/interactions", content="payload=%7B%7D", headers=headers)
    assert (answer.status_code, answer.json()) == (401, {"detail": detail})
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("path, body, detail", [
    ("/slack/interactions", b"payload=%5B%5D", "payload: must be a JSON object, not list"),
    ("/slack/interactions", b"payload=1", "payload: must be a JSON object, not int"),
    ("/slack/interactions", b"payload=" + b"%5B" * 100_000, "payload: JSON nested too deeply"),
    ("/slack/interactions", b"payload=\xff\xfe", "malformed form body: the body is not valid UTF-8 (byte 8"),
    ("/slack/commands", b"command=%2Fincident&text=\xc3", "malformed form body: the body is not valid UTF-8"),
])
async def test_validly_signed_malformed_slack_bodies_are_400_naming_the_problem(gateway, path, body, detail, caplog):
    async with gateway.http(token=None) as http:
        answer = await http.post(path, content=body, headers=signed_bytes(body))
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith(detail), answer.json()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a traceback was logged"


# ── UTF-8 only ─────────────────────────────────────────────────────────────────────────────────────
GENERIC = {**example("generic-firing.json"), "key": "utf16-check"}
ENCODINGS = [
    ("utf-16", "looks like UTF-16 or UTF-32"),  # with a byte-order mark
    ("utf-16-le", "looks like UTF-16 or UTF-32"),  # without one: NUL bytes
    ("utf-32", "looks like UTF-16 or UTF-32"),
    ("utf-8-sig", "starts with a byte-order mark (U+FEFF)"),
]


@pytest.mark.parametrize("encoding, problem", ENCODINGS)
@pytest.mark.parametrize("path, document", [
    ("/webhooks/generic", GENERIC),
    ("/api/incidents", {"service": "payments", "severity": "sev2", "title": "t", "by": "minsu"}),
    ("/v2/enqueue", example("pagerduty-trigger.json")),
])
async def test_json_bodies_that_are_not_plain_utf8_are_400(gateway, path, document, encoding, problem):
    answer = await post_raw(gateway, path, json.dumps(document).encode(encoding))
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == f"malformed JSON body: the body {problem}" + (
        ": send UTF-8 without one" if "byte-order" in problem else " (a byte-order mark or NUL bytes): only "
                                                                   "UTF-8 is accepted")
    assert gateway.metric("incidentflow_gateway_rejects_total", reason="not_utf8") >= 1


@pytest.mark.parametrize("encoding, problem", ENCODINGS)
async def test_slack_bodies_that_are_not_plain_utf8_are_400(gateway, encoding, problem):
    body = command_body("declare sev2 payments utf-16", "U01MINSU", "general").encode(encoding)
    async with gateway.http(token=None) as http:
        answer = await http.post("/slack/commands", content=body, headers=signed_bytes(body))
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith(f"malformed form body: the body {problem}")


# ── Grafana: a timestamp that is not a time ────────────────────────────────────────────────────────
@pytest.mark.parametrize("timestamp", ["nan", "NaN", "inf", "-inf", "1e400"])
async def test_a_grafana_signature_timestamp_that_is_not_finite_is_401(gateway, timestamp):
    body = json.dumps({**example("grafana-firing.json"), "groupKey": f"nan-{timestamp}"}).encode()
    signature = hmac.new(GRAFANA_SECRET.encode(), f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Grafana-Alerting-Signature": signature, TIMESTAMP_HEADER: timestamp}
    for _ in range(2):  # the second is what a replay would be: refused the same way
        answer = await post_raw(gateway, "/webhooks/grafana", body, headers)
        assert (answer.status_code, answer.json()) == (
            401, {"detail": f"{TIMESTAMP_HEADER} is not a Unix time (seconds or milliseconds)"})


# ── headers and /docs ──────────────────────────────────────────────────────────────────────────────
class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.mark.parametrize("path", ["/status", "/docs"])
async def test_html_pages_send_a_content_security_policy_and_refuse_framing(gateway, path):
    async with gateway.http(token=None) as http:
        page = await http.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY and "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_every_answer_says_nosniff_refusals_included(gateway):
    async with gateway.http(token=None) as http:
        answers = [await http.get("/healthz"), await http.get("/openapi.json"), await http.get("/metrics"),
                   await http.post("/webhooks/generic", json={}), await http.get("/no-such-page")]
    assert [a.status_code for a in answers] == [200, 200, 200, 401, 404]
    assert all(a.headers["x-content-type-options"] == "nosniff" for a in answers)


async def test_docs_are_served_by_the_gateway_itself_and_need_no_cdn(gateway):
    async with gateway.http(token=None) as http:
        page = await http.get("/docs")
        parser = References()
        parser.feed(page.text)
        assert len(parser.urls) >= 4 and not re.search(r"https?://|//", " ".join(parser.urls)), parser.urls
        assert "<script>" not in page.text  # no inline script: the CSP allows the gateway's own files only
        for url in parser.urls:
            asset = await http.get(urljoin(f"{gateway.url}/docs", url))
            assert asset.status_code == 200 and len(asset.content) > 100, url
            assert asset.headers["x-content-type-options"] == "nosniff"
        bundle = await http.get("/docs/assets/swagger-ui-bundle.js")
        start = await http.get("/docs/start.js")
        spec = await http.get(urljoin(f"{gateway.url}/docs", "openapi.json"))
        redoc = await http.get("/redoc")
    assert bundle.headers["content-type"].startswith("text/javascript") and b"SwaggerUIBundle" in bundle.content
    assert start.headers["content-type"].startswith("text/javascript") and 'url: "openapi.json"' in start.text
    assert spec.status_code == 200 and "/v2/enqueue" in spec.json()["paths"]
    assert redoc.status_code == 404  # FastAPI's ReDoc page would load from a CDN: off


async def test_the_docs_page_renders_offline_with_its_csp_in_chromium(gateway, tmp_path):
    """What a person sees: Swagger UI lists the gateway's operations, with no network but loopback."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (scripts/system-deps.sh)")
    result = await asyncio.to_thread(subprocess.run, [
        browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}",
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",  # anything not loopback fails
        "--virtual-time-budget=8000", "--dump-dom", f"{gateway.url}/docs",
    ], capture_output=True, text=True, timeout=90)
    assert "/v2/enqueue" in result.stdout and "/webhooks/alertmanager" in result.stdout, result.stderr[-2000:]
