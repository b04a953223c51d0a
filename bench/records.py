"""Follows the JSONL file the recording channel appends to (in another process), reading only new lines."""

import json
from pathlib import Path


class RecordTail:
    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._partial = b""
        self.records: list[dict] = []
        self.recorded_at: dict[str, float] = {}  # key → when it was recorded
        self.first_page_at: dict[str, float] = {}  # incident id → its first page

    def poll(self) -> list[dict]:
        """Records appended since the last poll."""
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()  # an unfinished last line waits for the next poll
        new = [json.loads(line) for line in lines if line.strip()]
        self.records.extend(new)
        for record in new:
            self.recorded_at[record["key"]] = record["recorded_at"]
            if record.get("type") == "page":
                incident, at = record["incident_id"], record["recorded_at"]
                self.first_page_at[incident] = min(at, self.first_page_at.get(incident, at))
        return new

    def pages(self) -> list[dict]:
        return [r for r in self.records if r.get("type") == "page"]
