"""Every patch of the incident workflow, one function each: which incidents take the old path, and when it goes.

Temporal's lifecycle is `patched` → `deprecate_patch` → removed
(https://docs.temporal.io/develop/python/workflows/versioning); the decisions and the histories behind them are
in docs/upgrading.md ("Patches of the incident workflow"). Each call stays where the old code called it: the
marker's place among the commands is part of the history.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from domain.alerts.policy import ALERTS_AS_BEFORE
    from domain.comms.view import IncidentView
    from domain.policy.model import Policy
    from workflows.options import DELIVERY

TIER_CLAIMED_WHEN_PLANNED = "tier-claimed-when-planned"
RUNBOOK_LOAD_WAKES_LOOP = "runbook-load-wakes-loop"
DRILL_MESSAGES_IN_TIMELINE = "drill-messages-in-timeline"
VIEWS_FROM_ONE_WAITING_TASK = "views-from-one-waiting-task"
CONTINUE_AS_NEW_WHEN_LONG = "continue-as-new-when-long"
ALERTS_RECOVER_AND_REFIRE = "alerts-recover-and-refire"
STAKEHOLDERS_NOTIFIED = "stakeholders-notified"
PUBLIC_CONTACTS_TOLD = "public-contacts-told"
NOTIFICATION_RULES_FOLLOWED = "notification-rules-followed"


# ── deprecated: no stored history took the old path; removed once no history with the patched() marker replays
def claim_tier_when_planned() -> None:
    """An escalation claims its tier when planned, so two rules due in one plan page it once. Every stored
    history that reached this recorded the marker (v0.1 included)."""
    workflow.deprecate_patch(TIER_CLAIMED_WHEN_PLANNED)


def wake_loop_when_runbooks_load() -> None:
    """Loaded runbooks wake the loop, so a matching one starts now, not at the next timer. Every stored incident
    history recorded the marker (v0.1 included)."""
    workflow.deprecate_patch(RUNBOOK_LOAD_WAKES_LOOP)


# ── active: stored histories take the old path
def alert_handling_for(policy: Policy) -> Policy:
    """Old path: incidents begun before the acknowledgement pause and the reopening on a refire (every stored
    history but `alerts-flapping.*`) keep ALERTS_AS_BEFORE for life, continued runs included. Goes when those
    incidents and histories are gone."""
    if workflow.patched(ALERTS_RECOVER_AND_REFIRE):
        return policy
    return policy.model_copy(update={"incident": policy.incident.model_copy(update={"alerts": ALERTS_AS_BEFORE})})


def notifies_stakeholders() -> bool:
    """Asked once, when the incident is declared (a continued run carries the answer in its state). Old path
    (False): every stored history — incidents declared before the severity's `stakeholders` were notified never
    plan the notices, so none is sent late after an upgrade. Goes when those incidents and histories are gone."""
    return workflow.patched(STAKEHOLDERS_NOTIFIED)


def tells_public_contacts() -> bool:
    """Asked once, when the incident is declared, right after `notifies_stakeholders`. Old path (False): every
    stored history — incidents declared before customer support was told of public incidents never plan it.
    Goes when those incidents and histories are gone."""
    return workflow.patched(PUBLIC_CONTACTS_TOLD)


def follows_notification_rules() -> bool:
    """Asked once, when the incident is declared, right after `tells_public_contacts`; the answer is kept in
    `IncidentState.follows_notification_rules`. Old path (False): every stored history — incidents declared
    before people's notification rules page every configured channel at once for their whole life, continued runs
    included. Goes when those incidents and histories are gone."""
    return workflow.patched(NOTIFICATION_RULES_FOLLOWED)


def continues_as_new_when_long() -> bool:
    """Old path (False): runs recorded before continue-as-new wait where a new run would continue (`v0.1-*` and the
    current declare-to-resolve, full-escalation, postmortem and runbook incidents). Goes with those histories."""
    return workflow.patched(CONTINUE_AS_NEW_WHEN_LONG)


def drill_messages_only_in_timeline() -> bool:
    """Asked for drills only. Old path (False): drills begun on v0.1 (`v0.1-drill.incident`) still send their
    messages through `notify`, which routes a drill's nowhere. Goes with the v0.1 histories."""
    return workflow.patched(DRILL_MESSAGES_IN_TIMELINE)


def views_from_one_waiting_task() -> bool:
    """Asked at the first view. Old path (False): incidents begun on v0.1 (`v0.1-*`, drills aside) publish
    with `ViewsOneAfterAnother` and the `publish` activity. Goes with the v0.1 histories; then `publish` too."""
    return workflow.patched(VIEWS_FROM_ONE_WAITING_TASK)


class ViewsOneAfterAnother:
    """The old path of VIEWS_FROM_ONE_WAITING_TASK: each `publish` chained from the completion of the one before."""

    def __init__(self, views) -> None:
        self.views = views  # an incident_views.ViewPublisher: its `latest` and `sent` views
        self.draining = False

    def publish(self, start) -> None:
        if not self.draining:
            self.draining = True
            start(self._drain())

    async def _drain(self) -> None:
        while self.views.latest != self.views.sent:
            latest: IncidentView = self.views.latest
            await workflow.execute_activity_method(NotificationActivities.publish, latest, **DELIVERY)
            self.views.sent = latest
        self.draining = False
