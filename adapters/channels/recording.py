"""Records pages and messages (in memory, or appended to a JSONL file another process can read).
Used by tests and benchmarks to count exactly what went out; deduplicates on the idempotency key the
way PagerDuty's dedup_key does, so a retried activity is visible as a single delivery."""

import fcntl
import json
import time
from pathlib import Path

from domain.comms.notifications import Notification, PageRequest
from domain.policy.oncall_policy import Person


class RecordingChannel:
    name = "record"

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else None
        self.records: list[dict] = []
        # Keys already in the file and how far it has been read: each record reads only what other
        # processes appended since, so recording n pages costs O(n), not O(n²) (benchmarks record 10,000+).
        self._seen: set[str] = set()
        self._read_up_to = 0

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        self.record({
            "type": "page", "key": request.key, "incident_id": request.incident_id, "tier": request.tier.value,
            "target": target, "severity": request.severity.value, "reason": request.reason, "drill": request.drill,
        })

    async def send(self, notification: Notification) -> None:
        self.record({"type": "message", **notification.model_dump(mode="json", exclude={"title"})})

    def record(self, record: dict) -> bool:
        """Append one record (it needs a `key`) unless its key was recorded already; True if appended."""
        record["recorded_at"] = time.time()
        if self.path is None:
            if record["key"] in self._seen:
                return False
            self._seen.add(record["key"])
            self.records.append(record)
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            size = handle.seek(0, 2)
            if size < self._read_up_to:  # the file was truncated: read it all again
                self._seen.clear()
                self._read_up_to = 0
            handle.seek(self._read_up_to)
            for line in handle.read().splitlines():
                if line.strip():
                    self._seen.add(json.loads(line)["key"])
            if record["key"] in self._seen:
                self._read_up_to = size
                return False
            handle.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
            handle.flush()
            self._read_up_to = handle.tell()
            self._seen.add(record["key"])
            return True

    def read(self) -> list[dict]:
        if self.path is None:
            return list(self.records)
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def pages(self) -> list[dict]:
        return [r for r in self.read() if r["type"] == "page"]
