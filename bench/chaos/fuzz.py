"""R4 fuzzing: schemathesis generates requests from the gateway's own /openapi.json — valid and invalid
bodies, paths and query strings — and sends each with a valid, a wrong, a malformed or no bearer token.
Checked for every request: no 5xx; a request without a valid token is 401 on /webhooks and /api; and no
workflow is started by a request that was refused (any 4xx) or unauthenticated. "Started" is seen by a
client interceptor on the gateway's own Temporal client (its only way to Temporal), request by request.
Then the hand-made hostile shapes (`bench.chaos.hostile`): each answered as it should, and every incident
they opened still answers and accepts a decision.

    python -m bench.chaos.fuzz --requests 10000 --seed 1

The script runs its own Temporal dev server, a worker (recording channel) and the gateway on loopback;
`tests/integration/gateway/test_reliability_fuzz.py` runs this fuzzer with a few hundred requests on the
time-skipping server.
"""

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from temporalio.client import Interceptor, OutboundInterceptor

from bench.chaos.hostile import HostileReport, run_hostile

PROTECTED = ("/webhooks/", "/api/")
SIGNED = ("/webhooks/twilio/",)  # Twilio's signature, not a token: refused 403 (gateway/twilio_webhooks.py)
AUTH = {
    "valid": lambda token: {"Authorization": f"Bearer {token}"},
    "none": lambda token: {},
    "wrong": lambda token: {"Authorization": f"Bearer {token}x"},
    "basic": lambda token: {"Authorization": "Basic dGVzdDp0ZXN0"},
}


class StartRecorder(Interceptor):
    """Every workflow start (incl. signal-with-start) the gateway's client makes, in order."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self._lock = threading.Lock()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        recorder = self

        class Outbound(OutboundInterceptor):
            async def start_workflow(self, input):
                with recorder._lock:
                    recorder.started.append(input.id)
                return await super().start_workflow(input)

        return Outbound(next)

    def count(self) -> int:
        with self._lock:
            return len(self.started)


@dataclass
class FuzzReport:
    requests_run: int = 0
    not_sendable: int = 0
    statuses: Counter = field(default_factory=Counter)
    by_auth: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    unauthenticated_not_401: list[str] = field(default_factory=list)
    started_by_refused: list[str] = field(default_factory=list)
    workflows_started: int = 0
    seconds: float = 0.0
    hostile: HostileReport | None = None

    @property
    def ok(self) -> bool:
        return not (self.server_errors or self.unauthenticated_not_401 or self.started_by_refused
                    or (self.hostile is not None and not self.hostile.ok))

    def summary(self) -> dict:
        return {"requests_run": self.requests_run, "not_sendable": self.not_sendable,
                "statuses": dict(sorted(self.statuses.items())), "by_auth": dict(self.by_auth),
                "workflows_started_by_accepted_requests": self.workflows_started,
                "server_errors": self.server_errors[:20], "unauthenticated_not_401": self.unauthenticated_not_401[:20],
                "started_by_refused_or_unauthenticated": self.started_by_refused[:20],
                "seconds": round(self.seconds, 1),
                "hostile_shapes": self.hostile.summary() if self.hostile is not None else None, "ok": self.ok}


def case_strategy(base_url: str, exclude: tuple[str, ...] = ()) -> st.SearchStrategy:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    strategies = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in exclude:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies.append(operation.as_strategy(generation_mode=mode))
    return st.one_of(strategies)


def _describe(case, auth: str, status: int) -> str:
    body = case.body if isinstance(case.body, (dict, list, str, int, float, bool, type(None))) else repr(case.body)
    return f"{status} {case.method} {case.formatted_path} auth={auth} body={json.dumps(body, default=repr)[:300]}"


def fuzz_gateway(base_url: str, token: str, recorder: StartRecorder, requests_wanted: int, random_seed: int = 1,
                 exclude: tuple[str, ...] = (), every: int = 0, housekeeping=None) -> FuzzReport:
    """Blocking: run it in a thread when a worker shares the caller's event loop. `housekeeping()` runs every
    `every` requests (the script closes the incidents started so far, so listing stays cheap)."""
    report = FuzzReport()
    session = requests.Session()
    begin = time.monotonic()

    @seed(random_seed)
    @settings(max_examples=requests_wanted, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=case_strategy(base_url, exclude), auth=st.sampled_from(list(AUTH)))
    def one_request(case, auth):
        before = recorder.count()
        try:
            answer = case.call(base_url=base_url, session=session, headers=AUTH[auth](token), timeout=60)
        except Exception:  # noqa: BLE001 - a body schemathesis cannot serialize is not a request we sent
            report.not_sendable += 1
            return
        status = answer.status_code
        report.requests_run += 1
        report.statuses[status] += 1
        report.by_auth[auth] += 1
        started = recorder.count() - before
        if status >= 500:
            report.server_errors.append(_describe(case, auth, status) + f" -> {answer.text[:200]}")
        protected = case.formatted_path.startswith(PROTECTED) and not case.formatted_path.startswith(SIGNED)
        if protected and auth != "valid" and status != 401:
            report.unauthenticated_not_401.append(_describe(case, auth, status))
        if started and (status >= 400 or (protected and auth != "valid")):
            report.started_by_refused.append(_describe(case, auth, status))
        report.workflows_started += started
        if housekeeping and every and report.requests_run % every == 0:
            housekeeping()

    one_request()
    report.seconds = time.monotonic() - begin
    return report


async def _run(requests_wanted: int, random_seed: int) -> FuzzReport:
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    from adapters.channels import RecordingChannel
    from testkit.environment import register_search_attributes
    from testkit.gateway import TOKEN, served
    from testkit.processes import DevServer
    from worker import build_worker

    data_dir = Path(tempfile.mkdtemp(prefix="incidentflow-fuzz-"))
    server = DevServer(data_dir / "temporal")
    server.start()
    try:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        await register_search_attributes(client)
        recorder = StartRecorder()
        with served(server.address, "fuzz", slack_signing_secret="fuzz-signing-secret") as gateway:
            gateway.app.state.gateway.temporal.interceptors.append(recorder)
            loop = asyncio.get_running_loop()
            closed = 0

            async def terminate(ids: list[str]) -> None:
                for workflow_id in ids:
                    with contextlib.suppress(Exception):
                        await client.get_workflow_handle(workflow_id).terminate(reason="fuzz housekeeping")

            def housekeeping() -> None:
                # incidents the fuzzer opened stay open; GET /api/incidents queries every open one
                nonlocal closed
                ids = recorder.started[closed:]
                closed += len(ids)
                asyncio.run_coroutine_threadsafe(terminate(ids), loop).result()

            async with build_worker(client, "fuzz", [RecordingChannel()]):
                report = await asyncio.to_thread(fuzz_gateway, gateway.url, TOKEN, recorder, requests_wanted,
                                                 random_seed, (), 100, housekeeping)
                report.hostile = await asyncio.to_thread(run_hostile, gateway.url, TOKEN)
        return report
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    report = asyncio.run(_run(args.requests, args.seed))
    print(json.dumps(report.summary(), indent=2))
    sys.stdout.flush()
    return 0 if report.ok else 1


if __name__ == "__main__":
    import os

    os._exit(main())  # the SDK can abort at interpreter exit (PyGILState_Release)
