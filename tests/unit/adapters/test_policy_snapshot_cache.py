"""The policy snapshot activity parses the files once per version: an edited policy reaches the next
incident, an unchanged one is not parsed again."""

import os

import pytest

from activities.policy_loader import load_policy_snapshot
from adapters import policy_files
from adapters.policy_files import INCIDENT_FILE, PolicyError
from testkit.short_policy import write_short_policy


async def test_edited_policy_reaches_the_next_snapshot(tmp_path, monkeypatch):
    directory = write_short_policy(tmp_path / "policy", 10)
    first = await load_policy_snapshot(str(directory))
    parsed = []
    monkeypatch.setattr(policy_files, "load_policy", lambda d: parsed.append(d) or policy_files.Policy())
    assert await load_policy_snapshot(str(directory)) is first and parsed == []  # unchanged: not parsed again
    monkeypatch.undo()

    path = directory / INCIDENT_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("timezone: Asia/Seoul", "timezone: UTC"),
                    encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    edited = await load_policy_snapshot(str(directory))
    assert str(edited.incident.timezone) == "UTC" != str(first.incident.timezone)

    path.write_text("severities: [", encoding="utf-8")
    with pytest.raises(PolicyError, match=INCIDENT_FILE):
        await load_policy_snapshot(str(directory))
