"""What alerts do to an incident once it has mitigated itself (policy section `alerts`; docs/gateway.md, "Alert
semantics")."""

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.common.durations import Duration


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertHandling(_Strict):
    """What alerts do to an incident once it has mitigated itself (every alert resolved; docs/gateway.md)."""

    pause_while_recovered: Literal["acknowledgement", "all", "none"] = Field(
        default="acknowledgement",
        description="Escalations that wait while every alert is resolved and resume when one fires again: the "
                    "acknowledgement deadline (default), every escalation, or none")
    reopen_on_refire: bool = Field(
        default=True, description="An alert firing again after the incident mitigated itself puts it back where "
                                  "it was and pages again; false: the firing is only noted")
    repage_at_most_every: Duration = Field(
        default=timedelta(minutes=5),
        description="An alert firing again after the incident mitigated itself pages the responder again, at "
                    "most this often (a flapping alert)")


# What incidents started before these alert semantics keep for their whole life (workflows/incident.py)
ALERTS_AS_BEFORE = AlertHandling(pause_while_recovered="none", reopen_on_refire=False)
