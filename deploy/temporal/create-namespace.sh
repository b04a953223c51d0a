#!/bin/sh
# The namespace incidentflow runs in and the search attributes the incident list and the Temporal UI
# filter on (workflows/search.py). Idempotent: existing ones are left alone.
set -eu

NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
RETENTION="${TEMPORAL_RETENTION:-30d}"

echo "waiting for Temporal at $ADDRESS"
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do sleep 2; done

temporal operator namespace describe -n "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"

for attribute in IncidentSeverity IncidentService IncidentPhase; do
  if temporal operator search-attribute list -n "$NAMESPACE" --address "$ADDRESS" | grep -qw "$attribute"; then
    echo "search attribute $attribute exists"
  else
    temporal operator search-attribute create -n "$NAMESPACE" --address "$ADDRESS" --name "$attribute" --type Keyword
  fi
done
echo "namespace $NAMESPACE ready"
