"""SMS and voice pages through Twilio's REST API with the official `twilio` library (its async client). The
paged person's `phone` (E.164) gets a short SMS or a call whose TwiML is sent inline — no public URL is needed to
place it; with INCIDENTFLOW_PUBLIC_URL set, the call's key press and both channels' delivery status come back to
the gateway (gateway/twilio_webhooks.py). Each send is kept in the direct channels' delivery log with the number
it went to: a retried activity sends nothing twice, and a reply from that number acknowledges the incident
most recently paged to it."""

import aiohttp
from pydantic import SecretStr
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import Gather, VoiceResponse

from adapters.channels.errors import rate_limited, rejected, unavailable
from adapters.stores.delivery_log import DeliveryLog
from domain.comms.notifications import Notification, PageRequest
from domain.policy.oncall_policy import Person

SMS_PATH = "/webhooks/twilio/sms"
VOICE_PATH = "/webhooks/twilio/voice"
STATUS_PATH = "/webhooks/twilio/status"
TITLE_MAX = 80  # an SMS stays one or two segments


def sms_text(request: PageRequest, replies: bool = True) -> str:
    """Replies reach us only through the public URL: without it, the text says how else to acknowledge."""
    title = request.title if len(request.title) <= TITLE_MAX else request.title[:TITLE_MAX - 1] + "…"
    how = "Reply 1 or ack to acknowledge" if replies else f"Acknowledge: incident ack {request.incident_id}"
    return f"[{request.severity.value.upper()}] {request.incident_id} {title}. {how}"


def voice_twiml(request: PageRequest, public_url: str | None) -> str:
    """What the call says; a key press needs somewhere to go, so without a public URL it only says how else to
    acknowledge."""
    severity = request.severity.value.upper().replace("SEV", "severity ")
    said = f"Incident page, {severity}, {request.service}: {request.title}."
    response = VoiceResponse()
    if public_url:
        gather = Gather(num_digits=1, action=public_url.rstrip("/") + VOICE_PATH, method="POST", timeout=10)
        gather.say(f"{said} Press 1 to acknowledge.", loop=2)
        response.append(gather)
        response.say("No key was pressed. The page stays open. Goodbye.")
    else:
        response.say(f"{said} Acknowledge it in Slack or with the incident command.", loop=2)
    return str(response)


def twilio_client(account_sid: str, auth_token: SecretStr, api_url: str, timeout: float = 10.0) -> Client:
    client = Client(account_sid, auth_token.get_secret_value(),
                    http_client=AsyncTwilioHttpClient(pool_connections=False, timeout=timeout))
    client.api.base_url = api_url.rstrip("/")  # the REST API's domain (tests: a fake on loopback)
    return client


class _TwilioChannel:
    name = ""

    def __init__(self, client: Client, from_number: str, log: DeliveryLog, public_url: str | None = None):
        self.client = client
        self.from_number = from_number
        self.log = log
        self.public_url = public_url.rstrip("/") if public_url else None

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        if person is None or not person.phone or self.log.sent(request.key, self.name):
            return
        what = f"{self.name} page {request.incident_id} to {target}"
        try:
            await self._create(request, person.phone)
        except TwilioRestException as exc:
            raise _refusal(exc, what) from None
        except (TwilioException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise unavailable("Twilio", what, f"{type(exc).__name__}: {exc}") from None
        self.log.record(request.incident_id, request.key, self.name, person.phone, at=request.at)

    async def send(self, notification: Notification) -> None:
        """Phones carry pages only; messages go to the incident room."""

    def _status_callback(self) -> str | None:
        return self.public_url + STATUS_PATH if self.public_url else None

    async def _create(self, request: PageRequest, phone: str) -> None:
        raise NotImplementedError


class TwilioSmsChannel(_TwilioChannel):
    name = "sms"

    async def _create(self, request: PageRequest, phone: str) -> None:
        await self.client.messages.create_async(to=phone, from_=self.from_number,
                                                body=sms_text(request, replies=self.public_url is not None),
                                                status_callback=self._status_callback())


class TwilioVoiceChannel(_TwilioChannel):
    name = "voice"

    async def _create(self, request: PageRequest, phone: str) -> None:
        await self.client.calls.create_async(to=phone, from_=self.from_number,
                                             twiml=voice_twiml(request, self.public_url),
                                             status_callback=self._status_callback())


def _refusal(exc: TwilioRestException, what: str):
    detail = (f"HTTP {exc.status}" + (f" error {exc.code}" if exc.code else "") + f": {exc.msg}")[:300]
    if exc.status == 429:
        return rate_limited("Twilio", what, None)
    if 400 <= exc.status < 500:  # a number Twilio will not reach, a bad From, an unverified trial number …
        return rejected("Twilio", what, detail)
    return unavailable("Twilio", what, detail)
