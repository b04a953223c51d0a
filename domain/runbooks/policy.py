"""The policy's `runbooks:` section: whether matching runbooks start by themselves and how long an
approval may wait before it escalates (and, after enough escalations, aborts — never a default yes)."""

from datetime import timedelta

from pydantic import Field

from domain.common.durations import Duration
from domain.common.models import Strict


class RunbookPolicy(Strict):
    auto_start: bool = Field(
        default=True, description="true: a matching runbook starts at once; false: it is offered (button / CLI)"
    )
    approval_timeout: Duration = Field(
        default=timedelta(minutes=10), description="Wait for an approval this long, then escalate one tier"
    )
    approval_escalations: int = Field(
        default=2, ge=0, le=5, description="Escalations while waiting; after one more timeout the run aborts"
    )
