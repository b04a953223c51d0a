"""Remote mode's answers turned into what a person reads: each refusal of the gateway one line naming it, with exit
1 (2 when the gateway found the request invalid); a closed port, a timeout, an answer that is not the gateway's."""

import httpx
import pytest

from cli.common import CommandError
from cli.remote_client import RemoteClient, describe_refusal, detail_of
from cli.remote_config import Remote
from domain.incident.decisions import DecisionResult
from testkit.environment import free_port

URL = "https://incidents.example"


@pytest.mark.parametrize(("status", "detail", "line", "code"), [
    (401, "missing or wrong bearer token",
     f"the gateway at {URL} does not accept the token (missing or wrong bearer token): check INCIDENTFLOW_TOKEN, "
     f"or run `incident login --url {URL}`", 1),
    (403, "hyunwoo is a viewer: acknowledge needs responder",
     f"refused by the gateway at {URL}: hyunwoo is a viewer: acknowledge needs responder", 1),
    (404, "no incident 'x' (see `incident list --all`)",
     f"not found at the gateway at {URL}: no incident 'x' (see `incident list --all`)", 1),
    (409, "rejected: already acknowledged by minsu",
     f"rejected by the gateway at {URL}: already acknowledged by minsu", 1),
    (422, "invalid payload: text: String should have at most 2000 characters",
     f"the gateway at {URL} found the request invalid: invalid payload: text: String should have at most 2000 "
     "characters", 2),
    (504, "no answer from the incident's worker within 20s",
     f"the gateway at {URL} timed out: no answer from the incident's worker within 20s", 1),
    (503, "Temporal at temporal:7233 (namespace default) is unreachable; retry later",
     f"the gateway at {URL} cannot serve it now: Temporal at temporal:7233 (namespace default) is unreachable; "
     "retry later", 1),
    (418, "teapot", f"the gateway at {URL} answered HTTP 418: teapot", 1),
])
def test_each_refusal_is_one_line_naming_the_gateway(status, detail, line, code):
    assert describe_refusal(URL, status, detail) == (line, code)


def test_a_throttled_address_is_told_when_to_retry():
    line, code = describe_refusal(URL, 429, "too many failed authentications", retry_after="42")
    assert code == 1 and "retry in 42 s" in line and URL in line


def _client(handler) -> RemoteClient:
    return RemoteClient(Remote(url=URL, token="ift_abc_secret"), transport=httpx.MockTransport(handler))


def _refusal(call) -> CommandError:
    with pytest.raises(CommandError) as raised:
        call()
    return raised.value


def test_the_answer_detail_is_read_and_made_printable():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer ift_abc_secret"
        return httpx.Response(403, json={"detail": "minsu\x1b[2J is a viewer:\nclose needs commander"})

    refusal = _refusal(lambda: _client(handler).post("/api/incidents/x/decisions", {"kind": "close"}))
    assert (str(refusal), refusal.code) == (f"refused by the gateway at {URL}: minsu is a viewer: close needs "
                                            "commander", 1)


def test_fastapi_validation_errors_name_the_field():
    answer = httpx.Response(422, json={"detail": [{"loc": ["body", "kind"], "msg": "Field required"}]})
    assert detail_of(answer) == "body.kind: Field required"
    assert detail_of(httpx.Response(502, text="<html>Bad Gateway</html>")) == "<html>Bad Gateway</html>"


def test_an_answer_of_the_wrong_shape_is_reported_not_trusted():
    refusal = _refusal(lambda: _client(lambda r: httpx.Response(200, json={"accepted": True})).post(
        "/api/incidents/x/decisions", {}, DecisionResult))
    assert str(refusal).startswith(f"unexpected answer from {URL}/api/incidents/x/decisions: phase: Field required")
    html = _refusal(lambda: _client(lambda r: httpx.Response(200, text="<html>login</html>")).get("/api/whoami"))
    assert "not JSON: is https://incidents.example the incidentflow gateway?" in str(html)


def test_a_closed_port_and_a_timeout_say_so():
    closed = f"http://127.0.0.1:{free_port()}"
    refusal = _refusal(lambda: RemoteClient(Remote(url=closed, token="t")).get("/api/whoami"))
    assert str(refusal).startswith(f"cannot reach the gateway at {closed}: ") and refusal.code == 1

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    assert str(_refusal(lambda: _client(slow).get("/api/incidents"))).startswith(
        f"no answer from the gateway at {URL} within 30 s (GET /api/incidents)")
