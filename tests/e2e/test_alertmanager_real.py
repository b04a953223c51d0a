"""Issue 21: the real Alertmanager (Debian's 0.25, testkit/alertmanager.py) in front of the real stack — a
Temporal dev server of the module's own, a worker process on the short policy (durations / 30: Sev1 is
acknowledged within 10 s, Sev2 within 30 s), pages recorded to a JSONL file, and `incident gateway` as a
process. Alertmanager is driven with `amtool` only, through `webhook_configs` and `pagerduty_configs`
receivers (one receiver per test, so each test counts its own notifications). One stack for the module;
every test has an alert group of its own."""

import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from adapters.channels import RecordingChannel
from adapters.policy_files import INCIDENT_FILE
from bench.chaos.processes import WorkerProcess
from cli.dev import Stack as Children
from cli.dev import wait_for_port
from domain.common.durations import parse_duration
from testkit.alertmanager import SEVERITY_FROM_LABEL, RealAlertmanager, pagerduty_receiver, webhook_receiver
from testkit.deploy import stack_env
from testkit.environment import free_port
from testkit.gateway import TOKEN, private_dev_server
from testkit.helpers import wait_for
from tests.e2e.test_cli_dev_server import incident as cli

pytestmark = pytest.mark.slow

# A PagerDuty integration key belongs to a service (INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS: routing key → service)
PD_ROUTING_KEY = "0123456789abcdef0123456789abcdef"
PD_SERVICE = "payments"
TIMELY = 30  # seconds: anything the stack does in answer to a notification happens well within this


@dataclass
class RealStack:
    env: dict[str, str]
    gateway_url: str
    am: RealAlertmanager
    logs: dict[str, Path]

    @property
    def policy_dir(self) -> Path:
        return Path(self.env["INCIDENTFLOW_POLICY_DIR"])

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)

    def incidents(self) -> list[dict]:
        with self.http() as http:
            answer = http.get("/api/incidents")
        return answer.json() if answer.status_code == 200 else []

    def ids(self, alertname: str) -> list[str]:
        return [i["id"] for i in self.incidents() if alertname in i["title"]]

    def find(self, alertname: str, since: int, also=lambda listed: False) -> str:
        """The incident of the alert group named `alertname` (in its title; `also` accepts others, e.g. by id)."""
        def found():
            return [i["id"] for i in self.incidents() if alertname in i["title"] or also(i)]

        try:
            return wait_for(found, TIMELY, f"the incident of {alertname}")[0]
        except AssertionError as error:
            failed = self.am.failures(since=since)
            raise AssertionError(f"{error}; Alertmanager's failed notifications: {failed}") from None

    def state(self, incident_id: str) -> dict | None:
        with self.http() as http:
            answer = http.get(f"/api/incidents/{incident_id}")
        return answer.json() if answer.status_code == 200 else None

    def until(self, incident_id: str, condition, what: str, timeout: float = TIMELY) -> dict:
        """Poll the incident's JSON until `condition(state)`; that state."""
        def check():
            state = self.state(incident_id)
            return state if state is not None and condition(state) else None

        try:
            return wait_for(check, timeout, f"{incident_id}: {what}")
        except AssertionError as error:
            raise AssertionError(f"{error}; now: {_brief(self.state(incident_id))}") from None

    def decide(self, incident_id: str, **decision) -> dict:
        with self.http() as http:
            answer = http.post(f"/api/incidents/{incident_id}/decisions", json=decision)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def pages(self, incident_id: str) -> list[dict]:
        return [p for p in RecordingChannel(self.env["INCIDENTFLOW_RECORD_FILE"]).pages()
                if p["incident_id"] == incident_id]


