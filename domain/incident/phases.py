"""The incident lifecycle: detect -> triage -> mitigate -> resolve -> postmortem -> closed."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class Phase(StrEnum):
    DETECTED = "detected"
    TRIAGED = "triaged"
    MITIGATING = "mitigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    CLOSED = "closed"

    @property
    def order(self) -> int:
        return list(Phase).index(self)

    def reached(self, other: "Phase") -> bool:
        """True when this phase is `other` or later."""
        return self.order >= other.order

    @property
    def is_open(self) -> bool:
        return not self.reached(Phase.RESOLVED)


class PhaseChange(BaseModel):
    """The incident entered `phase` at `at` (forward, or back when an alert fired again)."""

    phase: Phase
    at: datetime
