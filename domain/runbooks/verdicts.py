"""Whether a check or call came out as it should: a Prometheus answer against its comparison, an HTTP answer
against its expected status and fields. Pure; the executors in activities/remediation.py call these."""

from typing import Any

from domain.runbooks.actions import Comparison
from domain.runbooks.plan import HttpCall, PromQuery


def compare(value: float, op: Comparison, threshold: float) -> bool:
    return {
        "<": value < threshold, "<=": value <= threshold, ">": value > threshold, ">=": value >= threshold,
        "==": value == threshold, "!=": value != threshold,
    }[op]


def judge_prometheus(query: PromQuery, body: dict) -> tuple[bool, str]:
    """An instant-query answer passes when every sample satisfies the comparison."""
    if body.get("status") != "success":
        raise ValueError(f"prometheus answered {body.get('status')}: {body.get('error', 'no error text')}")
    data = body.get("data", {})
    result = data.get("result", [])
    if data.get("resultType") == "scalar":
        samples = [float(result[1])]
    else:
        samples = [float(series["value"][1]) for series in result]
    if not samples:
        return query.on_empty == "pass", f"{query.query}: no data ({'pass' if query.on_empty == 'pass' else 'fail'})"
    passed = all(compare(v, query.op, query.threshold) for v in samples)
    shown = ", ".join(f"{v:g}" for v in samples[:5])
    return passed, f"{query.query} = {shown} ({'ok' if passed else 'not'} {query.op} {query.threshold:g})"


def _dig(body: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(body, dict) or part not in body:
            return None
        body = body[part]
    return body


def judge_http(call: HttpCall, status: int, body: Any) -> tuple[bool, str]:
    ok_status = status in call.expect_status if call.expect_status else 200 <= status < 300
    if not ok_status:
        return False, f"{call.method} {call.url} → HTTP {status}"
    for key, expected in call.expect_json.items():
        actual = _dig(body, key)
        if actual != expected:
            return False, f"{call.method} {call.url} → {key} is {actual!r}, expected {expected!r}"
    return True, f"{call.method} {call.url} → HTTP {status}"
