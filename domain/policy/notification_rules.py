"""Personal notification rules of the on-call policy: through which channels a paged person is notified, and how
long after the page ("Slack DM at once, SMS after 2 minutes, voice after 5"), until the incident is acknowledged
(docs/communications.md, "Notification rules")."""

from datetime import timedelta
from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from domain.common.durations import Duration, format_duration
from domain.common.models import Strict

RuleChannel = Literal["slack", "pagerduty", "email", "sms", "voice", "apprise", "webhook"]
# The person's contact each channel needs; the others reach whoever the channel is set up for.
CONTACT: dict[str, str] = {"slack": "slack_id", "email": "email", "sms": "phone", "voice": "phone"}
_NAMES = {"enum": list(get_args(RuleChannel)), "type": "string"}
# `via: sms` or `via: [slack, email]`; held as a list either way
Via = Annotated[list[RuleChannel], BeforeValidator(lambda value: [value] if isinstance(value, str) else value),
                WithJsonSchema({"anyOf": [_NAMES, {"type": "array", "items": _NAMES, "minItems": 1}]})]


class NotifyStep(Strict):
    after: Duration = Field(description="How long after the page this step goes out (the first step: 0m)")
    via: Via = Field(description="The channel, or a list of channels, this step notifies through")

    @field_validator("via")
    @classmethod
    def _named_once(cls, channels: list[str]) -> list[str]:
        if not channels:
            raise ValueError("via names no channel")
        if len(set(channels)) != len(channels):
            raise ValueError(f"via names a channel twice: {', '.join(channels)}")
        return channels

    @property
    def channels(self) -> list[str]:
        return list(self.via)

    def describe(self) -> str:
        return " and ".join(self.channels)


class NotificationRules(Strict):
    default: list[NotifyStep] = Field(default=[], description="The steps of everyone without their own `notify`; "
                                                              "empty: every configured channel at once")


def chain_errors(steps: list[NotifyStep], where: str) -> list[str]:
    """What is wrong with the order of a chain: it starts at 0m and every step comes later than the one before."""
    errors = []
    if steps and steps[0].after != timedelta(0):
        errors.append(f"{where} step 1: after {format_duration(steps[0].after)}, but the first step must be after 0m")
    for number, (before, step) in enumerate(zip(steps, steps[1:], strict=False), start=2):
        if step.after <= before.after:
            errors.append(f"{where} step {number}: after {format_duration(step.after)}, but it must come later than "
                          f"step {number - 1} (after {format_duration(before.after)})")
    return errors


def contact_errors(steps: list[NotifyStep], person, handle: str, where: str) -> list[str]:
    """Steps through a channel that needs a contact the person lacks (sms and voice a `phone`, …)."""
    errors = []
    for number, step in enumerate(steps, start=1):
        for channel in step.channels:
            field = CONTACT.get(channel)
            if field and not getattr(person, field):
                errors.append(f"{where} step {number}: {channel} needs a {field}, and {handle} has none")
    return errors


def lacks_contact(channel: str, person) -> str | None:
    """Why `channel` cannot reach `person` (a Person or None), or None when it can as far as the policy says."""
    if person is None:
        return "not a person of the policy"
    field = CONTACT.get(channel)
    return f"no {field} in the policy" if field and not getattr(person, field) else None
