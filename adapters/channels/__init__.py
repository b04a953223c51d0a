"""Outbound channels behind one interface. The workflow never knows which are configured."""

from adapters.channels.base import Channel
from adapters.channels.console import ConsoleChannel
from adapters.channels.recording import RecordingChannel

__all__ = ["Channel", "ConsoleChannel", "RecordingChannel", "build_channels"]


def build_channels(names: list[str], record_file=None, settings=None) -> list[Channel]:
    from adapters.channels.external import EXTERNAL, external_channels

    known = {"console": lambda: ConsoleChannel(), "record": lambda: RecordingChannel(record_file)}
    unknown = [n for n in names if n not in known and n not in EXTERNAL]
    if unknown:
        raise ValueError(f"unknown notification channel(s) {', '.join(unknown)}: use {', '.join([*known, *EXTERNAL])}")
    if any(n in EXTERNAL for n in names):
        from settings import get_settings

        external = external_channels(names, settings or get_settings())
        return [*external.values(), *(known[n]() for n in names if n in known)]
    return [known[n]() for n in names]
