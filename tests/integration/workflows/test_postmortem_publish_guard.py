"""Publishing a postmortem whose required sections still hold the template's text is refused and names them;
`force` (the CLI's --force) publishes anyway; a filled-in draft publishes (docs/learning-loop.md, "Publishing")."""

import pytest

from activities.learning import LedgerActivities
from domain.incident import decisions as d
from domain.incident.phases import Phase
from domain.incident.severity import Severity
from service.postmortems import TemplateTextLeft, publish_postmortem
from testkit.helpers import start_incident
from testkit.postmortems import postmortem_of
from worker import build_worker
from workflows.incident import IncidentWorkflow

FILLED = {
    "## Root cause\n": "## Root cause\nA config push removed the fleet's health-check port.\n",
    "## What went well\n": "## What went well\nFast rollback.\n",
    "## What went poorly\n": "## What went poorly\nThe canary did not cover the port.\n",
    "1. Why?\n": "1. Why? The push skipped the canary.\n",
}


async def drafted(env, task_queue):
    handle = await start_incident(env.client, task_queue, severity=Severity.SEV1)
    await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="jiyoung"))
    await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="jiyoung", summary="bad deploy rolled back"))
    state, _ = await postmortem_of(env, handle)
    return handle, state


async def test_template_text_refuses_then_a_filled_draft_publishes(time_env, task_queue, recorder, ledger, tmp_path):
    async with build_worker(time_env.client, task_queue, [recorder], learning=LedgerActivities(ledger, tmp_path)):
        handle, state = await drafted(time_env, task_queue)
        with pytest.raises(TemplateTextLeft) as refused:
            await publish_postmortem(time_env.client, lambda: ledger, state.id, "jiyoung")
        # the summary came from the resolution; the others are as the template wrote them
        assert refused.value.sections == ["Root cause", "What went well", "What went poorly", "5 Whys"]
        assert str(refused.value) == (
            f"the postmortem of {state.id} still has template text in: Root cause, What went well, "
            "What went poorly, 5 Whys; fill them in (`incident postmortem edit`) or publish with --force")
        assert ledger.postmortem(state.id).status == "draft"

        path = tmp_path / "postmortems" / f"{state.id}.md"
        text = path.read_text(encoding="utf-8")
        for old, new in list(FILLED.items())[:2]:
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        with pytest.raises(TemplateTextLeft) as still:
            await publish_postmortem(time_env.client, lambda: ledger, state.id, "jiyoung")
        assert still.value.sections == ["What went poorly", "5 Whys"]

        for old, new in list(FILLED.items())[2:]:
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        record = await publish_postmortem(time_env.client, lambda: ledger, state.id, "jiyoung")
        assert record.status == "published" and "Fast rollback." in record.markdown
        assert (await handle.result()).phase == Phase.CLOSED


async def test_force_publishes_the_template_text(time_env, task_queue, recorder, ledger, tmp_path):
    async with build_worker(time_env.client, task_queue, [recorder], learning=LedgerActivities(ledger, tmp_path)):
        handle, state = await drafted(time_env, task_queue)
        record = await publish_postmortem(time_env.client, lambda: ledger, state.id, "jiyoung", force=True)
        assert record.status == "published" and record.published_by == "jiyoung"
        assert (await handle.result()).phase == Phase.CLOSED
