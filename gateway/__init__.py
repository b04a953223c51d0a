"""HTTP: alert webhooks, Slack interactivity, REST API, status page, /metrics."""
