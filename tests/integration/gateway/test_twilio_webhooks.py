"""Acknowledging by SMS reply and by voice key press: a Sev1 paged by SMS/voice through the fake Twilio API
(worker on the time-skipping server), Twilio's webhooks signed with the library's RequestValidator posted to the
real gateway (uvicorn on loopback). A valid reply acknowledges the incident as the person whose phone it is;
a forged or missing signature is a 403, an unknown number and any other text get a TwiML explanation, and
none of them change anything."""


from adapters.stores.ledger import open_ledger
from adapters.stores.ledger_engine import default_url
from domain.identity.principal import Source
from domain.incident.severity import Severity
from service.audit import entries
from testkit.channels import TWILIO_PUBLIC_URL, twilio_settings, twilio_signed
from testkit.comms import comms_settings, comms_worker, edited_policy, snapshot
from testkit.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from testkit.gateway import address_of, served
from testkit.helpers import start_incident
from testkit.polling import wait_until

PUBLIC = TWILIO_PUBLIC_URL


def with_phones(oncall: dict) -> None:
    for number, person in enumerate(oncall["people"].values()):
        person["phone"] = f"+8210000{number:04d}"


async def post(gateway, path: str, form: dict[str, str], token: str = AUTH_TOKEN, signed: bool = True):
    body, headers = twilio_signed(PUBLIC, path, form, token)
    if not signed:
        headers.pop("X-Twilio-Signature")
    async with gateway.http(token=None) as http:
        return await http.post(path, content=body, headers=headers)


async def paged_by_phone(client, task_queue, policy_dir, twilio, kind: str):
    handle = await start_incident(client, task_queue, Severity.SEV1, policy_dir=str(policy_dir))
    incident_id = handle.id.removeprefix("incident-")
    sent = twilio.messages if kind == "sms" else twilio.calls
    await wait_until(lambda: bool(sent), f"the {kind} page")
    state = await snapshot(client, incident_id)
    return handle, incident_id, state.pages[0].target, sent[0]["To"]


async def test_an_sms_reply_acknowledges_as_the_person_and_forgeries_or_strangers_change_nothing(
        time_env, task_queue, tmp_path, twilio):
    policy_dir = edited_policy(tmp_path / "policy", with_phones)
    settings = twilio_settings(twilio, policy_dir)
    client = time_env.client
    async with comms_worker(client, task_queue, comms_settings(tmp_path, **settings)):
        with served(address_of(client), task_queue, data_dir=tmp_path, **settings) as gateway:
            handle, incident_id, person, phone = await paged_by_phone(client, task_queue, policy_dir, twilio, "sms")
            reply = {"From": phone, "To": FROM_NUMBER, "Body": "  ACK ", "MessageSid": "SM1", "AccountSid": ACCOUNT_SID}

            forged = await post(gateway, "/webhooks/twilio/sms", reply, token="not-the-auth-token")
            unsigned = await post(gateway, "/webhooks/twilio/sms", reply, signed=False)
            stranger = await post(gateway, "/webhooks/twilio/sms", {**reply, "From": "+15550001111"})
            chatter = await post(gateway, "/webhooks/twilio/sms", {**reply, "Body": "on my way"})
            untouched = await snapshot(client, incident_id)
            acked = await post(gateway, "/webhooks/twilio/sms", reply)
            state = await wait_until(lambda: _acknowledged(client, incident_id), "the acknowledgement")
            await handle.terminate("test over")

    assert forged.status_code == 403 and "X-Twilio-Signature does not match" in forged.json()["detail"]
    assert unsigned.status_code == 403 and "missing X-Twilio-Signature" in unsigned.json()["detail"]
    assert stranger.status_code == 200 and stranger.headers["content-type"].startswith("application/xml")
    assert "+15550001111 is not a phone number of anyone in the on-call policy" in stranger.text
    assert "Reply 1 or ack to acknowledge" in chatter.text
    assert untouched.acknowledged_by is None
    assert acked.status_code == 200
    assert f"<Message>Acknowledged {incident_id} as {person}.</Message>" in acked.text
    assert state.acknowledged_by == person
    assert any(entry.actor == f"sms on behalf of {person}" for entry in state.timeline)
    ledger = open_ledger(default_url(tmp_path))
    assert [(e.actor, e.action, e.allowed) for e in entries(ledger, source=Source.SMS)] == [
        (person, "acknowledge", True)]


async def test_pressing_1_during_the_call_acknowledges_and_status_callbacks_are_taken(
        time_env, task_queue, tmp_path, twilio):
    policy_dir = edited_policy(tmp_path / "policy", with_phones)
    settings = twilio_settings(twilio, policy_dir)
    client = time_env.client
    async with comms_worker(client, task_queue, comms_settings(tmp_path, **settings, notify="record,voice")):
        with served(address_of(client), task_queue, data_dir=tmp_path, **settings) as gateway:
            handle, incident_id, person, phone = await paged_by_phone(client, task_queue, policy_dir, twilio,
                                                                      "voice")
            # a call we placed: From is our number, To the person's
            call = {"CallSid": "CA1", "From": FROM_NUMBER, "To": phone, "Direction": "outbound-api",
                    "AccountSid": ACCOUNT_SID}
            wrong_key = await post(gateway, "/webhooks/twilio/voice", {**call, "Digits": "7"})
            pressed = await post(gateway, "/webhooks/twilio/voice", {**call, "Digits": "1"})
            state = await wait_until(lambda: _acknowledged(client, incident_id), "the acknowledgement")
            status = await post(gateway, "/webhooks/twilio/status", {**call, "CallStatus": "completed"})
            await handle.terminate("test over")

    assert "Nothing was acknowledged. Press 1" in wrong_key.text
    assert f"<Say>Acknowledged {incident_id} as {person}.</Say>" in pressed.text
    assert state.acknowledged_by == person
    assert status.status_code == 204


async def _acknowledged(client, incident_id):
    state = await snapshot(client, incident_id)
    return state if state and state.acknowledged_by else None
