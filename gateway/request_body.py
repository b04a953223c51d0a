"""Reading a request body the way every guarded route needs it: at most 1 MiB (refused by `Content-Length`
before reading, and counted while streaming), within a deadline, and UTF-8 only (SECURITY.md)."""

import asyncio
import codecs

from starlette.types import Message, Receive

MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


def declared_too_large(headers: dict[str, bytes]) -> bool:
    declared = headers.get("content-length")
    return declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES


async def read_body(receive: Receive, timeout_seconds: float) -> bytes:
    """The whole body; BodyTooLarge past MAX_BODY_BYTES (nothing more is read), BodyTooSlow past the deadline
    (a sender trickling bytes cannot hold a request open)."""
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout_seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise BodyTooLarge
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        raise BodyTooSlow from None
    return b"".join(chunks)


def utf8_problem(body: bytes) -> str | None:
    """Why `body` is not plain UTF-8, or None. JSON parsers guess UTF-16/32 from NUL bytes and skip a BOM;
    we accept neither, so what was checked is what gets parsed."""
    if body.startswith(codecs.BOM_UTF8):
        return "the body starts with a byte-order mark (U+FEFF): send UTF-8 without one"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in body:
        return "the body looks like UTF-16 or UTF-32 (a byte-order mark or NUL bytes): only UTF-8 is accepted"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not valid UTF-8 (byte {exc.start}: {exc.reason})"
    return None


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then whatever the connection says next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
