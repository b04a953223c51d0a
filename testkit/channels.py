"""Direct-channel test support: a page or notification to hand an adapter, and a page sent through the real
`page_responder` activity (drills included) for the checks that a drill reaches nobody; Twilio settings and
signed SMS replies for the gateway; stand-in channels and a policy edit for notification rules."""

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


class StepChannels:
    """Stand-ins named like the real channels (slack, sms, voice …) for time-skipping tests of notification rules:
    each records who a page reached by what and when (workflow time), or refuses it for good as the real adapter
    refuses a 4xx. `sent()` lists (channel, person, seconds since `since`)."""

    def __init__(self, *names: str, refusing: tuple[str, ...] = ()):
        self.pages: list[tuple[str, str, datetime, str]] = []  # channel, person, at, tier
        self.down: set[str] = set()  # channels answering like an outage (retried) until removed
        self.channels = [_StepChannel(self, name, name in refusing) for name in names]

    def sent(self, since: datetime) -> list[tuple[str, str, int]]:
        return [(channel, person, round((at - since).total_seconds())) for channel, person, at, _ in self.pages]


class _StepChannel:
    def __init__(self, owner: StepChannels, name: str, refusing: bool):
        self.owner, self.name, self.refusing = owner, name, refusing
        self._keys: set[str] = set()

    async def page(self, request: PageRequest, target: str, person) -> None:
        if self.refusing:
            from adapters.channels.errors import rejected

            raise rejected("Twilio", f"{self.name} page to {target}", "HTTP 400 error 21211: not a valid phone number")
        if self.name in self.owner.down:
            from adapters.channels.errors import unavailable

            raise unavailable("Twilio", f"{self.name} page to {target}", "HTTP 503")
        if request.key not in self._keys:
            self._keys.add(request.key)
            self.owner.pages.append((self.name, target, request.at, request.tier.value))

    async def send(self, notification: Notification) -> None:
        pass


TWILIO_PUBLIC_URL = "https://incidents.example"


def twilio_settings(twilio, policy_dir, **overrides) -> dict:
    """Settings (worker and gateway) for Twilio at the fake `twilio` (testkit/fakes/twilio_api.py)."""
    from testkit.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

    return dict(policy_dir=policy_dir, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                twilio_from_number=FROM_NUMBER, twilio_api_url=twilio.api_url, public_url=TWILIO_PUBLIC_URL,
                **overrides)


async def sms_reply(gateway, from_number: str, body: str):
    """An SMS reply as Twilio posts it to the gateway, signed; the gateway's answer."""
    from testkit.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

    form = {"From": from_number, "To": FROM_NUMBER, "Body": body, "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": ACCOUNT_SID}
    content, headers = twilio_signed(TWILIO_PUBLIC_URL, "/webhooks/twilio/sms", form, AUTH_TOKEN)
    async with gateway.http(token=None) as http:
        return await http.post("/webhooks/twilio/sms", content=content, headers=headers)


DM_SMS_VOICE = [{"after": "0m", "via": "slack"}, {"after": "2m", "via": "sms"}, {"after": "5m", "via": "voice"}]


def with_notification_rules(own: dict[str, list] | None = None, default: list | None = None):
    """An `edited_policy` edit: primary minsu, secondary jiyoung, everyone a phone (+8210000NNNN in the order of
    `people`), the team default chain DM → SMS at 2 m → voice at 5 m (or `default`), and `own` people's rules."""
    def edit(oncall: dict) -> None:
        oncall["tiers"]["primary"]["members"], oncall["tiers"]["secondary"]["members"] = ["minsu"], ["jiyoung"]
        for number, person in enumerate(oncall["people"].values()):
            person["phone"] = f"+8210000{number:04d}"
        oncall["notification_rules"] = {"default": DM_SMS_VOICE if default is None else default}
        for handle, steps in (own or {}).items():
            oncall["people"][handle]["notify"] = steps
    return edit
