"""Severity levels Sev0 (worst) to Sev3, tiers and roles: the fixed vocabulary of the policy."""

from enum import StrEnum


class Severity(StrEnum):
    SEV0 = "sev0"
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"

    @property
    def rank(self) -> int:
        """0 is the most severe."""
        return int(self.value[-1])

    def is_worse_than(self, other: "Severity") -> bool:
        return self.rank < other.rank

    @classmethod
    def parse(cls, text: str) -> "Severity":
        cleaned = text.strip().lower().replace("-", "").replace(" ", "")
        try:
            return cls(cleaned)
        except ValueError:
            raise ValueError(f"unknown severity {text!r}: use sev0, sev1, sev2 or sev3") from None


def worst(severities: "list[Severity]") -> Severity | None:
    return min(severities, key=lambda s: s.rank, default=None)


class Tier(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"
    EXECUTIVE = "executive"

    @property
    def level(self) -> int:
        return list(Tier).index(self)

    def next_up(self) -> "Tier | None":
        tiers = list(Tier)
        return tiers[self.level + 1] if self.level + 1 < len(tiers) else None


class Role(StrEnum):
    IC = "ic"
    OPS = "ops"
    COMMS = "comms"
    LIAISON = "liaison"
    SCRIBE = "scribe"
