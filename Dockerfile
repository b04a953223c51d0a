# One image for the worker and the gateway (docker-compose.yml): `incident worker`, `incident gateway`.
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INCIDENTFLOW_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY settings.py worker.py ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY adapters ./adapters
COPY service ./service
COPY gateway ./gateway
COPY cli ./cli
COPY observability ./observability
COPY policies ./policies
COPY runbooks ./runbooks
COPY drills ./drills
# compileall: bytecode for workflows/ (imported once per worker; the sandbox passes every module through,
# and PYTHONDONTWRITEBYTECODE only stops writing it, so the worker starts without compiling them).
# Editable, so settings.PROJECT_DIR is /app and the policy, runbooks and drills above are the defaults.
RUN pip install -c constraints.txt -e '.[otel,postgres]' \
    && python -m compileall -q workflows \
    && useradd --system --uid 10001 --home-dir /app incidentflow \
    && mkdir -p /data && chown incidentflow /data

USER incidentflow
VOLUME ["/data"]
EXPOSE 8000 9464
# docker-compose.yml sets the command: ["incident", "worker"] or ["incident", "gateway", ...].
ENTRYPOINT []
CMD ["incident", "worker"]
