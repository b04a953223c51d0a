"""Issue 21: what the real Alertmanager (Debian's 0.25, testkit/alertmanager.py) sends reaches the stack as one
incident — through `webhook_configs` and `pagerduty_configs` receivers, driven with `amtool` only — and a
truncated group (max_alerts) counts the alerts it hides."""

import json
import re
import time

import pytest

from testkit.alertmanager_stack import PD_ROUTING_KEY, PD_SERVICE, TIMELY, all_resolved, brief
from testkit.helpers import incident as cli
from testkit.polling import wait_until_sync

pytestmark = pytest.mark.slow


# ── 1. the normal path, webhook_configs ─────────────────────────────────────────────────────────────────
def test_one_alert_group_is_one_incident_paged_once_and_mitigated_when_all_resolve(stack):
    am, since = stack.am, stack.am.log_size()
    alerts = [{"alertname": "LeaderboardStale", "service": "leaderboard", "instance": f"lb-{n}", "route": "normal"}
              for n in (1, 2)]
    for labels in alerts:
        am.fire(labels, summary="Leaderboard not updated for 30 minutes")
    incident_id = stack.find("LeaderboardStale", since)
    pages = wait_until_sync(lambda: stack.pages(incident_id), "the primary page", TIMELY)
    # Alertmanager resends the unchanged group every repeat_interval: wait for the first and two repeats
    wait_until_sync(lambda: am.notifications("normal", since) >= 3, "two repeated notifications", TIMELY)
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
    assert all_resolved(mitigated)
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
    expected = stack.policy()["alert_mapping"]["severity_values"]["critical"]
    assert (state["service"], state["severity"]) == (PD_SERVICE, expected), brief(state)
    assert expected != "sev2"
    wait_until_sync(lambda: stack.pages(incident_id), "the primary page", TIMELY)
    assert PD_ROUTING_KEY not in json.dumps(state)  # the routing key is a credential: never in the incident

    am.resolve(labels)
    resolved = stack.until(incident_id, all_resolved, "its alert resolved by the PagerDuty resolve event")
    assert PD_ROUTING_KEY not in json.dumps(resolved)
    assert [i["id"] for i in stack.incidents() if "CheckoutErrorRate" in i["title"] or i["id"].startswith("pd-")
            ] == [incident_id]
    assert am.failures("pagerduty", since) == []  # never a 401: the routing key in the body is the credential


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
    seen = stack.until(incident_id, all_resolved, "the 2 listed alerts resolved (3 hidden ones still fire)")
    time.sleep(1.5)  # and another notification or two of the same
    after = stack.state(incident_id)
    assert seen["phase"] == after["phase"] == "detected", brief(after)
    assert after["mitigated_at"] is None
    assert after.get("alerts_hidden") == 3
    assert am.failures("truncated", since) == []
