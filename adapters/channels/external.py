"""Building the third-party channels (Slack, PagerDuty, status pages, the direct channels) from the settings."""

from functools import cache

from slack_sdk.web.async_client import AsyncWebClient

from adapters.channels.direct import DIRECT, direct_channels
from adapters.channels.pagerduty import PagerDutyChannel
from adapters.channels.slack import SlackChannel
from adapters.channels.statuspage import StatusPageChannel, StatuspageIoChannel
from adapters.stores.delivery_log import DeliveryLog
from adapters.stores.status_store import StatusStore

EXTERNAL = ("pagerduty", "slack", "status", "statuspage", *DIRECT)


def status_store(settings) -> StatusStore:
    return StatusStore(settings.data_dir / "status.db")


def external_channels(names: list[str], settings) -> dict[str, object]:
    """The channels named, pagers first so that a slow chat never holds a page back."""
    built: dict[str, object] = {}
    pager = None
    if "pagerduty" in names:
        pager = built["pagerduty"] = PagerDutyChannel(
            settings.pagerduty_events_url, settings.pagerduty_routing_key, DeliveryLog(settings.data_dir / "pager.db")
        )
    built.update(direct_channels(names, settings))  # pagers too: email, SMS, voice, then push and webhooks
    if "slack" in names:
        if settings.slack_bot_token is None:
            raise ValueError("channel slack needs INCIDENTFLOW_SLACK_BOT_TOKEN")
        client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
        built["slack"] = SlackChannel(
            client, _people_from(settings.policy_dir), settings.slack_channel_prefix, settings.slack_default_channel,
            has_pager=pager.has_pager if pager else (lambda _: False),
        )
    if "status" in names:
        built["status"] = StatusPageChannel(status_store(settings))
    if "statuspage" in names:
        if not (settings.statuspage_page_id and settings.statuspage_api_key):
            raise ValueError("channel statuspage needs INCIDENTFLOW_STATUSPAGE_PAGE_ID and _API_KEY")
        built["statuspage"] = StatuspageIoChannel(settings.statuspage_api_url, settings.statuspage_page_id,
                                                  settings.statuspage_api_key, settings.data_dir / "statuspage.db")
    return built


def _people_from(policy_dir):
    @cache
    def people():
        from adapters.policy_files import load_policy

        return dict(load_policy(policy_dir).oncall.people)

    return people
