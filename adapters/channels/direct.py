"""Building the direct channels (email, SMS, voice, Apprise, signed webhook) from the settings; each names the
settings it is missing. They share one delivery log, `direct.db` in the data directory."""

from adapters.stores.delivery_log import direct_log

DIRECT = ("email", "sms", "voice", "apprise", "webhook")


def direct_channels(names: list[str], settings) -> dict[str, object]:
    built: dict[str, object] = {}
    wanted = [name for name in DIRECT if name in names]
    if not wanted:
        return built
    log = direct_log(settings.data_dir)
    if "email" in wanted:
        from adapters.channels.email import EmailChannel

        if not (settings.smtp_host and settings.smtp_from):
            raise ValueError("channel email needs INCIDENTFLOW_SMTP_HOST and INCIDENTFLOW_SMTP_FROM")
        built["email"] = EmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_from, log,
                                      settings.smtp_username, settings.smtp_password, settings.smtp_starttls)
    phones = [name for name in ("sms", "voice") if name in wanted]
    if phones:
        from adapters.channels.twilio_phone import TwilioSmsChannel, TwilioVoiceChannel, twilio_client

        if not settings.twilio_configured:
            raise ValueError(f"channel {phones[0]} needs INCIDENTFLOW_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM_NUMBER")
        client = twilio_client(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url)
        kinds = {"sms": TwilioSmsChannel, "voice": TwilioVoiceChannel}
        for name in phones:
            built[name] = kinds[name](client, settings.twilio_from_number, log, settings.public_url)
    if "apprise" in wanted:
        from adapters.channels.apprise_chat import AppriseChannel

        if settings.apprise_urls is None:
            raise ValueError("channel apprise needs INCIDENTFLOW_APPRISE_URLS")
        built["apprise"] = AppriseChannel(settings.apprise_urls, log)
    if "webhook" in wanted:
        from adapters.channels.webhook import WebhookChannel

        if not (settings.webhook_url and settings.webhook_secret):
            raise ValueError("channel webhook needs INCIDENTFLOW_WEBHOOK_URL and INCIDENTFLOW_WEBHOOK_SECRET")
        built["webhook"] = WebhookChannel(settings.webhook_url, settings.webhook_secret, log)
    return built
