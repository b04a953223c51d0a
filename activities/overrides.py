"""The durable store of on-call overrides: `overrides.json` in the data directory.

Written by `incident oncall override`, read by the worker at every page (so running incidents see a new
override at once) and by the handover bot. Writes take an exclusive lock and replace the file atomically,
so a reader never sees half a file and two writers never lose each other's override.
"""

import fcntl
import json
import logging
import os
import secrets
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field, TypeAdapter, ValidationError

from domain.rotation import Override

FILE_NAME = "overrides.json"
log = logging.getLogger(__name__)


class StoredOverride(Override):
    id: str = Field(default_factory=lambda: f"ovr-{secrets.token_hex(3)}")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    created_by: str | None = None


_LIST = TypeAdapter(list[StoredOverride])


class OverrideStoreError(ValueError):
    pass


class OverrideStore:
    def __init__(self, data_dir: Path | str):
        self.path = Path(data_dir) / FILE_NAME

    @classmethod
    def from_settings(cls) -> "OverrideStore":
        from settings import get_settings

        return cls(get_settings().data_dir)

    def load(self) -> list[StoredOverride]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        try:
            return _LIST.validate_json(text) if text.strip() else []
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise OverrideStoreError(f"{self.path}: entry {where}: {first['msg']}") from None

    def load_for_paging(self) -> list[StoredOverride]:
        """What paging uses: a damaged file must not stop a page, so it falls back to the plain rotation."""
        try:
            return self.load()
        except (OverrideStoreError, OSError):
            log.exception("ignoring on-call overrides: cannot read %s", self.path)
            return []

    def add(self, override: Override, created_by: str | None = None) -> StoredOverride:
        stored = StoredOverride(**override.model_dump(), created_by=created_by)
        with self._locked():
            self._write([*self.load(), stored])
        return stored

    def remove(self, override_id: str) -> StoredOverride:
        with self._locked():
            current = self.load()
            match = next((o for o in current if o.id == override_id), None)
            if match is None:
                known = ", ".join(o.id for o in current) or "none stored"
                raise OverrideStoreError(f"no override {override_id!r} ({known})")
            self._write([o for o in current if o.id != override_id])
        return match

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with (self.path.parent / (FILE_NAME + ".lock")).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _write(self, overrides: list[StoredOverride]) -> None:
        data = [o.model_dump(mode="json", by_alias=True) for o in overrides]
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
