"""Issue 21: alerts changing over an incident's life, sent by the real Alertmanager: firing again after
auto-mitigation reopens and pages, an alert recovered before the acknowledgement deadline wakes no secondary,
one resolving during the postmortem is shown resolved. Sev1 is acknowledged within 10 s on this policy."""

import re
import time
from datetime import UTC, datetime

import pytest

from domain.common.durations import parse_duration
from testkit.alertmanager_stack import TIMELY, all_resolved
from testkit.polling import wait_until_sync

pytestmark = pytest.mark.slow


# ── 3. flapping: a firing after auto-mitigation reopens and pages again ─────────────────────────────────
def test_an_alert_firing_again_after_auto_mitigation_reactivates_the_incident_and_pages_again(stack):
    am, since = stack.am, stack.am.log_size()
    labels = {"alertname": "FriendsListTimeouts", "service": "friends", "route": "flapping"}
    am.fire(labels, summary="Friends list requests time out")
    incident_id = stack.find("FriendsListTimeouts", since)
    primary = wait_until_sync(lambda: stack.pages(incident_id), "the primary page", TIMELY)[0]
    assert primary["tier"] == "primary"

    am.resolve(labels)
    mitigated = stack.until(incident_id, lambda s: s["phase"] == "mitigated", "auto-mitigated")
    am.fire(labels, summary="Friends list requests time out")
    again = wait_until_sync(lambda: [p for p in stack.pages(incident_id) if p["target"] == primary["target"]][1:],
                            f"a second page to {primary['target']} (the primary, nobody acknowledged)", TIMELY)
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
    primary = wait_until_sync(lambda: stack.pages(incident_id), "the primary page", TIMELY)[0]
    responder = next(p for p in ("seoyeon", "hyunwoo", "jiyoung", "minsu") if p != primary["target"])
    stack.decide(incident_id, kind="acknowledge", by=responder)
    stack.until(incident_id, lambda s: s["phase"] == "triaged", f"acknowledged by {responder}")

    am.resolve(labels)
    stack.until(incident_id, lambda s: s["phase"] == "mitigated", "auto-mitigated")
    am.fire(labels, summary="Friend invites fail")
    wait_until_sync(lambda: [p for p in stack.pages(incident_id) if p["target"] == responder],
                    f"a page to {responder}, who acknowledged", TIMELY)
    state = stack.until(incident_id, lambda s: s["phase"] == "triaged", "back to triaged (it was acknowledged)")
    assert state["acknowledged_by"] == responder
    assert am.failures("flapping", since) == []


# ── 5. a recovered alert does not wake the secondary ───────────────────────────────────────────────────
def test_alerts_resolved_before_the_acknowledgement_deadline_page_no_secondary(stack):
    am, since = stack.am, stack.am.log_size()
    deadline = parse_duration(stack.policy()["severities"]["sev1"]["response_time"]).total_seconds()  # 10 s
    labels = {"alertname": "MatchmakingQueueStuck", "service": "matchmaking", "route": "recovered"}
    am.fire(labels, summary="Matchmaking queue not draining")
    incident_id = stack.find("MatchmakingQueueStuck", since)
    wait_until_sync(lambda: stack.pages(incident_id), "the primary page", TIMELY)
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
    wait_until_sync(lambda: stack.pages(incident_id), "the primary page", TIMELY)
    stack.decide(incident_id, kind="acknowledge", by="jiyoung")
    stack.decide(incident_id, kind="resolve", by="jiyoung", summary="restarted the score writer")
    state = stack.until(incident_id, lambda s: s["phase"] == "postmortem", "awaiting its postmortem (Sev2)")
    assert [a["status"] for a in state["alerts"].values()] == ["firing"]

    am.resolve(labels)
    after = stack.until(incident_id, all_resolved, "the alert shown resolved")
    assert after["phase"] == "postmortem"
    assert am.failures("postmortem", since) == []
