"""The recording channel's file mode: one line per key across instances (processes) sharing the file, and
it keeps up with what others appended, including a file emptied between runs."""

from adapters.channels import RecordingChannel


def test_file_mode_deduplicates_by_key_across_instances(tmp_path):
    path = tmp_path / "pages.jsonl"
    first, second = RecordingChannel(path), RecordingChannel(path)
    assert first.record({"type": "page", "key": "a", "incident_id": "i1"})
    assert second.record({"type": "page", "key": "b", "incident_id": "i2"})
    assert not first.record({"type": "page", "key": "b", "incident_id": "i2"})  # appended by the other one
    assert not second.record({"type": "page", "key": "a", "incident_id": "i1"})
    assert [r["key"] for r in RecordingChannel(path).read()] == ["a", "b"]

    path.write_text("")  # a test emptied the file: the keys it held may be recorded again
    assert first.record({"type": "page", "key": "a", "incident_id": "i1"})
    assert [r["key"] for r in first.read()] == ["a"]


def test_memory_mode_deduplicates_by_key():
    channel = RecordingChannel()
    assert channel.record({"type": "message", "key": "k"}) and not channel.record({"type": "message", "key": "k"})
    assert len(channel.read()) == 1 and channel.read()[0]["recorded_at"] > 0
