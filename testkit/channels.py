"""Direct-channel test support: a page or notification to hand an adapter, and a page sent through the real
`page_responder` activity (drills included) for the checks that a drill reaches nobody."""

import uuid
from datetime import UTC, datetime

from temporalio.testing import ActivityEnvironment

from activities.notify import NotificationActivities
from domain.comms.notifications import Notification, PageOutcome, PageRequest
from domain.incident.severity import Severity, Tier
from domain.policy.oncall_policy import OnCallPolicy, Person

PHONE = "+821012345678"
PERSON = Person(name="Kim Minsu", email="minsu@example.com", phone=PHONE)


def page_request(oncall: OnCallPolicy, **fields) -> PageRequest:
    values = dict(key=f"wf/run/{uuid.uuid4().hex}/primary", incident_id=f"20261207-payments-{uuid.uuid4().hex[:4]}",
                  title="Payments down", service="payments", severity=Severity.SEV1, tier=Tier.PRIMARY,
                  reason="declared", at=datetime.now(UTC), oncall=oncall)
    return PageRequest(**{**values, **fields})


def notification(**fields) -> Notification:
    values = dict(key=f"wf/run/{uuid.uuid4().hex}/note", incident_id="20261207-payments-ab12", kind="decision",
                  severity=Severity.SEV1, title="Payments down", text="acknowledged by minsu")
    return Notification(**{**values, **fields})


def paging(oncall: OnCallPolicy, person: Person = PERSON, **fields) -> tuple[PageRequest, str]:
    """A page to one person of the policy (its first handle), who is reachable as `person`; and that handle."""
    handle = next(iter(oncall.people))
    policy = oncall.model_copy(update={"people": {**oncall.people, handle: person}})
    return page_request(policy, person=handle, **fields), handle


async def page_through_activity(channel, request: PageRequest) -> PageOutcome:
    """The page as the worker sends it: `page_responder` with `channel` as the only channel; a drill request is
    diverted to the drill transcript there."""
    return await ActivityEnvironment().run(NotificationActivities([channel]).page_responder, request)


async def drill_page(channel, oncall: OnCallPolicy, person: Person = PERSON) -> PageOutcome:
    """A drill page to someone reachable as `person` through every direct channel."""
    request, _ = paging(oncall, person, drill=True, title="Tabletop drill")
    return await page_through_activity(channel, request)


def twilio_signed(public_url: str, path: str, form: dict[str, str], auth_token: str) -> tuple[str, dict[str, str]]:
    """A Twilio webhook as Twilio sends it: the form body, and X-Twilio-Signature over the public URL."""
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    signature = RequestValidator(auth_token).compute_signature(public_url.rstrip("/") + path, form)
    return urlencode(form), {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