def _brief(state: dict | None) -> str:
    if state is None:
        return "no such incident"
    alerts = {a["labels"].get("instance", fp): a["status"] for fp, a in state["alerts"].items()}
    return (f"phase {state['phase']}, severity {state['severity']}, alerts {alerts}, "
            f"alerts_hidden {state.get('alerts_hidden')}, timeline {[t['text'] for t in state['timeline']]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("alertmanager-real")
    with private_dev_server(workdir) as address:
        env = stack_env(address, workdir, divisor=30, INCIDENTFLOW_API_TOKEN=TOKEN,
                        INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS=json.dumps({PD_ROUTING_KEY: PD_SERVICE}))
        env.pop("INCIDENTFLOW_DATABASE_URL", None)  # the default ledger: SQLite in the data dir
        logs = {"worker": workdir / "worker.log", "gateway": workdir / "gateway.log",
                "temporal": workdir / "temporal.log"}
        worker = WorkerProcess(env, logs["worker"])
        children = Children()
        try:
            worker.start(wait=False)  # the worker and the gateway import at the same time
            port = free_port()
            gateway = children.start("gateway", [sys.executable, "-m", "cli.main", "gateway", "--host", "127.0.0.1",
                                                 "--port", str(port)], env, logs["gateway"])
            wait_for_port("127.0.0.1", port, 90, gateway)
            worker.wait_ready(90)
            url = f"http://127.0.0.1:{port}"
            receivers = [
                webhook_receiver("normal", url, TOKEN),
                pagerduty_receiver("pagerduty", url, PD_ROUTING_KEY, severity=SEVERITY_FROM_LABEL),
                webhook_receiver("flapping", url, TOKEN),
                webhook_receiver("truncated", url, TOKEN, max_alerts=2),
                webhook_receiver("recovered", url, TOKEN),
                webhook_receiver("postmortem", url, TOKEN),
            ]
            with RealAlertmanager(workdir / "alertmanager", receivers) as am:
                logs["alertmanager"] = am.log_file
                yield RealStack(env=env, gateway_url=url, am=am, logs=logs)
        except BaseException:
            _print_logs(logs, {})
            raise
        finally:
            worker.stop()
            children.stop()


def _print_logs(logs: dict[str, Path], offsets: dict[str, int]) -> None:
    for name, path in logs.items():
        if not path.exists():
            continue
        with path.open("rb") as handle:
            handle.seek(offsets.get(name, 0))
            lines = handle.read().decode("utf-8", errors="replace").splitlines()[-200:]
        print(f"── {name} log ({path}, last {len(lines)} lines of this test) ──", *lines, sep="\n")


@pytest.fixture(autouse=True)
def logs_on_failure(stack):
    """Each test's share of the Alertmanager, gateway and worker logs, printed at teardown: pytest shows it
    for a failed test only. Alerts a test leaves firing are resolved, so Alertmanager stops repeating them."""
    offsets = {name: path.stat().st_size if path.exists() else 0 for name, path in stack.logs.items()}
    yield
    stack.am.resolve_all()
    _print_logs({k: v for k, v in stack.logs.items() if k != "temporal"}, offsets)


def _policy(stack: RealStack) -> dict:
    return yaml.safe_load((stack.policy_dir / INCIDENT_FILE).read_text(encoding="utf-8"))


def _all_resolved(state: dict) -> bool:
    return bool(state["alerts"]) and all(a["status"] == "resolved" for a in state["alerts"].values())


# ── 1. the normal path, webhook_configs ─────────────────────────────────────────────────────────────────
def test_one_alert_group_is_one_incident_paged_once_and_mitigated_when_all_resolve(stack):
    am, since = stack.am, stack.am.log_size()
    alerts = [{"alertname": "LeaderboardStale", "service": "leaderboard", "instance": f"lb-{n}", "route": "normal"}
              for n in (1, 2)]
    for labels in alerts:
        am.fire(labels, summary="Leaderboard not updated for 30 minutes")
    incident_id = stack.find("LeaderboardStale", since)
    pages = wait_for(lambda: stack.pages(incident_id), TIMELY, "the primary page")
    # Alertmanager sends the unchanged group again every repeat_interval (2 s): the first + two repeats
    wait_for(lambda: am.notifications("normal", since) >= 3, TIMELY, "two repeated notifications")
    time.sleep(1.5)  # what a repeat could have started has happened by now
    assert [p["tier"] for p in stack.pages(incident_id)] == ["primary"], stack.pages(incident_id)
    assert stack.ids("LeaderboardStale") == [incident_id]
    state = stack.state(incident_id)
    assert state["phase"] == "detected" and state["severity"] == "sev2"  # the policy: friends|leaderboard → sev2
    assert {a["labels"]["instance"] for a in state["alerts"].values()} == {"lb-1", "lb-2"}
    assert [(p["tier"], p["target"]) for p in state["pages"]] == [("primary", pages[0]["target"])]

    for labels in alerts:
        am.resolve(labels)
    mitigated = stack.until(incident_id, lambda s: s["phase"] == "mitigated", "mitigated once all alerts resolved")
    assert _all_resolved(mitigated)
    assert mitigated["resolved_at"] is None  # a responder still resolves it
    assert [p["tier"] for p in stack.pages(incident_id)] == ["primary"]
    assert am.failures("normal", since) == []


# ── 2. pagerduty_configs against /v2/enqueue ─────────────────────────────────────────────────────────────
def test_pagerduty_configs_files_the_incident_under_the_routing_keys_service_with_the_mapped_severity(stack):
    am, since = stack.am, stack.am.log_size()
    labels = {"alertname": "CheckoutErrorRate", "severity": "critical", "route": "pagerduty"}
    am.fire(labels, summary="Checkout errors above 5%")
    incident_id = stack.find("CheckoutErrorRate", since, also=lambda listed: listed["id"].startswith("pd-"))
    state = stack.until(incident_id, lambda s: s["alerts"], "its alert")
    expected = _policy(stack)["alert_mapping"]["severity_values"]["critical"]
    assert (state["service"], state["severity"]) == (PD_SERVICE, expected), _brief(state)
    assert expected != "sev2"
    wait_for(lambda: stack.pages(incident_id), TIMELY, "the primary page")
    assert PD_ROUTING_KEY not in json.dumps(state)  # the routing key is a credential: never in the incident

    am.resolve(labels)
    resolved = stack.until(incident_id, _all_resolved, "its alert resolved by the PagerDuty resolve event")
    assert PD_ROUTING_KEY not in json.dumps(resolved)
    assert [i["id"] for i in stack.incidents() if "CheckoutErrorRate" in i["title"] or i["id"].startswith("pd-")
            ] == [incident_id]
    assert am.failures("pagerduty", since) == []  # never a 401: the routing key in the body is the credential


# ── 3. flapping: a firing after auto-mitigation reopens and pages again ─────────────────────────────────
def test_an_alert_firing_again_after_auto_mitigation_reactivates_the_incident_and_pages_again(stack):
    am, since = stack.am, stack.am.log_size()
    labels = {"alertname": "FriendsListTimeouts", "service": "friends", "route": "flapping"}
    am.fire(labels, summary="Friends list requests time out")
    incident_id = stack.find("FriendsListTimeouts", since)
    primary = wait_for(lambda: stack.pages(incident_id), TIMELY, "the primary page")[0]
    assert primary["tier"] == "primary"

    am.resolve(labels)
    mitigated = stack.until(incident_id, lambda s: s["phase"] == "mitigated", "auto-mitigated")
    am.fire(labels, summary="Friends list requests time out")
    again = wait_for(lambda: [p for p in stack.pages(incident_id) if p["target"] == primary["target"]][1:],
                     TIMELY, f"a second page to {primary['target']} (the primary, nobody acknowledged)")
    assert again[0]["recorded_at"] > primary["recorded_at"]
    state = stack.until(incident_id, lambda s: s["phase"] == "detected", "back to detected (nobody acknowledged)")
    assert state["acknowledged_by"] is None
    fired_again = [t for t in state["timeline"] if t["at"] >= mitigated["mitigated_at"]
                   and re.search(r"fir(ed|ing) again|re-?fir", t["text"], re.IGNORECASE)]
    assert fired_again, [t["text"] for t in state["timeline"]]
    assert am.failures("flapping", since) == []


def test_an_acknowledged_incident_firing_again_pages_the_person_who_acknowledged(stack):
    am, since = stack.am, stack.am.log_size()
    labels = {"alertname": "FriendsInviteFailures", "service": "friends", "route": "flapping"}
    am.fire(labels, summary="Friend invites fail")
    incident_id = stack.find("FriendsInviteFailures", since)
    primary = wait_for(lambda: stack.pages(incident_id), TIMELY, "the primary page")[0]
    responder = next(p for p in ("seoyeon", "hyunwoo", "jiyoung", "minsu") if p != primary["target"])
    stack.decide(incident_id, kind="acknowledge", by=responder)
    stack.until(incident_id, lambda s: s["phase"] == "triaged", f"acknowledged by {responder}")

    am.resolve(labels)
    stack.until(incident_id, lambda s: s["phase"] == "mitigated", "auto-mitigated")
    am.fire(labels, summary="Friend invites fail")
    wait_for(lambda: [p for p in stack.pages(incident_id) if p["target"] == responder], TIMELY,
             f"a page to {responder}, who acknowledged")
    state = stack.until(incident_id, lambda s: s["phase"] == "triaged", "back to triaged (it was acknowledged)")
    assert state["acknowledged_by"] == responder
    assert am.failures("flapping", since) == []


# ── 4. truncated notifications (max_alerts) ─────────────────────────────────────────────────────────────
def test_a_truncated_group_counts_the_hidden_alerts_and_never_mitigates_while_they_may_fire(stack):
    am, since = stack.am, stack.am.log_size()
    alerts = [{"alertname": "FriendsPresenceStale", "service": "friends", "instance": f"presence-{n}",
               "route": "truncated"} for n in range(1, 6)]
    for labels in alerts:
        am.fire(labels, summary="Presence not updated")
    incident_id = stack.find("FriendsPresenceStale", since)
    state = stack.until(incident_id, lambda s: s.get("alerts_hidden") == 3,
                        "alerts_hidden == 3 (receiver max_alerts: 2, a group of 5)")
    assert len(state["alerts"]) == 2
    assert json.loads(cli(stack.env, "show", incident_id, "--json").stdout)["alerts_hidden"] == 3
    mentions = [t["text"] for t in state["timeline"] if re.search(r"\b3\b", t["text"])
                and re.search(r"not shown|hidden|truncat|more alert|not listed|unseen", t["text"], re.IGNORECASE)]
    assert mentions, [t["text"] for t in state["timeline"]]

    listed = [a["labels"] for a in state["alerts"].values()]  # the 2 Alertmanager showed (it sorts by instance)
    for labels in listed:
        am.resolve(labels)
    seen = stack.until(incident_id, _all_resolved, "the 2 listed alerts resolved (3 hidden ones still fire)")
    time.sleep(1.5)  # and another notification or two of the same
    after = stack.state(incident_id)
    assert seen["phase"] == after["phase"] == "detected", _brief(after)
    assert after["mitigated_at"] is None
    assert after.get("alerts_hidden") == 3
    assert am.failures("truncated", since) == []


# ── 5. a recovered alert does not wake the secondary ───────────────────────────────────────────────────
def test_alerts_resolved_before_the_acknowledgement_deadline_page_no_secondary(stack):
    am, since = stack.am, stack.am.log_size()
    deadline = parse_duration(_policy(stack)["severities"]["sev1"]["response_time"]).total_seconds()  # 10 s
    labels = {"alertname": "MatchmakingQueueStuck", "service": "matchmaking", "route": "recovered"}
    am.fire(labels, summary="Matchmaking queue not draining")
    incident_id = stack.find("MatchmakingQueueStuck", since)
    wait_for(lambda: stack.pages(incident_id), TIMELY, "the primary page")
    am.resolve(labels)  # nobody acknowledges; the alert recovers by itself
    mitigated = stack.until(incident_id, lambda s: s["phase"] == "mitigated", "auto-mitigated", timeout=deadline)
    assert mitigated["severity"] == "sev1"
    detected = datetime.fromisoformat(mitigated["detected_at"])
    assert (datetime.fromisoformat(mitigated["mitigated_at"]) - detected).total_seconds() < deadline, \
        "the stack was too slow to resolve the alert before the acknowledgement deadline"
    time.sleep(max(0.0, detected.timestamp() + deadline + 4 - datetime.now(UTC).timestamp()))
    state = stack.state(incident_id)
    assert [p["tier"] for p in stack.pages(incident_id)] == ["primary"], stack.pages(incident_id)
    assert [e for e in state["escalations"] if e["rule"] == "ack-timeout" and e["paged"]] == []
    assert state["phase"] == "mitigated"
    assert am.failures("recovered", since) == []


# ── 6. an alert resolving during the postmortem is recorded ────────────────────────────────────────────
def test_an_alert_resolving_while_the_incident_awaits_its_postmortem_shows_resolved(stack):
    am, since = stack.am, stack.am.log_size()
    labels = {"alertname": "LeaderboardScoresMissing", "service": "leaderboard", "route": "postmortem"}
    am.fire(labels, summary="Scores missing from the leaderboard")
    incident_id = stack.find("LeaderboardScoresMissing", since)
    wait_for(lambda: stack.pages(incident_id), TIMELY, "the primary page")
    stack.decide(incident_id, kind="acknowledge", by="jiyoung")
    stack.decide(incident_id, kind="resolve", by="jiyoung", summary="restarted the score writer")
    state = stack.until(incident_id, lambda s: s["phase"] == "postmortem", "awaiting its postmortem (Sev2)")
    assert [a["status"] for a in state["alerts"].values()] == ["firing"]

    am.resolve(labels)
    after = stack.until(incident_id, _all_resolved, "the alert shown resolved")
    assert after["phase"] == "postmortem"
    assert am.failures("postmortem", since) == []
