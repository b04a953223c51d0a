"""Configuration from the environment (and `.env`), in one place. Secrets stay here, never in workflow input."""

import json
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="INCIDENTFLOW_", extra="ignore")

    temporal_address: str = Field("localhost:7233", validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field("default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    task_queue: str = "incidentflow"
    data_dir: Path = Path(".incidentflow")
    database_url: str | None = Field(
        None, description="Incident ledger; default a SQLite file in data_dir. postgresql+psycopg://… for production"
    )
    policy_dir: Path = PROJECT_DIR / "policies"
    notify: str = Field("console", description="Comma-separated channels: console, record, voice; the others "
                                               "are added when configured (docs/communications.md)")
    record_file: Path | None = Field(None, description="JSONL file for the recording channel (tests, benchmarks)")
    api_token: SecretStr | None = Field(
        None, description="Shared bearer token(s) for /webhooks and /api, comma-separated: an admin token named "
                          "api-token (per-person and service tokens: `incident token`, docs/security.md)")
    # Remediation runbooks (docs/runbooks.md)
    runbook_dir: Path = PROJECT_DIR / "runbooks"
    runbook_endpoints: dict[str, str] = Field(
        default={"admin_api": "http://127.0.0.1:8090", "prometheus": "http://127.0.0.1:9090"},
        description='Base URLs runbook steps name, as JSON: {"admin_api": "https://ops.example", "prometheus": "…"}',
    )
    # Gateway (docs/gateway.md)
    grafana_hmac_secret: SecretStr | None = Field(None, description="Checks X-Grafana-Alerting-Signature when set")
    grafana_hmac_timestamp_header: str | None = Field(None, description="Header with the signed timestamp, if any")
    dedup_window_seconds: float = Field(60.0, description="Identical alert snapshots within it: no Temporal call")
    pagerduty_intake_keys: SecretStr | None = Field(
        None, description="Inbound PagerDuty Events v2 (POST /v2/enqueue, /webhooks/pagerduty): routing keys "
                          "that authenticate instead of a bearer token, as JSON routing key → service: "
                          '{"<key>": "payments"}',
    )
    gateway_body_timeout_seconds: float = Field(
        10.0, gt=0, description="A request body (webhooks, /api, /v2/enqueue, /slack) not fully received within "
                                "this many seconds is answered 408",
    )
    gateway_auth_failure_limit: int = Field(
        10, ge=0, description="Failed authentications (401) from one client address within "
                              "INCIDENTFLOW_GATEWAY_AUTH_FAILURE_WINDOW_SECONDS after which it is answered 429 "
                              "with Retry-After until the window passes; 0 turns this off")
    gateway_auth_failure_window_seconds: int = Field(
        60, gt=0, description="The moving window over which failed authentications are counted")
    gateway_answer_within_ms: float = Field(
        25.0, ge=0, description="A webhook waits up to this long after its arrival (its outbox insert "
                                "included) for Temporal to take its notification; after that it is answered "
                                "queued and delivered from the outbox")
    # Browser login (docs/security.md, "Logging in"): OpenID Connect, authorization code + PKCE
    oidc_issuer_url: str | None = Field(
        None, description="OpenID provider (its /.well-known/openid-configuration is read); unset: no browser login")
    oidc_client_id: str | None = Field(None, description="The gateway's client id at the OpenID provider")
    oidc_client_secret: SecretStr | None = Field(None, description="The gateway's client secret at the OpenID provider")
    oidc_scopes: str = Field("openid email groups", description="Scopes asked for; `groups` gives the groups claim")
    oidc_redirect_base_url: str | None = Field(
        None, description="The gateway's public URL (https://incidents.example); the provider redirects to "
                          "<it>/auth/callback; https makes the session cookie Secure. Unset: the request's own URL")
    session_lifetime_hours: float = Field(12.0, gt=0, description="A browser session ends this long after the login")
    dev_login: bool = Field(False, description="Development login (`incident dev` turns it on): pick a person of "
                                               "the policy at /auth/dev-login, loopback clients only; never in "
                                               "production")
    oncall_feed_secret: SecretStr | None = Field(
        None, description="Signs the on-call iCal feed addresses (`/oncall/<person>.ics?key=…`, docs/security.md "
                          "\"Tokens\"); changing it revokes every feed address. Unset: no feeds")
    # Communications (docs/communications.md). Without a Slack token the console channel stays the default.
    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (xoxb-…); enables the Slack channel")
    slack_signing_secret: SecretStr | None = Field(None, description="Verifies /slack/interactions and /slack/commands")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL (tests: a local fake)")
    slack_channel_prefix: str = Field("inc", description="Incident channels are #<prefix>-<incident id>")
    slack_default_channel: str | None = Field(None, description="Channel for messages without an incident")
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    pagerduty_routing_key: SecretStr | None = Field(
        None, description="Default Events v2 routing key; people may name their own via pagerduty_routing_key_env"
    )
    status_page: bool = Field(True, description="Keep the built-in status page (/status) up to date")
    status_page_title: str = "Service status"
    statuspage_api_url: str = "https://api.statuspage.io/v1/"
    statuspage_page_id: str | None = None
    statuspage_api_key: SecretStr | None = None
    # Direct channels (docs/communications.md, "Email", "SMS and voice", "Push and chat", "Signed webhook")
    public_url: str | None = Field(
        None, description="The gateway's public URL (https://incidents.example): Twilio's signatures are checked "
                          "against <it>/webhooks/twilio/…, and calls report their status there")
    smtp_host: str | None = Field(None, description="SMTP server; with INCIDENTFLOW_SMTP_FROM, enables the email "
                                                    "channel")
    smtp_port: int = Field(587, gt=0, lt=65536, description="SMTP port (587 submission with STARTTLS)")
    smtp_username: str | None = Field(None, description="SMTP login; unset: no authentication")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_from: str | None = Field(None, description="Sender of page emails, e.g. incidentflow@example.com")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS (off: plain, for a "
                                                  "relay on localhost)")
    twilio_account_sid: str | None = Field(None, description="Twilio account SID (AC…); with the auth token and "
                                                             "the from number, enables the sms channel")
    twilio_auth_token: SecretStr | None = Field(None, description="Twilio auth token: calls the API and checks "
                                                                  "X-Twilio-Signature on /webhooks/twilio/*")
    twilio_from_number: str | None = Field(None, description="The Twilio number pages come from (E.164, +1…)")
    twilio_api_url: str = Field("https://api.twilio.com", description="Twilio REST API base URL (tests: a local "
                                                                      "fake)")
    apprise_urls: SecretStr | None = Field(
        None, description="Apprise URLs (ntfy://, msteams://, tgram://, mmost://, discord://, json:// …), space "
                          "or comma separated; enables the apprise channel. Secret: the URLs hold tokens")
    webhook_url: str | None = Field(None, description="Signed outbound webhook (Standard Webhooks); with the "
                                                      "secret, enables the webhook channel")
    webhook_secret: SecretStr | None = Field(None, description="The webhook's signing secret, whsec_<base64>")
    # Observability (docs/deploy.md)
    metrics_port: int = Field(9464, description="Worker /metrics port (Temporal SDK + app metrics); 0 turns it off")
    metrics_host: str = Field("127.0.0.1", description="Interface of the worker /metrics server; 0.0.0.0 in containers")
    otel_exporter_otlp_endpoint: str | None = Field(
        None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT"),
        description="OTLP/HTTP collector, e.g. http://otel-collector:4318; unset (default): no tracing, no cost",
    )
    otel_service_name: str | None = Field(
        None, validation_alias=AliasChoices("OTEL_SERVICE_NAME"),
        description="Service name on spans; default incidentflow-worker / incidentflow-gateway",
    )

    @field_validator("pagerduty_intake_keys")
    @classmethod
    def _intake_keys_are_a_json_object(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_intake_keys(value.get_secret_value())  # fail at start-up, not on the first page
        return value

    @property
    def pagerduty_intake_services(self) -> dict[str, str]:
        """Routing key → service name of INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS ({} when unset)."""
        keys = self.pagerduty_intake_keys
        return parse_intake_keys(keys.get_secret_value()) if keys is not None else {}

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @property
    def channels(self) -> list[str]:
        names = [c.strip() for c in self.notify.split(",") if c.strip()]
        configured = {
            "slack": self.slack_bot_token is not None, "pagerduty": self.pagerduty_routing_key is not None,
            "status": self.status_page, "statuspage": bool(self.statuspage_page_id and self.statuspage_api_key),
            "email": bool(self.smtp_host and self.smtp_from), "sms": self.twilio_configured,
            "apprise": self.apprise_urls is not None, "webhook": bool(self.webhook_url and self.webhook_secret),
        }  # voice is never added by itself: a phone call for every page is asked for by naming it
        names += [name for name, on in configured.items() if on and name not in names]
        if "slack" in names and "console" in names and self.notify == "console":
            names.remove("console")  # the console is the default only while no Slack token is configured
        return names


def parse_intake_keys(raw: str) -> dict[str, str]:
    """The routing-key object; errors name the entry by position, never by its key (a credential)."""
    example = 'e.g. {"<32-character routing key>": "payments"}'
    try:
        keys = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos}); {example}") from None
    if not isinstance(keys, dict):
        raise ValueError(f"must be a JSON object of routing key → service name, not a {type(keys).__name__}; {example}")
    for position, (key, service) in enumerate(keys.items(), start=1):
        if not key.strip():
            raise ValueError(f"entry {position}: the routing key is empty")
        if not isinstance(service, str) or not service.strip() or len(service.strip()) > 100:
            raise ValueError(f"entry {position}: the service must be a name of 1 to 100 characters")
    return {key.strip(): service.strip() for key, service in keys.items()}


@lru_cache
def get_settings() -> Settings:
    return Settings()
