"""`incident postmortem publish`: template text left refuses with exit 1 and names the sections; --force passes
force to the service."""

from typer.testing import CliRunner

import cli.postmortem_cmd as command
from cli.main import app
from service.postmortems import TemplateTextLeft


def fake_publish(calls, refuse):
    async def publish(client, ledger, key, by, root_cause=None, force=False):
        calls.append(force)
        if refuse and not force:
            raise TemplateTextLeft(key, ["Root cause", "5 Whys"])
        return type("Record", (), {"published_by": by, "published_at": None, "on_time": lambda self, at: True})()
    return publish


async def no_client():
    return None


def test_publish_refuses_template_text_and_names_the_sections(monkeypatch):
    calls: list[bool] = []
    monkeypatch.setattr(command, "publish_postmortem", fake_publish(calls, refuse=True))
    monkeypatch.setattr(command, "connect", no_client)
    result = CliRunner().invoke(app, ["postmortem", "publish", "inc-1", "--by", "jiyoung"])
    assert result.exit_code == 1
    assert ("error: the postmortem of inc-1 still has template text in: Root cause, 5 Whys; fill them in "
            "(`incident postmortem edit`) or publish with --force") in result.output
    forced = CliRunner().invoke(app, ["postmortem", "publish", "inc-1", "--by", "jiyoung", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "inc-1: postmortem published by jiyoung (on time); incident closed" in forced.output
    assert calls == [False, True]
