"""The incident policy's `drills:` section: how a drill scores what the policy states without a number."""

from datetime import timedelta

from pydantic import Field

from domain.common.durations import Duration
from domain.common.models import Strict


class DrillScoring(Strict):
    immediate_ack_within: Duration = Field(
        default=timedelta(minutes=1),
        description="A severity whose response_time is 0m (즉시, immediately) is scored against this: an "
                    "acknowledgement within it meets the target (docs/drills.md, \"Immediate response\")")
