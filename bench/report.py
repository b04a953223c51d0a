"""The results table (Markdown) and the invariant checks of a results document."""

import os
import platform


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:g}" if abs(value) < 1000 else f"{value:.0f}"
    return f"{value}{unit}"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def rows(scenarios: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(what, measured, floor, ratio, goal, met) per figure."""
    out = []
    lat = scenarios.get("alert_to_page", {})
    floor = lat.get("floor", {})
    f_lat, f_tp = floor.get("latency", {}), floor.get("throughput", {})
    if "alert_to_page" in lat:
        a = lat["alert_to_page"]
        out += [
            ("1 floor: signal-with-start → no-op activity done, p50", _fmt(f_lat.get("p50_ms"), " ms"), "", "1",
             "", ""),
            ("1 floor: p99", _fmt(f_lat.get("p99_ms"), " ms"), "", "1", "", ""),
            ("1 floor: throughput", _fmt(f_tp.get("per_second"), "/s"), "", "1", "", ""),
            ("2 alert → first page, p50", _fmt(a["latency"]["p50_ms"], " ms"), _fmt(f_lat.get("p50_ms"), " ms"),
             _fmt(a["p50_ratio"], "×"), "≤ 1.3×", _met(a["p50_ratio"] <= 1.3 if a["p50_ratio"] else None)),
            ("2 alert → first page, p99", _fmt(a["latency"]["p99_ms"], " ms"), _fmt(f_lat.get("p99_ms"), " ms"),
             _fmt(a["p99_ratio"], "×"), "≤ 2×", _met(a["p99_ratio"] <= 2 if a["p99_ratio"] else None)),
            ("2 alert → first page, throughput", _fmt(a["throughput"]["per_second"], "/s"),
             _fmt(f_tp.get("per_second"), "/s"), _fmt(a["throughput_ratio"], "×"), "", ""),
            ("2 gateway answer time (one at a time), p99", _fmt(a["gateway_response"]["p99_ms"], " ms"),
             "", "", "", ""),
        ]
    s = scenarios.get("storm", {})
    if "invariants" in s:
        inv = s["invariants"]
        out += [
            (f"3 storm: incidents ({s['alerts']} alerts, {s['notifications']}×2 notifications)",
             _fmt(inv["incidents"]), "", "", f"= {inv['expected']}", _met(inv["incidents"] == inv["expected"])),
            ("3 storm: lost alerts", _fmt(inv["lost_alerts"]), "", "", "0", _met(inv["lost_alerts"] == 0)),
            ("3 storm: duplicate pages", _fmt(inv["duplicate_pages"]), "", "", "0", _met(inv["duplicate_pages"] == 0)),
            ("3 storm: gateway response measured by the gateway, p50 / p99",
             f'{_fmt(s["gateway_measured"]["p50_ms"])} / {_fmt(s["gateway_measured"]["p99_ms"], " ms")}',
             _fmt(f_lat.get("p99_ms"), " ms"), "", "p99 ≤ 50 ms", _met((s["gateway_measured"]["p99_ms"] or 0) <= 50)),
            ("3 storm: gateway response seen by the load generator, p50 / p99",
             f'{_fmt(s["gateway_response"]["p50_ms"])} / {_fmt(s["gateway_response"]["p99_ms"], " ms")}',
             "", "", "", ""),
            ("3 storm: requests per second (closed loop) / gateway CPU per request",
             f'{_fmt(s["requests_per_second"], "/s")} / {_fmt(s.get("gateway_cpu_ms_per_request"), " ms")}',
             "", "", "", ""),
            ("3 storm: Temporal calls per distinct snapshot", _fmt(s["calls_per_distinct_snapshot"]), "", "",
             "≤ 1.1", _met(s["calls_per_distinct_snapshot"] <= 1.1)),
            ("3 storm: wall time (first request → every alert in its incident)", _fmt(s["wall_seconds"], " s"),
             "", "", "", ""),
        ]
    p = scenarios.get("storm_paced", {})
    if "invariants" in p:
        inv = p["invariants"]
        label = f"3b paced storm ({p['rate_per_second']:g} requests/s open loop)"
        out += [
            (f"{label}: incidents / lost alerts / duplicate pages",
             f'{inv["incidents"]} / {inv["lost_alerts"]} / {inv["duplicate_pages"]}', "", "",
             f'= {inv["expected"]} / 0 / 0', _met(inv["incidents"] == inv["expected"] and inv["lost_alerts"] == 0
                                                  and inv["duplicate_pages"] == 0)),
            (f"{label}: gateway response measured by the gateway, p50 / p99",
             f'{_fmt(p["gateway_measured"]["p50_ms"])} / {_fmt(p["gateway_measured"]["p99_ms"], " ms")}',
             _fmt(f_lat.get("p99_ms"), " ms"), "", "p99 ≤ 50 ms", _met((p["gateway_measured"]["p99_ms"] or 0) <= 50)),
            (f"{label}: seen by the load generator, p50 / p99",
             f'{_fmt(p["gateway_response"]["p50_ms"])} / {_fmt(p["gateway_response"]["p99_ms"], " ms")}',
             "", "", "", ""),
            (f"{label}: pairs sent over 5 ms after their time (max lateness)",
             f'{p["late_pairs"]} ({_fmt(p["max_lateness_ms"], " ms")})', "", "", "", ""),
            (f"{label}: Temporal calls per distinct snapshot / wall time",
             f'{_fmt(p["calls_per_distinct_snapshot"])} / {_fmt(p["wall_seconds"], " s")}', "", "", "≤ 1.1",
             _met(p["calls_per_distinct_snapshot"] <= 1.1)),
        ]
    w = scenarios.get("storm_sweep", {})
    if "invariants" in w:
        inv = w["invariants"]
        out.append((f"3c closed-loop storm by requests in flight ({len(w['levels'])} fresh stacks): "
                    "incidents / lost alerts / duplicate pages",
                    f'{inv["incidents"]} / {inv["lost_alerts"]} / {inv["duplicate_pages"]}', "", "",
                    f'= {inv["expected"]} / 0 / 0', _met(inv["incidents"] == inv["expected"] and inv["lost_alerts"] == 0
                                                         and inv["duplicate_pages"] == 0)))
        for level in w["levels"]:
            measured, seen = level["gateway_measured"], level["gateway_response"]
            out.append((f"3c {level['in_flight']} in flight: requests/s; p99 by the gateway / by the load generator",
                        f'{_fmt(level["requests_per_second"], "/s")}; {_fmt(measured["p99_ms"])} / '
                        f'{_fmt(seen["p99_ms"], " ms")}', _fmt(f_lat.get("p99_ms"), " ms"), "", "p99 ≤ 50 ms",
                        _met(level["within_goal"])))
        out.append(("3c most requests in flight answered within 50 ms p99 (its share of the top throughput)",
                    _fmt(w["largest_in_flight_within_goal"]), "", _fmt(_share(w), "×"), "", ""))
    o = scenarios.get("open_incidents", {})
    if "invariants" in o:
        late = o["escalation_lateness"]
        out += [
            (f"4 {o['incidents']} open incidents: escalation page lateness, p50", _fmt(late["p50_ms"], " ms"),
             _fmt(f_lat.get("p50_ms"), " ms"), _fmt(_ratio(late["p50_ms"], f_lat.get("p50_ms")), "×"), "", ""),
            ("4 escalation page lateness, p99", _fmt(late["p99_ms"], " ms"), _fmt(f_lat.get("p99_ms"), " ms"),
             _fmt(_ratio(late["p99_ms"], f_lat.get("p99_ms")), "×"), "≤ 1 s",
             _met(late["p99_ms"] is not None and late["p99_ms"] <= 1000)),
            ("4 worker RSS", _fmt(o["worker_rss_mb"], " MB"), "", "", "≤ 500 MB", _met(o["worker_rss_mb"] <= 500)),
            ("4 CPU seconds: server / worker", f"{_fmt(o['server_cpu_seconds'])} / {_fmt(o['worker_cpu_seconds'])}",
             "", "", "", ""),
        ]
    d = scenarios.get("drills", {})
    if "invariants" in d:
        ls, syn = d["longest_shipped"], d["synthetic_48h"]
        out += [
            (f"5 drill: longest shipped ({ls['name']}, {ls['length_hours']:g} h)", _fmt(ls["wall_seconds"], " s"),
             "", "", "", ""),
            ("5 drill: synthetic 48-hour scenario", _fmt(syn["wall_seconds"], " s"), "", "", "≤ 2 s",
             _met(syn["wall_seconds"] <= 2)),
        ]
    c = scenarios.get("cli_latency", {})
    if "invariants" in c:
        f, r = c["figures"], c["ratios"]
        out += [
            ("6 CLI: `python -c \"import temporalio.client\"` (floor), median",
             _fmt(f["import_floor"]["p50_ms"], " ms"), "", "1", "", ""),
            ("6 CLI: bare client round trip: import, connect, one RPC (floor), median",
             _fmt(f["round_trip_floor"]["p50_ms"], " ms"), "", "1", "", ""),
            ("6 CLI: `incident --help`, median", _fmt(f["help"]["p50_ms"], " ms"),
             _fmt(f["import_floor"]["p50_ms"], " ms"), _fmt(r["help_to_import_floor"], "×"), "≤ 300 ms",
             _met(c["goals"]["help_within"])),
            ("6 CLI: `incident show ID`, median", _fmt(f["show"]["p50_ms"], " ms"),
             _fmt(f["round_trip_floor"]["p50_ms"], " ms"), _fmt(r["show_to_round_trip_floor"], "×"), "", ""),
            ("6 CLI: `incident ack ID`, median", _fmt(f["ack"]["p50_ms"], " ms"),
             _fmt(f["round_trip_floor"]["p50_ms"], " ms"), _fmt(r["ack_to_round_trip_floor"], "×"), "≤ 1.5×",
             _met(c["goals"]["ack_within"])),
            ("6 CLI remote mode (through the gateway): `show` / `ack`, median",
             f'{_fmt(f["remote_show"]["p50_ms"])} / {_fmt(f["remote_ack"]["p50_ms"], " ms")}',
             _fmt(f["round_trip_floor"]["p50_ms"], " ms"), _fmt(r["remote_ack_to_round_trip_floor"], "×"), "", ""),
        ]
    return out


def _share(sweep: dict):
    level = next((x for x in sweep["levels"] if x["in_flight"] == sweep["largest_in_flight_within_goal"]), None)
    return None if level is None else round(level["requests_per_second"] / sweep["max_requests_per_second"], 2)


def _ratio(value, floor):
    return None if value is None or not floor else round(value / floor, 2)


def markdown(document: dict) -> str:
    lines = [
        f"# Benchmark results {document['date']} ({document['size']})", "",
        f"Machine: {document['machine']['cpus']} CPUs, Python {document['machine']['python']}, load average at "
        f"start {document['machine']['load_average_at_start']}; total wall time {document['wall_seconds']} s.", "",
        "| figure | measured | floor (same run) | ratio | goal | met |", "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(document["scenarios"])]
    for name, result in document["scenarios"].items():
        if "error" in result:
            lines.append(f"\n**{name} failed:** {result['error']}")
    return "\n".join(lines) + "\n"


INVARIANTS = {
    "alert_to_page": lambda i: [("incidents paged", i["incidents_paged"], i["expected"]),
                                ("duplicate primary pages", i["duplicate_primary_pages"], 0)],
    "storm": lambda i: [("incidents", i["incidents"], i["expected"]),
                        ("incidents answered started twice", i["incidents_started_twice"], 0),
                        ("lost alerts", i["lost_alerts"], 0), ("duplicate pages", i["duplicate_pages"], 0)],
    "storm_paced": lambda i: INVARIANTS["storm"](i),
    "storm_sweep": lambda i: INVARIANTS["storm"](i),  # summed over its levels
    "open_incidents": lambda i: [("open incidents", i["incidents_open"], i["expected"]),
                                 ("escalated incidents", i["escalated"], i["expected"]),
                                 ("duplicate pages", i["duplicate_pages"], 0)],
    "drills": lambda i: [("scorecards", i["scorecards"], i["expected"])],
    "cli_latency": lambda i: [("incidents acknowledged by the CLI", i["acknowledged"], i["expected"])],
}


def broken_invariants(document: dict) -> list[str]:
    """Counts and duplicates only — never timings, which depend on the machine."""
    problems = []
    for name, result in document["scenarios"].items():
        if "error" in result:
            problems.append(f"{name}: {result['error']}")
            continue
        for what, got, want in INVARIANTS[name](result["invariants"]):
            if got != want:
                problems.append(f"{name}: {what}: {got}, expected {want}")
    return problems
