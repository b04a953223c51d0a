"""Outbound channels behind one interface. The workflow never knows which are configured."""

from activities.channels.base import Channel
from activities.channels.console import ConsoleChannel
from activities.channels.recording import RecordingChannel

__all__ = ["Channel", "ConsoleChannel", "RecordingChannel", "build_channels"]


def build_channels(names: list[str], record_file=None) -> list[Channel]:
    known = {"console": lambda: ConsoleChannel(), "record": lambda: RecordingChannel(record_file)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown notification channel(s) {', '.join(unknown)}: use {', '.join(known)}")
    return [known[n]() for n in names]
