"""Configuration from the environment (and `.env`), in one place. Secrets stay here, never in workflow input."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="INCIDENTFLOW_", extra="ignore")

    temporal_address: str = Field("localhost:7233", validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field("default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    task_queue: str = "incidentflow"
    data_dir: Path = Path(".incidentflow")
    policy_dir: Path = PROJECT_DIR / "policies"
    notify: str = Field("console", description="Comma-separated channels: console, record")
    record_file: Path | None = Field(None, description="JSONL file for the recording channel (tests, benchmarks)")
    api_token: SecretStr | None = Field(None, description="Bearer token(s) for /webhooks and /api, comma-separated")

    @property
    def channels(self) -> list[str]:
        return [c.strip() for c in self.notify.split(",") if c.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
