"""HandoverWorkflow: the weekly handover bot. A Temporal Schedule runs it at every team handover (Monday
09:00 Asia/Seoul by default); it tells the outgoing and incoming primary/secondary what they hand over."""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from activities.oncall import IncidentWindow, OnCallActivities
    from activities.policy_loader import load_policy_snapshot
    from domain.comms.notifications import Notification
    from domain.oncall.handover import Handover, build_handover, handover_moment
    from workflows.options import DELIVERY, LOCAL_READ, TEMPORAL_READ

HANDOVER_WORKFLOW_ID = "oncall-handover"


class HandoverRequest(BaseModel):
    policy_dir: str | None = None
    at: datetime | None = Field(default=None, description="The handover moment; None: the latest one at or "
                                                          "before now (the one a scheduled run is for)")


@workflow.defn
class HandoverWorkflow:
    @workflow.run
    async def run(self, request: HandoverRequest) -> Handover:
        policy = await workflow.execute_activity(load_policy_snapshot, request.policy_dir, **LOCAL_READ)
        at = request.at or handover_moment(policy, workflow.now())
        overrides = await workflow.execute_activity_method(OnCallActivities.list_overrides, **LOCAL_READ)
        incidents = await workflow.execute_activity_method(
            OnCallActivities.collect_incidents, IncidentWindow(since=at - timedelta(weeks=1)), **TEMPORAL_READ
        )
        followups = await workflow.execute_activity_method(OnCallActivities.followups, at, **TEMPORAL_READ)
        handover = build_handover(policy, at, incidents, overrides, followups)
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(key=f"handover/{at.isoformat()}", kind="handover", to=handover.recipients,
                         title="On-call handover", text=handover.text),
            **DELIVERY,
        )
        return handover
