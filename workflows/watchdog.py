"""WatchdogPageWorkflow: pages the current primary about an incident whose own workflow keeps failing its
workflow task, so nothing of that workflow is needed. The watchdog (service/watchdog.py) starts one per
failure episode under a workflow id that Temporal refuses to reuse: one page per episode, whichever worker
found it and however often it restarted. Its history is the record of the page (who, when, why)."""

from datetime import datetime

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from activities.policy_loader import load_policy_snapshot
    from domain.comms.notifications import PageOutcome, PageRequest
    from domain.incident.severity import Severity, Tier
    from workflows.options import DELIVERY, LOCAL_READ

REASON_CAUSE_CHARS = 120


class WatchdogPage(BaseModel):
    incident_id: str
    title: str
    service: str
    severity: Severity
    since: datetime = Field(description="The first failed workflow task of the episode")
    failures: int
    cause: str
    episode: str = Field(description="Run id / event id of that first failure (service/failing.py)")
    policy_dir: str | None = Field(default=None, description="The incident's policy directory; None: the worker's")

    def workflow_id(self) -> str:
        return f"watchdog-page-{self.incident_id}-{self.episode.replace('/', '-')}"

    def page_id(self) -> str:
        """What the channels see as the incident: the incident's own primary page may be open or acknowledged
        in PagerDuty already (dedup key incident/tier), and PagerDuty notifies nobody for an open dedup key."""
        run_id, _, event_id = self.episode.partition("/")
        return f"{self.incident_id}/failing-{run_id[:8]}-{event_id}"


@workflow.defn
class WatchdogPageWorkflow:
    @workflow.run
    async def run(self, page: WatchdogPage) -> PageOutcome:
        # the rotation as it is now (the policy files), not the incident's snapshot: "whoever holds primary now"
        policy = await workflow.execute_activity(load_policy_snapshot, page.policy_dir, **LOCAL_READ)
        reason = (f"its workflow keeps failing since {page.since:%Y-%m-%d %H:%M:%S} UTC ({page.failures} times: "
                  f"{page.cause[:REASON_CAUSE_CHARS]}); escalation is stopped, take it over by hand")
        request = PageRequest(key=f"watchdog/{page.incident_id}/{page.episode}", incident_id=page.page_id(),
                              title=page.title, service=page.service, severity=page.severity, tier=Tier.PRIMARY,
                              reason=reason, at=workflow.now(), oncall=policy.oncall)
        outcome = await workflow.execute_activity_method(NotificationActivities.page_responder, request, **DELIVERY)
        workflow.logger.warning("incident %s (workflow failing since %s): primary %s paged by the watchdog",
                                page.incident_id, page.since, outcome.target or "nobody (no holder)")
        return outcome
