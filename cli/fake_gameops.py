"""A local stand-in for the "game ops admin API" the shipped runbooks target (docs/runbooks.md) and for
the Prometheus HTTP API, so runbooks can be tried end to end on one machine (`incident runbook fake-api`)
and tested over real HTTP. It keeps state in memory, honours `Idempotency-Key` (a repeated key gets the
first answer and changes nothing) and records every request."""

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class ServiceState:
    healthy: bool = True
    replicas: int = 6
    version: str = "v2"
    previous_version: str = "v1"
    rate_limit: int | None = None
    heals_on_restart: bool = True


@dataclass
class GameOps:
    services: dict[str, ServiceState] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=lambda: {"new-matcher": True})
    write_blocks: dict[str, bool] = field(default_factory=dict)
    pools: dict[str, int] = field(default_factory=dict)
    provider: str = "primary"
    cache_flushes: dict[str, int] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    effects: list[dict] = field(default_factory=list)
    answered: dict[str, tuple[int, Any]] = field(default_factory=dict)
    # path -> how many times to apply the change and then answer 500 (a response lost after the change)
    fail_after_apply: dict[str, int] = field(default_factory=dict)

    def service(self, name: str) -> ServiceState:
        return self.services.setdefault(name, ServiceState())

    def change_keys(self) -> list[str]:
        return [e["key"] for e in self.effects]


def create_admin_api(ops: GameOps) -> FastAPI:
    app = FastAPI(title="game ops admin API (fake)")

    async def change(request: Request, apply) -> JSONResponse:
        key = request.headers.get("idempotency-key")
        body = await request.body()
        payload = await request.json() if body else {}
        ops.requests.append({"method": request.method, "path": request.url.path, "key": key, "json": payload})
        if key and key in ops.answered:
            status, answer = ops.answered[key]
            return JSONResponse(answer, status_code=status, headers={"Idempotent-Replayed": "true"})
        result = apply(payload)
        ops.effects.append({"method": request.method, "path": request.url.path, "key": key, "json": payload})
        if key:
            ops.answered[key] = (200, result)
        if ops.fail_after_apply.get(request.url.path, 0) > 0:
            ops.fail_after_apply[request.url.path] -= 1
            return JSONResponse({"error": "upstream timeout"}, status_code=500)
        return JSONResponse(result)

    @app.get("/health")
    async def health() -> dict:
        return {"ok": True}

    @app.get("/services/{name}/health")
    async def service_health(name: str, request: Request) -> dict:
        ops.requests.append({"method": "GET", "path": request.url.path, "key": None, "json": None})
        s = ops.service(name)
        return {"service": name, "healthy": s.healthy, "replicas": s.replicas, "version": s.version,
                "rate_limit": s.rate_limit}

    @app.post("/services/{name}/restart")
    async def restart(name: str, request: Request) -> JSONResponse:
        def apply(_):
            s = ops.service(name)
            s.healthy = s.heals_on_restart
            return {"service": name, "restarted": True}
        return await change(request, apply)

    @app.put("/services/{name}/replicas")
    async def scale(name: str, request: Request) -> JSONResponse:
        def apply(body):
            ops.service(name).replicas = int(body["replicas"])
            return {"service": name, "replicas": ops.service(name).replicas}
        return await change(request, apply)

    @app.post("/services/{name}/rollback")
    async def rollback(name: str, request: Request) -> JSONResponse:
        def apply(body):
            s = ops.service(name)
            s.version = body.get("to_version") or s.previous_version
            return {"service": name, "version": s.version}
        return await change(request, apply)

    @app.put("/services/{name}/rate-limit")
    async def rate_limit(name: str, request: Request) -> JSONResponse:
        def apply(body):
            ops.service(name).rate_limit = int(body["requests_per_second"])
            return {"service": name, "requests_per_second": ops.service(name).rate_limit}
        return await change(request, apply)

    @app.delete("/services/{name}/rate-limit")
    async def lift_rate_limit(name: str, request: Request) -> JSONResponse:
        def apply(_):
            ops.service(name).rate_limit = None
            return {"service": name, "requests_per_second": None}
        return await change(request, apply)

    @app.put("/flags/{flag}")
    async def set_flag(flag: str, request: Request) -> JSONResponse:
        def apply(body):
            ops.flags[flag] = bool(body["enabled"])
            return {"flag": flag, "enabled": ops.flags[flag]}
        return await change(request, apply)

    @app.put("/databases/{database}/write-block")
    async def write_block(database: str, request: Request) -> JSONResponse:
        def apply(body):
            ops.write_blocks[database] = bool(body["enabled"])
            return {"database": database, "write_block": ops.write_blocks[database]}
        return await change(request, apply)

    @app.put("/databases/{database}/pool")
    async def pool(database: str, request: Request) -> JSONResponse:
        def apply(body):
            ops.pools[database] = int(body["max_connections"])
            return {"database": database, "max_connections": ops.pools[database]}
        return await change(request, apply)

    @app.put("/payments/provider")
    async def provider(request: Request) -> JSONResponse:
        def apply(body):
            ops.provider = str(body["provider"])
            return {"provider": ops.provider}
        return await change(request, apply)

    @app.post("/caches/{cache}/flush")
    async def flush(cache: str, request: Request) -> JSONResponse:
        def apply(_):
            ops.cache_flushes[cache] = ops.cache_flushes.get(cache, 0) + 1
            return {"cache": cache, "flushed": True}
        return await change(request, apply)

    return app


# What `incident runbook fake-api` answers: a service that recovers, so verifications pass.
HEALTHY_METRICS: dict[str, list[float]] = {
    "game_players_connected": [1200], "db_connections": [0.5], "matches_succeeded_total": [0.99],
    "payment_requests_total": [0.01], "http_requests_total": [0.0], "http_request_duration_seconds": [0.2],
}


@dataclass
class FakePrometheus:
    """Answers instant queries: the first rule whose key is a substring of the query gives the values;
    a rule with several values answers them in turn (the last one repeats)."""

    rules: dict[str, list[float]] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)

    def answer(self, query: str) -> list[float] | None:
        calls = sum(1 for q in self.queries if q == query)
        for key, values in self.rules.items():
            if key in query:
                return [values[min(calls, len(values) - 1)]]
        return None


def create_prometheus_api(prometheus: FakePrometheus) -> FastAPI:
    app = FastAPI(title="Prometheus HTTP API (fake)")

    @app.get("/api/v1/query")
    async def query(query: str) -> dict:
        values = prometheus.answer(query)
        prometheus.queries.append(query)
        result = [] if values is None else [{"metric": {}, "value": [0, str(v)]} for v in values]
        return {"status": "success", "data": {"resultType": "vector", "result": result}}

    return app
