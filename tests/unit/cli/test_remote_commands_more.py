"""Remote mode beyond the incident verbs: a stale postmortem save names who saved and keeps the edited file, a
DELETE answered 204, answers that are lists validated entry by entry, `incident oncall now --json` in the shape
local mode prints, a bare `--at` refused without a policy to read it in, and commands without an endpoint saying
where they run."""

import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx
import pytest
from pydantic_core import to_jsonable_python

from cli import oncall_remote, postmortem_cmd, remote_admin, remote_learning
from cli.common import CommandError
from cli.remote_client import RemoteClient
from cli.remote_config import Remote, stack_only
from domain.oncall.training import TrainingRecord

URL = "https://incidents.example"
REMOTE = Remote(url=URL, token="ift_abc_secret")
DRAFT = {"incident_id": "20261204-shop-3f2a", "status": "draft", "markdown": "# Cart empty\n## Root cause\n",
         "version": 1, "updated_at": None, "updated_by": None, "owner": "minsu",
         "deadline": "2026-12-09T00:00:00Z", "published_at": None, "published_by": None,
         "template_sections": ["Root cause"]}


def _served(monkeypatch, module, handler) -> list[httpx.Request]:
    """`module`'s gateway calls answered by `handler`; the requests it saw."""
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    monkeypatch.setattr(module, "RemoteClient", partial(RemoteClient, transport=httpx.MockTransport(recording)))
    return seen


def test_a_stale_save_names_who_saved_and_keeps_the_edited_text(monkeypatch, tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text("import sys; open(sys.argv[1], 'a').write('A config push.\\n')\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    conflict = ("the postmortem of 20261204-shop-3f2a was saved by minsu since you opened it (version 2, yours "
                "started from 1); nothing was overwritten")

    def gateway(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=DRAFT)
        assert request.method == "PUT" and b'"version":1' in request.content
        return httpx.Response(409, json={"detail": conflict, "version": 2})

    seen = _served(monkeypatch, remote_learning, gateway)
    with pytest.raises(CommandError) as raised:
        postmortem_cmd._edit_remotely(REMOTE, "20261204-shop-3f2a")
    message = str(raised.value)
    assert raised.value.code == 1 and message.startswith(f"rejected by the gateway at {URL}: {conflict} (your text "
                                                         "is kept in ")
    kept = message.removesuffix(")").rsplit("your text is kept in ", 1)[1]
    assert Path(kept).read_text(encoding="utf-8") == DRAFT["markdown"] + "A config push.\n"
    assert [r.method for r in seen] == ["GET", "PUT"]


def test_an_unchanged_draft_is_not_sent(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("EDITOR", "true")
    seen = _served(monkeypatch, remote_learning, lambda request: httpx.Response(200, json=DRAFT))
    postmortem_cmd._edit_remotely(REMOTE, "20261204-shop-3f2a")
    assert capsys.readouterr().out == "20261204-shop-3f2a: no changes (version 1)\n"
    assert [r.method for r in seen] == ["GET"]


def test_a_revoke_answered_204_reads_nothing(monkeypatch):
    seen = _served(monkeypatch, remote_admin, lambda request: httpx.Response(204))
    assert remote_admin.revoke_token(REMOTE, "tok/1") is None
    assert (seen[0].method, seen[0].url.raw_path) == ("DELETE", b"/api/tokens/tok%2F1")


def test_a_list_answer_is_validated_entry_by_entry_and_unset_filters_are_not_sent(monkeypatch):
    entry = {"id": 1, "person": "minsu", "kind": "onboarding", "completed_at": "2026-12-01T09:00:00Z", "hours": 4,
             "recorded_by": "sre-lead", "recorded_at": "2026-12-01T09:00:00Z"}
    answers = iter([[entry], [entry, {"id": "x"}]])
    seen = _served(monkeypatch, remote_learning, lambda request: httpx.Response(200, json=next(answers)))
    records = remote_learning.training_records(REMOTE, None)
    assert [type(r) for r in records] == [TrainingRecord] and seen[0].url.query == b""
    with pytest.raises(CommandError) as raised:
        remote_learning.training_records(REMOTE, "minsu")
    assert seen[1].url.params["person"] == "minsu"
    assert str(raised.value).startswith(f"unexpected answer from {URL}/api/training: 1.id: ")


def test_oncall_now_has_the_shape_local_mode_prints(monkeypatch, policy):
    from service.oncall import on_call_now

    at = datetime(2026, 12, 3, 12, tzinfo=UTC)
    local = on_call_now(policy, at, [])
    gateway_view = {"at": at.isoformat(), "timezone": local["timezone"], "tiers": [
        {**{k: t[k] for k in ("tier", "tier_name", "who", "name", "since", "until", "override")},
         "source": "rotation", "override_id": None,
         "contacts": {k: t[k] for k in ("slack_id", "email", "phone")}} for t in local["tiers"]]}
    answer = to_jsonable_python(gateway_view)
    seen = _served(monkeypatch, remote_admin, lambda request: httpx.Response(200, json=answer))
    assert oncall_remote.now_remotely(REMOTE, "2026-12-03T21:00") == local
    assert seen[0].url.params["at"] == "2026-12-03T21:00"  # the gateway reads it in the rotation's zone


def test_a_time_without_offset_is_refused_remotely():
    with pytest.raises(CommandError) as raised:
        remote_learning._moment("2026-12-01T09:00", "--at")
    assert raised.value.code == 2 and "give the offset in remote mode" in str(raised.value)
    assert remote_learning._moment("2026-12-01T09:00+09:00", "--at") == "2026-12-01T09:00:00+09:00"


def test_a_command_without_an_endpoint_says_where_it_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("INCIDENTFLOW_URL", URL)
    monkeypatch.setenv("INCIDENTFLOW_TOKEN", "ift_abc_secret")
    with pytest.raises(CommandError) as raised:
        stack_only("report")
    assert raised.value.code == 2
    assert str(raised.value) == (f"`incident report` runs where the stack is (Temporal and the ledger), not against "
                                 f"the gateway at {URL}; run it there, or here in local mode with INCIDENTFLOW_URL= "
                                 "set empty")
    monkeypatch.setenv("INCIDENTFLOW_URL", "")
    stack_only("report")  # local mode: it runs
