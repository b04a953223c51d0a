"""Records pages and messages (in memory, or appended to a JSONL file another process can read).
Used by tests and benchmarks to count exactly what went out; deduplicates on the idempotency key the
way PagerDuty's dedup_key does, so a retried activity is visible as a single delivery."""

import fcntl
import json
import time
from pathlib import Path

from domain.notifications import Notification, PageRequest
from domain.policy import Person


class RecordingChannel:
    name = "record"

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else None
        self.records: list[dict] = []

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        self._record({
            "type": "page", "key": request.key, "incident_id": request.incident_id, "tier": request.tier.value,
            "target": target, "severity": request.severity.value, "reason": request.reason, "drill": request.drill,
        })

    async def send(self, notification: Notification) -> None:
        self._record({"type": "message", **notification.model_dump(mode="json", exclude={"title"})})

    def _record(self, record: dict) -> None:
        record["recorded_at"] = time.time()
        if self.path is None:
            if all(r["key"] != record["key"] for r in self.records):
                self.records.append(record)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            if any(json.loads(line)["key"] == record["key"] for line in handle if line.strip()):
                return
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def read(self) -> list[dict]:
        if self.path is None:
            return list(self.records)
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def pages(self) -> list[dict]:
        return [r for r in self.read() if r["type"] == "page"]
