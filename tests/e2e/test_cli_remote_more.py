"""The learning-loop and on-call commands in remote mode (docs/configuration.md, "The CLI against a gateway"): the
`incident` command as a subprocess with only INCIDENTFLOW_URL / INCIDENTFLOW_TOKEN (testkit/remote_cli.py's
laptop: no Temporal, no ledger of its own), against a real gateway and worker sharing one ledger, so a
postmortem drafted at resolution can be edited, refused and published over the API."""

import json
import sys

import pytest

from activities.learning import LedgerActivities
from adapters.stores.ledger import open_ledger
from testkit.gateway import TOKEN, served
from testkit.polling import wait_until
from testkit.remote_cli import laptop_env, personal_token, remote_cli, shown
from worker import build_worker

_cli, _shown, _token = remote_cli, shown, personal_token

pytestmark = [pytest.mark.slow, pytest.mark.own_dev_server]
EDITOR = """import pathlib, sys
path = pathlib.Path(sys.argv[1])
path.write_text(path.read_text(encoding="utf-8").replace("## Root cause\\n", "## Root cause\\nA config push.\\n"),
                encoding="utf-8")
"""


@pytest.fixture
async def gateway(dev_server, dev_client, task_queue, recorder, tmp_path):
    """The worker writes postmortem drafts into the ledger the gateway serves (a fresh one: periodic checks and
    training of other tests stay out)."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    learning = LedgerActivities(open_ledger(url), tmp_path)
    async with build_worker(dev_client, task_queue, [recorder], learning=learning):
        with served(dev_server, task_queue, database_url=url) as gateway:
            yield gateway
        async for execution in dev_client.list_workflows("ExecutionStatus = 'Running'"):
            await dev_client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate("test over")


@pytest.fixture
def laptop(tmp_path):
    return laptop_env(tmp_path)


async def _api(gateway, path: str):
    async with gateway.http() as http:
        answer = await http.get(path)
    return answer.json() if answer.status_code == 200 else None


async def test_postmortem_action_items_training_periodic_readiness_and_oncall_remotely(gateway, laptop, tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR, encoding="utf-8")
    env = {**laptop, "INCIDENTFLOW_URL": gateway.url, "INCIDENTFLOW_TOKEN": _token(gateway, "jiyoung"),
           "EDITOR": f"{sys.executable} {editor}"}
    lead = {**env, "INCIDENTFLOW_TOKEN": _token(gateway, "sre-lead")}
    incident_id = (await _cli(env, "declare", "--service", "shop", "--severity", "sev2", "--title", "Cart empty")
                   ).stdout.strip()
    await wait_until(lambda: _shown(gateway, incident_id), f"{incident_id} to start")
    await _cli(env, "ack", incident_id)
    await _cli(env, "resolve", incident_id, "--summary", "bad deploy rolled back")
    path = f"/api/incidents/{incident_id}/postmortem"
    drafted = await wait_until(lambda: _api(gateway, path), "the postmortem draft", timeout=20)

    shown = await _cli(env, "postmortem", "show", incident_id)
    assert "bad deploy rolled back" in shown.stdout and "## Root cause" in shown.stdout
    assert json.loads((await _cli(env, "postmortem", "show", incident_id, "--json")).stdout)["version"] == 1

    edited = await _cli(env, "postmortem", "edit", incident_id)
    assert edited.stdout == f"{incident_id}: draft saved (version 2, by jiyoung)\n"
    saved = await _api(gateway, path)
    assert "## Root cause\nA config push.\n" in saved["markdown"] and saved["version"] == 2
    assert drafted["template_sections"][0] == "Root cause" and "Root cause" not in saved["template_sections"]

    refused = await _cli(env, "postmortem", "publish", incident_id, check=False)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith(f"error: rejected by the gateway at {gateway.url}: the postmortem of "
                                     f"{incident_id} still has template text in: What went well, ")
    published = await _cli(env, "postmortem", "publish", incident_id, "--force")
    assert published.stdout.startswith(f"{incident_id}: postmortem published by jiyoung (")
    assert published.stdout.endswith("; incident closed\n")
    assert (await _api(gateway, path))["status"] == "published"

    item = (await _cli(env, "action", "add", incident_id, "--title", "Canary deploys", "--owner", "minsu",
                       "--due", "2026-12-31")).stdout.strip()
    assert item.isdigit(), item
    done = await _cli(env, "action", "done", item)
    assert done.stdout == f"#{item} done by jiyoung: Canary deploys\n"
    listed = json.loads((await _cli(env, "action", "list", "--incident", incident_id, "--json")).stdout)
    assert [(i["id"], i["status"], i["done_by"]) for i in listed] == [(int(item), "done", "jiyoung")]
    assert "Canary deploys" in (await _cli(env, "action", "list", "--incident", incident_id)).stdout

    trained = await _cli(lead, "training", "record", "minsu", "onboarding", "--notes", "first week")
    assert trained.stdout.startswith("recorded #") and " minsu completed onboarding (" in trained.stdout
    records = json.loads((await _cli(lead, "training", "list", "--person", "minsu", "--json")).stdout)
    assert [(r["kind"], r["notes"], r["recorded_by"]) for r in records] == [("onboarding", "first week", "sre-lead")]

    checked = await _cli(lead, "periodic", "done", "weekly-stats", "--notes", "looked at the week")
    assert checked.stdout.startswith("recorded: weekly-stats ") and " done by sre-lead at " in checked.stdout
    checks = json.loads((await _cli(lead, "periodic", "list", "--json")).stdout)
    weekly = next(c for c in checks if c["item"] == "weekly-stats")
    assert (weekly["current"]["status"], weekly["current"]["notes"]) == ("done", "looked at the week")

    ready = await _cli(env, "readiness", "--json", check=False)
    report = json.loads(ready.stdout)
    assert ready.returncode == (0 if report["ready"] else 1)
    assert report["ready"] == (await _api(gateway, "/api/readiness"))["ready"]
    text = await _cli(env, "readiness", check=False)
    assert text.returncode == ready.returncode
    assert text.stdout.splitlines()[-1] == ("ready" if report["ready"] else "not ready")

    holders = (await _api(gateway, "/api/oncall"))["tiers"]
    now = json.loads((await _cli(env, "oncall", "now", "--json")).stdout)
    assert [(t["tier"], t["who"]) for t in now["tiers"]] == [(h["tier"], h["who"]) for h in holders]
    table = (await _cli(env, "oncall", "now")).stdout
    assert f"({holders[0]['who']})" in table

    elsewhere = await _cli(env, "report", "weekly", check=False)
    assert elsewhere.returncode == 2 and len(elsewhere.stderr.splitlines()) == 1
    assert elsewhere.stderr.startswith("error: `incident report` runs where the stack is")


async def test_tokens_overrides_schedule_and_audit_remotely(gateway, laptop):
    admin = {**laptop, "INCIDENTFLOW_URL": gateway.url, "INCIDENTFLOW_TOKEN": TOKEN}
    created = await _cli(admin, "token", "create", "--name", "seoyeon laptop", "--person", "seoyeon")
    secret = created.stdout.strip()
    assert secret.startswith("ift_") and "Created person token " in created.stderr
    listed = json.loads((await _cli(admin, "token", "list", "--json")).stdout)
    token = next(t for t in listed if t["name"] == "seoyeon laptop")
    assert (token["person"], token["state"]) == ("seoyeon", "active")
    assert (await _cli(admin, "token", "revoke", token["id"])).stdout == f"revoked {token['id']}\n"
    seoyeon = {**admin, "INCIDENTFLOW_TOKEN": secret}
    revoked = await _cli(seoyeon, "oncall", "now", check=False)
    assert revoked.returncode == 1 and "does not accept the token" in revoked.stderr

    await _cli(admin, "training", "record", "hyunwoo", "onboarding")  # the policy refuses untrained people on call
    added = await _cli(admin, "oncall", "override", "--tier", "primary", "--who", "hyunwoo", "--from",
                       "2030-01-06T09:00", "--to", "2030-01-07T09:00", "--reason", "swap with minsu")
    override_id = added.stdout.split(":")[0]
    assert added.stdout.startswith(f"{override_id}: primary is held by Park Hyunwoo (hyunwoo) 2030-01-06 Sun 09:00 "
                                   "→ 2030-01-07 Mon 09:00 (")
    shown = (await _cli(admin, "oncall", "overrides")).stdout
    assert f"{override_id}  primary   Park Hyunwoo (hyunwoo)  2030-01-06 Sun 09:00" in shown
    shifts = json.loads((await _cli(admin, "oncall", "schedule", "--from", "2030-01-06T00:00", "--weeks", "1",
                                    "--tier", "primary", "--json")).stdout)
    assert ("hyunwoo", "Park Hyunwoo", "swap with minsu") in {(s["who"], s["name"], s["override"]) for s in shifts}
    assert {s["tier"] for s in shifts} == {"primary"}
    removed = await _cli(admin, "oncall", "remove-override", override_id)
    assert removed.stdout == f"removed {override_id} (primary hyunwoo)\n"

    entries = json.loads((await _cli(admin, "audit", "--action", "overrides", "--json")).stdout)
    assert len(entries) >= 2 and all(e["action"] == "overrides" and e["allowed"] for e in entries)
