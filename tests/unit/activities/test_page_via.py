"""`page_responder` with a step of a person's notification rules: only the channels the step names page; one not
configured or unable to reach the person is reported refused (so the workflow falls over); the recorder sees
every page; a drill goes to the drill transcript whatever the step names."""

from temporalio.testing import ActivityEnvironment

from activities.notify import NotificationActivities
from adapters.channels import RecordingChannel
from adapters.channels.pagerduty import PagerDutyChannel
from adapters.stores.delivery_log import DeliveryLog
from testkit.channels import StepChannels, paging


async def page(channels: list, request):
    return await ActivityEnvironment().run(NotificationActivities(channels).page_responder, request)


async def test_a_step_pages_only_its_channels_and_names_those_that_cannot(policy, tmp_path):
    steps, recorder = StepChannels("slack", "sms", "email"), RecordingChannel()
    pager = PagerDutyChannel("http://127.0.0.1:9/enqueue", None, DeliveryLog(tmp_path / "pager.db"))  # no key
    request, handle = paging(policy.oncall, via=["sms", "voice", "pagerduty"])
    outcome = await page([*steps.channels, pager, recorder], request)
    assert [(channel, person) for channel, person, _, _ in steps.pages] == [("sms", handle)]
    assert outcome.channels == ["sms"]
    assert outcome.refused == ["voice: not configured", "pagerduty: no PagerDuty routing key for them"]
    assert [p["target"] for p in recorder.pages()] == [handle]


async def test_a_step_through_a_contact_the_person_lacks_is_refused(policy):
    steps = StepChannels("slack", "sms")
    request, _ = paging(policy.oncall, via=["slack"])  # testkit's PERSON has email and phone, no slack_id
    outcome = await page(steps.channels, request)
    assert steps.pages == [] and outcome.channels == []
    assert outcome.refused == ["slack: no slack_id in the policy"]


async def test_a_drill_step_reaches_only_the_drill_transcript(policy):
    steps = StepChannels("sms")
    request, _ = paging(policy.oncall, via=["sms"], drill=True)
    outcome = await page(steps.channels, request)
    assert steps.pages == [] and outcome.channels == ["drill-transcript"] and outcome.refused == []
