"""The gateway's REST API for the CLI's remote mode (docs/gateway.md): a small httpx client with timeouts. Every
way of not getting an answer becomes one line naming the gateway: exit 1, or 2 when the gateway found the
request itself invalid (400/422). What the gateway says goes through `terminal_text` (its `detail` may quote an
incident's title)."""

from typing import Any

import httpx
from pydantic import ValidationError

from cli.common import fail
from cli.remote_config import TOKEN_VARIABLE, Remote
from domain.common.text import terminal_text

# Longer than the gateway's own wait for a decision to apply (UPDATE_TIMEOUT_SECONDS in gateway/api.py), so its
# 504 reaches the person instead of a client timeout
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DETAIL_CHARS = 500


def describe_refusal(url: str, status: int, detail: str, retry_after: str | None = None) -> tuple[str, int]:
    """(one line, exit code) for an HTTP answer that is not a success."""
    if detail.startswith("rejected: "):  # the incident's own rules (409): said once
        detail = detail.removeprefix("rejected: ")
    known = {
        400: (f"the gateway at {url} could not read the request: {detail}", 2),
        401: (f"the gateway at {url} does not accept the token ({detail}): check {TOKEN_VARIABLE}, or run "
              f"`incident login --url {url}`", 1),
        403: (f"refused by the gateway at {url}: {detail}", 1),
        404: (f"not found at the gateway at {url}: {detail}", 1),
        409: (f"rejected by the gateway at {url}: {detail}", 1),
        422: (f"the gateway at {url} found the request invalid: {detail}", 2),
        429: (f"the gateway at {url} refuses this address for now after too many failed authentications"
              + (f"; retry in {retry_after} s" if retry_after else "") + f" ({detail})", 1),
        503: (f"the gateway at {url} cannot serve it now: {detail}", 1),
        504: (f"the gateway at {url} timed out: {detail}", 1),
    }
    return known.get(status, (f"the gateway at {url} answered HTTP {status}: {detail}", 1))


def detail_of(response: httpx.Response) -> str:
    """The gateway's `{"detail": ...}` (FastAPI's shape), else the start of the body; one printable line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI's own validation errors: [{"loc": [...], "msg": ...}, ...]
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}" for e in detail
                           if isinstance(e, dict))
    text = detail if isinstance(detail, str) else (response.text or response.reason_phrase or "")
    return terminal_text(" ".join(text.split()))[:DETAIL_CHARS] or "(no detail)"


def _reason(exc: httpx.HTTPError) -> str:
    cause: BaseException | None = exc
    while cause.__cause__ is not None or cause.__context__ is not None:  # the OS error under httpx's
        cause = cause.__cause__ or cause.__context__
    return terminal_text(str(cause) or type(cause).__name__)


class RemoteClient:
    """One gateway, one token; a closed port or a wrong token is reported, never retried."""

    def __init__(self, remote: Remote, transport: httpx.BaseTransport | None = None):
        self.url = remote.url
        self._http = httpx.Client(base_url=remote.url, timeout=TIMEOUT, transport=transport,
                                  headers={"Authorization": f"Bearer {remote.token}",
                                           "User-Agent": "incidentflow-cli", "Accept": "application/json"})

    def __enter__(self) -> "RemoteClient":
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def get(self, path: str, model: Any = None, **params: Any) -> Any:
        """`model`: a pydantic model or any type pydantic validates, e.g. `list[Model]`; `params` left None are
        not sent."""
        sent = {k: v for k, v in params.items() if v is not None}
        return self._send("GET", path, model, params=sent or None)

    def post(self, path: str, body: dict | None = None, model: Any = None) -> Any:
        return self._send("POST", path, model, json=body)

    def put(self, path: str, body: dict, model: Any = None) -> Any:
        return self._send("PUT", path, model, json=body)

    def delete(self, path: str, model: Any = None) -> Any:
        """None for a 204 (nothing to read)."""
        return self._send("DELETE", path, model)

    def _send(self, method: str, path: str, model: Any, **options: Any) -> Any:
        try:
            response = self._http.request(method, path, **options)
        except httpx.ConnectError as exc:
            fail(f"cannot reach the gateway at {self.url}: {_reason(exc)}")
        except httpx.TimeoutException:
            fail(f"no answer from the gateway at {self.url} within {TIMEOUT.read:.0f} s ({method} {path}); a "
                 "decision may still apply: check with `incident show`")
        except httpx.HTTPError as exc:
            fail(f"cannot talk to the gateway at {self.url}: {_reason(exc)}")
        if not response.is_success:
            message, code = describe_refusal(self.url, response.status_code, detail_of(response),
                                             response.headers.get("Retry-After"))
            fail(message, code)
        if response.status_code == 204:
            return None
        try:
            answer = response.json()
        except ValueError:
            fail(f"the gateway at {self.url} answered {method} {path} with something that is not JSON: is "
                 f"{self.url} the incidentflow gateway?")
        return answer if model is None else validated(model, answer, f"{self.url}{path}")


def validated(model: Any, answer: Any, where: str) -> Any:
    """`answer` as `model` (a pydantic model, or a type such as `list[Model]`)."""
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(model).validate_python(answer)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        location = ".".join(str(part) for part in error["loc"]) or "answer"
        fail(f"unexpected answer from {where}: {location}: {error['msg']} (a gateway of another version?)")
