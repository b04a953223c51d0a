"""The CLI's remote mode as a person on a laptop uses it (docs/configuration.md, "The CLI against a gateway"): a
real gateway over loopback with a worker on a real Temporal dev server (list visibility), the `incident` command as a
subprocess with INCIDENTFLOW_URL / INCIDENTFLOW_TOKEN (or what `incident login` stored) and nothing else it could
reach: TEMPORAL_ADDRESS is a closed port and the data directory stays empty, so no answer can come from Temporal
or a ledger of its own."""

import json
import stat

import pytest

from domain.identity.roles import Role
from testkit.environment import free_port
from testkit.gateway import dev_stack
from testkit.polling import wait_until
from testkit.remote_cli import laptop_env, personal_token, remote_cli, shown

pytestmark = [pytest.mark.slow, pytest.mark.own_dev_server]  # `incident list` sees only these incidents
DUTIES = "Communications Lead — duties:\n  - 인시던트 상태 페이지 업데이트\n  - 고객 지원팀과의 연락"


@pytest.fixture
async def gateway(dev_server, dev_client, task_queue, recorder):
    async with dev_stack(dev_server, dev_client, task_queue, recorder) as gateway:
        yield gateway


@pytest.fixture
def laptop(tmp_path):
    return laptop_env(tmp_path)


_token, _cli, _shown = personal_token, remote_cli, shown


async def test_work_an_incident_through_the_gateway_alone(gateway, laptop, tmp_path):
    env = {**laptop, "INCIDENTFLOW_URL": gateway.url, "INCIDENTFLOW_TOKEN": _token(gateway, "minsu")}
    declared = await _cli(env, "declare", "--service", "shop", "--severity", "sev2", "--title", "Checkout slow")
    incident_id = declared.stdout.strip()
    assert "shop" in incident_id and len(incident_id.splitlines()) == 1, declared.stdout
    await wait_until(lambda: _shown(gateway, incident_id), f"{incident_id} to start")

    acked = await _cli(env, "ack", incident_id)  # no --by: the token's person acts
    assert acked.stdout == f"{incident_id}: minsu acknowledged (phase: triaged)\n"
    assigned = await _cli(env, "assign", incident_id, "--role", "comms", "--to", "jiyoung")
    assert DUTIES in assigned.stdout
    # --by naming someone else: a personal token still acts as its own person (the gateway decides)
    await _cli(env, "note", incident_id, "rolled back checkout-api", "--by", "jiyoung")

    shown = json.loads((await _cli(env, "show", incident_id, "--json")).stdout)
    assert shown == await _shown(gateway, incident_id)
    assert shown["declared_by"] == "minsu" and shown["acknowledged_by"] == "minsu"
    assert shown["roles"]["comms"] == "jiyoung"
    assert ("minsu", "rolled back checkout-api") in {(t["actor"], t["text"]) for t in shown["timeline"]}
    table = (await _cli(env, "show", incident_id)).stdout
    assert "Checkout slow" in table and "rolled back checkout-api" in table
    listed = json.loads((await _cli(env, "list", "--json")).stdout)
    assert incident_id in {entry["id"] for entry in listed}
    assert incident_id in (await _cli(env, "list")).stdout

    assert list((tmp_path / "data").iterdir()) == []  # nothing local was read or written


async def test_refusals_are_one_line_naming_the_gateway(gateway, laptop):
    minsu = {**laptop, "INCIDENTFLOW_URL": gateway.url, "INCIDENTFLOW_TOKEN": _token(gateway, "minsu")}
    incident_id = (await _cli(minsu, "declare", "--service", "shop", "--severity", "sev3", "--title", "Slow")).stdout
    incident_id = incident_id.strip()
    await wait_until(lambda: _shown(gateway, incident_id), f"{incident_id} to start")

    viewer = {**minsu, "INCIDENTFLOW_TOKEN": _token(gateway, "hyunwoo", Role.VIEWER)}
    refused = await _cli(viewer, "ack", incident_id, check=False)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (f"error: refused by the gateway at {gateway.url}: hyunwoo is a viewer: acknowledge "
                              "needs responder\n")

    wrong = {**minsu, "INCIDENTFLOW_TOKEN": "ift_000000000000_not-a-secret"}
    refused = await _cli(wrong, "show", incident_id, check=False)
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1, refused.stderr
    assert refused.stderr.startswith(f"error: the gateway at {gateway.url} does not accept the token")
    assert "not-a-secret" not in refused.stderr

    await _cli(minsu, "ack", incident_id)
    twice = await _cli(minsu, "ack", incident_id, check=False)
    assert twice.returncode == 1
    assert twice.stderr == f"error: rejected by the gateway at {gateway.url}: already acknowledged by minsu\n"
    missing = await _cli(minsu, "show", "20260101-nothing-0000", check=False)
    assert missing.returncode == 1 and missing.stderr.startswith(f"error: not found at the gateway at {gateway.url}: ")

    closed = f"http://127.0.0.1:{free_port()}"
    unreachable = await _cli({**minsu, "INCIDENTFLOW_URL": closed}, "ack", incident_id, check=False)
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith(f"error: cannot reach the gateway at {closed}: ")


async def test_login_stores_the_token_owner_only_and_later_commands_use_it(gateway, laptop, tmp_path):
    secret = _token(gateway, "jiyoung")
    logged_in = await _cli(laptop, "login", "--url", gateway.url + "/", "--token", secret)
    stored = tmp_path / "config" / "incidentflow" / "credentials.toml"
    assert logged_in.stdout == f"logged in to {gateway.url} as jiyoung (person, responder); stored in {stored}\n"
    assert secret not in logged_in.stdout + logged_in.stderr
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600

    declared = await _cli(laptop, "declare", "--service", "shop", "--severity", "sev3", "--title", "Cart empty")
    incident_id = declared.stdout.strip()
    state = await wait_until(lambda: _shown(gateway, incident_id), f"{incident_id} to start")
    assert state["declared_by"] == "jiyoung"

    refused = await _cli(laptop, "login", "--url", gateway.url, "--token", "ift_000000000000_wrong", check=False)
    assert refused.returncode == 1 and "does not accept the token" in refused.stderr
    assert stored.read_text(encoding="utf-8").count(secret) == 1  # a refused login leaves the stored one

    assert (await _cli(laptop, "logout")).stdout == f"logged out: removed {stored}\n"
    assert not stored.exists()
    local = await _cli(laptop, "ack", incident_id, "--by", "jiyoung", check=False)  # local mode: no Temporal
    assert local.returncode == 1 and "cannot reach Temporal" in local.stderr, local.stderr
