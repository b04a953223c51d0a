"""Log levels as operators read them: INFO for lifecycle (worker ready, schedule created, a console-channel
message), WARNING for degraded service (a channel or a runbook step failed: one line, no traceback), ERROR for
faults (a bug in an activity keeps its traceback). `configure_logging` is what every process calls first."""

import logging

from temporalio.exceptions import ApplicationError

from domain.common.text import terminal_text

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SDK_ACTIVITY_LOGGER = "temporalio.activity"
_SDK_FAILURE_MARK = "__temporal_error_identifier"  # the SDK's `extra` on its "Completing activity as failed"


class OneLineActivityFailures(logging.Filter):
    """The Temporal SDK logs every failed activity attempt as a WARNING with its whole traceback: with a
    Slack outage or a runbook endpoint answering 503 that is a screenful per retry. An `ApplicationError` is
    a failure our code already described (`unavailable(...)`, `HTTP 503`): it becomes one WARNING line.
    Anything else is a bug: it stays with its traceback, as an ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SDK_FAILURE_MARK, None) != "ActivityFailure" or not record.exc_info:
            return True
        if record.levelno != logging.WARNING:  # the SDK's DEBUG for benign errors stays as it is
            return True
        error, activity = record.exc_info[1], getattr(record, "temporal_activity", None) or {}
        if not isinstance(error, ApplicationError):
            record.levelno, record.levelname = logging.ERROR, logging.getLevelName(logging.ERROR)
            return True
        record.msg = "activity %s failed (attempt %s, workflow %s): %s: %s"
        record.args = (activity.get("activity_type", "?"), activity.get("attempt", "?"),
                       activity.get("workflow_id", "-"), error.type or "ApplicationError", terminal_text(error.message))
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


ONE_LINE_ACTIVITY_FAILURES = OneLineActivityFailures()


def configure_logging(level: int = logging.INFO) -> None:
    """Root handler on stderr with the level in every line; the SDK's own chatter from WARNING up."""
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger("temporalio").setLevel(logging.WARNING)
    sdk_activity = logging.getLogger(SDK_ACTIVITY_LOGGER)
    if ONE_LINE_ACTIVITY_FAILURES not in sdk_activity.filters:
        sdk_activity.addFilter(ONE_LINE_ACTIVITY_FAILURES)
