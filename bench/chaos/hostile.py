"""R4's hand-made shapes: the inputs that once left an incident stuck or the gateway failing (docs/reliability.md
R4), sent after the generated ones by `bench.chaos.fuzz` and by `tests/integration/gateway/test_reliability_fuzz.py`.
Each shape is one or more requests; afterwards every incident they opened must still answer and accept a decision.

    shapes = hostile_shapes()          # name -> list of Request
    for name, requests in shapes.items(): ...
"""

import copy
import json
import uuid
from dataclasses import dataclass, field

FAR_FUTURE = "9999-12-31T23:59:59Z"
# shapes whose incident must still be active afterwards: alerts may still fire (hidden ones; the last firing)
STILL_ACTIVE = ("truncatedAlerts, the listed alerts resolved", "a flapping alert")


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    authenticated: bool = True
    expect: tuple[int, ...] = (200,)  # the answers that are right for this shape


def _alertmanager(group_key: str, alerts: list[dict], **top) -> dict:
    common = {"alertname": "PaymentErrorRateHigh", "service": "payments", "severity": "critical"}
    return {"version": "4", "groupKey": group_key, "truncatedAlerts": 0, "status": "firing", "receiver": "fuzz",
            "groupLabels": {"alertname": "PaymentErrorRateHigh"}, "commonLabels": common,
            "commonAnnotations": {"summary": "payment errors"}, "externalURL": "http://alertmanager.invalid",
            "alerts": alerts, **top}


def _alert(fingerprint: str, status: str = "firing", **labels: str) -> dict:
    return {"status": status, "fingerprint": fingerprint, "startsAt": "2026-12-01T00:00:00Z",
            "labels": {"alertname": "PaymentErrorRateHigh", "service": "payments", **labels},
            "annotations": {"summary": f"{fingerprint} failing"}}


def _json(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _webhook(body: dict | bytes, **options) -> Request:
    return Request("/webhooks/alertmanager", body if isinstance(body, bytes) else _json(body), **options)


def hostile_shapes() -> dict[str, list[Request]]:
    """Fresh group keys every call, so a run's shapes open incidents of their own."""
    key = uuid.uuid4().hex
    small = [{"status": "firing", "fingerprint": f"{i:x}", "labels": {"alertname": "PayErr", "i": str(i)}}
             for i in range(10_000)]
    fat = [_alert(f"fat{i}", blob="x" * 85_000) for i in range(10)]
    five = [_alert(f"t{i}") for i in range(5)]
    truncated = _alertmanager(f"truncated-{key}", five[:2], truncatedAlerts=3)
    truncated_resolved = _alertmanager(f"truncated-{key}", [dict(a, status="resolved") for a in five[:2]],
                                       truncatedAlerts=3, status="resolved")
    flap = [_webhook(_alertmanager(f"flap-{key}", [_alert("f", status)], status=status))
            for status in ("firing", "resolved", "firing", "resolved", "firing")]
    far = copy.deepcopy(_alert("far"))
    far["startsAt"] = far["endsAt"] = FAR_FUTURE
    bom = b"\xef\xbb\xbf" + _json(_alertmanager(f"bom-{key}", [_alert("b")]))
    utf16 = json.dumps(_alertmanager(f"utf16-{key}", [_alert("u")])).encode("utf-16")
    return {
        "10,000 small alerts in one notification": [_webhook(_alertmanager(f"many-{key}", small))],
        "three notifications of 10 alerts with 85 KB labels": [
            _webhook(_alertmanager(f"fat-{key}", fat[:4])), _webhook(_alertmanager(f"fat-{key}", fat[4:8])),
            _webhook(_alertmanager(f"fat-{key}", fat[8:]))],
        "startsAt and endsAt in year 9999": [_webhook(_alertmanager(f"far-{key}", [far]))],
        "a 5,000-character alertname": [_webhook(_alertmanager(f"long-{key}", [_alert("l", alertname="A" * 5000)]))],
        "truncatedAlerts, the listed alerts resolved": [_webhook(truncated), _webhook(truncated_resolved)],
        "a flapping alert": flap,
        "a 5,000-character title declared": [Request("/api/incidents", _json(
            {"service": "payments", "severity": "sev2", "title": "t" * 5000, "by": "fuzz"}), expect=(422,))],
        "publish_postmortem from outside": [Request("/api/incidents/none/decisions", _json(
            {"kind": "publish_postmortem", "by": "mallory"}), expect=(422,))],
        "a body with a UTF-8 byte-order mark": [_webhook(bom, expect=(400, 415))],
        "a UTF-16 body": [_webhook(utf16, expect=(400, 415))],
        "Slack: a timestamp that is no number, unsigned": [Request(
            "/slack/commands", b"command=%2Fincident&text=ack&user_id=U1",
            {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": "abc"},
            authenticated=False, expect=(401,))],
    }


@dataclass
class HostileReport:
    answers: dict[str, list[int]] = field(default_factory=dict)
    wrong_answers: list[str] = field(default_factory=list)
    incidents: dict[str, str] = field(default_factory=dict)  # shape -> the incident it opened
    stuck: list[str] = field(default_factory=list)  # incidents that did not answer or accept a decision

    @property
    def ok(self) -> bool:
        return not (self.wrong_answers or self.stuck)

    def summary(self) -> dict:
        return {"shapes": len(self.answers), "answers": self.answers, "wrong_answers": self.wrong_answers,
                "incidents_checked": len(self.incidents), "stuck": self.stuck, "ok": self.ok}


def run_hostile(base_url: str, token: str, timeout: float = 60) -> HostileReport:
    """Send every shape, then acknowledge every incident they opened: each must answer 200 (blocking)."""
    import contextlib

    import requests

    from testkit.polling import wait_until_sync

    report = HostileReport()
    session = requests.Session()
    bearer = {"Authorization": f"Bearer {token}"}
    for name, shape in hostile_shapes().items():
        statuses = []
        for request in shape:
            headers = {**request.headers, **(bearer if request.authenticated else {})}
            answer = session.post(base_url + request.path, data=request.body, headers=headers, timeout=timeout)
            statuses.append(answer.status_code)
            if answer.status_code not in request.expect:
                report.wrong_answers.append(f"{name}: {request.path} answered {answer.status_code} "
                                            f"{answer.text[:200]} (expected {request.expect})")
            elif answer.status_code == 200 and answer.json().get("incident_id"):
                report.incidents[name] = answer.json()["incident_id"]
        report.answers[name] = statuses
    for name, incident in report.incidents.items():
        answers: list[requests.Response] = []

        def noted(name=name, incident=incident, answers=answers) -> bool:
            answers.append(session.post(f"{base_url}/api/incidents/{incident}/decisions", headers=bearer,
                                        timeout=timeout,
                                        json={"kind": "add_note", "text": f"hostile shape: {name}", "by": "fuzz"}))
            return answers[-1].status_code == 200

        with contextlib.suppress(AssertionError):  # a queued notification opens its incident moments later
            wait_until_sync(noted, f"{incident} to take a note", timeout)
        answer = answers[-1]  # not 200: reported stuck below
        shown = session.get(f"{base_url}/api/incidents/{incident}", headers=bearer, timeout=timeout)
        if answer.status_code != 200 or shown.status_code != 200:
            report.stuck.append(f"{name}: {incident}: decision {answer.status_code} {answer.text[:200]}, "
                                f"show {shown.status_code}")
        elif name in STILL_ACTIVE and shown.json()["phase"] == "mitigated":
            report.wrong_answers.append(f"{name}: {incident} mitigated itself while alerts may still fire")
    return report
