"""Remediation executors: the only code that touches production on a runbook's behalf.

Every action arrives fully resolved (`domain.runbooks.plan.ResolvedAction`): inputs were validated before the
workflow started the run. HTTP goes through httpx with an `Idempotency-Key` header that is the same for
every retry of one step of one run, so the target can apply it once. Commands run as an argv list with no
shell, only if the executable is in the runbook directory's allow-list (read again at execution time, so
removing an entry takes effect at once). In a drill nothing external is called: the outcome is the one the
scenario scripted (`simulate`), else success.
"""

import asyncio
import os
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.runbook_files import ALLOWLIST_FILE, resolve_executable
from domain.runbooks.plan import HttpCall, ResolvedAction
from domain.runbooks.schema import SECRET_PREFIX, TEMPLATE, Allowlist
from domain.runbooks.verdicts import judge_http, judge_prometheus
from observability import metrics

Outcome = Literal["ok", "fail"]
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class ActionRequest(BaseModel):
    key: str
    incident_id: str
    step: str
    purpose: Literal["step", "verify", "rollback"]
    action: ResolvedAction
    directory: str
    drill: bool = False
    simulate: list[Outcome] = []
    poll: int = 0


class ActionOutcome(BaseModel):
    ok: bool
    detail: str
    simulated: bool = False


class RemediationActivities:
    def __init__(self, endpoints: dict[str, str] | None = None, environ: dict[str, str] | None = None):
        self.endpoints = endpoints if endpoints is not None else {}
        self.environ = environ if environ is not None else os.environ

    @activity.defn
    @metrics.remediation_step
    async def run_action(self, request: ActionRequest) -> ActionOutcome:
        """A change raises on failure (so Temporal retries it with the same key); a check reports
        pass/fail in the outcome and raises only when it could not ask at all."""
        checking = request.purpose == "verify" or request.action.kind == "prometheus_query"
        if request.drill:
            return self._simulated(request, checking)
        action = request.action
        if action.http is not None:
            ok, detail = await self._http(request, action.http, checking)
        elif action.prometheus is not None:
            ok, detail = await self._prometheus(request)
        elif action.argv is not None:
            ok, detail = await self._command(request)
        else:
            raise ApplicationError(f"{action.kind} is not run by an executor", non_retryable=True)
        if not ok and not checking:
            raise ApplicationError(detail, type="StepFailed", non_retryable=True)
        return ActionOutcome(ok=ok, detail=detail)

    # ── drills ───────────────────────────────────────────────────────────────────────────────────
    def _simulated(self, request: ActionRequest, checking: bool) -> ActionOutcome:
        script = request.simulate
        index = request.poll + activity.info().attempt - 1
        outcome = (script[index] if index < len(script) else script[-1]) if script else "ok"
        detail = f"simulated {outcome} (drill): {request.action.summary}"
        if outcome == "fail" and not checking:
            raise ApplicationError(detail, type="SimulatedFailure")
        return ActionOutcome(ok=outcome == "ok", detail=detail, simulated=True)

    # ── http ─────────────────────────────────────────────────────────────────────────────────────
    def _url(self, endpoint: str | None, url: str) -> str:
        if endpoint is None:
            return url
        base = self.endpoints.get(endpoint)
        if base is None:
            known = ", ".join(sorted(self.endpoints)) or "none"
            raise ApplicationError(f"endpoint {endpoint!r} is not configured on the worker (known: {known}); "
                                   "set INCIDENTFLOW_RUNBOOK_ENDPOINTS", non_retryable=True)
        return base.rstrip("/") + "/" + url.lstrip("/")

    def _secret(self, match) -> str:
        name = match.group(1)
        if not name.startswith(SECRET_PREFIX):
            raise ApplicationError(f"unresolved template {match.group(0)}", non_retryable=True)
        env = name.removeprefix(SECRET_PREFIX)
        if env not in self.environ:
            raise ApplicationError(f"secret {env} is not set in the worker's environment", non_retryable=True)
        return self.environ[env]

    async def _http(self, request: ActionRequest, call: HttpCall, checking: bool) -> tuple[bool, str]:
        headers = {k: TEMPLATE.sub(self._secret, v) for k, v in call.headers.items()}
        if request.purpose != "verify":
            headers["Idempotency-Key"] = request.key
        headers["X-Incident-Id"] = request.incident_id
        url = self._url(call.endpoint, call.url)
        try:
            async with httpx.AsyncClient(timeout=request.action.timeout_seconds) as client:
                response = await client.request(
                    call.method, url, headers=headers,
                    json=call.json_body if call.method not in ("GET", "HEAD") else None,
                )
        except httpx.HTTPError as exc:
            raise ApplicationError(f"{call.method} {url}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
            # transient: let Temporal retry with the same idempotency key
            raise ApplicationError(f"{call.method} {call.url} → HTTP {response.status_code}: {response.text[:200]}")
        body: Any = None
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
        return judge_http(call, response.status_code, body)

    async def _prometheus(self, request: ActionRequest) -> tuple[bool, str]:
        query = request.action.prometheus
        url = self._url(query.endpoint, "/api/v1/query")
        try:
            async with httpx.AsyncClient(timeout=request.action.timeout_seconds) as client:
                response = await client.get(url, params={"query": query.query})
        except httpx.HTTPError as exc:
            raise ApplicationError(f"prometheus {url}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 500:
            raise ApplicationError(f"prometheus {url} → HTTP {response.status_code}")
        try:
            return judge_prometheus(query, response.json())
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ApplicationError(f"prometheus {url}: unexpected answer: {exc}", non_retryable=True) from None

    # ── commands ─────────────────────────────────────────────────────────────────────────────────
    async def _command(self, request: ActionRequest) -> tuple[bool, str]:
        directory = Path(request.directory)
        argv = request.action.argv
        allow_path = directory / ALLOWLIST_FILE
        allowlist = Allowlist.model_validate(
            (yaml.safe_load(allow_path.read_text(encoding="utf-8")) or {}) if allow_path.exists() else {}
        )
        executable = resolve_executable(directory, argv[0])
        if executable not in {resolve_executable(directory, e) for e in allowlist.executables}:
            raise ApplicationError(f"{argv[0]!r} is not in {allow_path}", type="NotAllowed", non_retryable=True)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "INCIDENTFLOW_IDEMPOTENCY_KEY": request.key,
               "INCIDENTFLOW_INCIDENT_ID": request.incident_id}
        process = await asyncio.create_subprocess_exec(
            str(executable), *argv[1:], cwd=directory, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout=request.action.timeout_seconds)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise ApplicationError(f"{argv[0]} timed out after {request.action.timeout_seconds:g}s") from None
        tail = (out or err).decode(errors="replace").strip().splitlines()[-1:] or [""]
        if process.returncode != 0:
            raise ApplicationError(f"{argv[0]} exited {process.returncode}: {tail[0][:200]}")
        return True, f"{argv[0]} exited 0" + (f": {tail[0][:200]}" if tail[0] else "")
