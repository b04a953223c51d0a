"""Console forms: the body read with a size limit (the Guard bounds /api/ only), parsed as
application/x-www-form-urlencoded, and pydantic's errors turned into a message per field."""

from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from pydantic import ValidationError

MAX_FORM_BYTES = 64 * 1024  # a 4,000-character note in Korean, URL-encoded, with room to spare


async def read_form(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, f"form larger than {MAX_FORM_BYTES // 1024} KiB")
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def checked_form(request: Request, user) -> dict[str, str] | None:
    """The form of a state-changing request when it carries the session's CSRF token (`user`: the ConsoleUser);
    None when it does not, and the caller answers with the refusal."""
    from gateway.console.session import CSRF_FIELD, CsrfRefused

    form = await read_form(request)
    try:
        user.check_csrf(form.get(CSRF_FIELD))
    except CsrfRefused:
        return None
    return form


def field_errors(error: ValidationError, known: set[str]) -> dict[str, str]:
    """{field: message} for the fields a form shows; an error elsewhere is the form's own (key "")."""
    found: dict[str, str] = {}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        field = next((part for part in location if part in known), "")
        found.setdefault(field, _message(problem))
    return found


def _message(problem: dict) -> str:
    kind, context = problem["type"], problem.get("ctx") or {}
    if kind in ("string_too_short", "missing") and context.get("min_length", 1) <= 1:
        return "required: it cannot be empty"
    if kind == "string_too_long":
        return f"too long: at most {context['max_length']} characters (this has {len(problem.get('input') or '')})"
    if kind in ("enum", "literal_error") and problem.get("input") == "":
        return f"required: choose {context.get('expected', 'one of the choices')}"
    if kind in ("enum", "literal_error"):
        return f"unknown value {problem.get('input')!r}: use {context.get('expected', 'one of the choices')}"
    if kind == "string_pattern_mismatch":
        return f"{problem.get('input')!r} is not a valid name"
    return problem["msg"]
