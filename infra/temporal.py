"""The Temporal client, with pydantic models on the wire."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

_runtimes: dict[str, Runtime] = {}


def metrics_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime serving the SDK's metrics in Prometheus' text format at ``bind_address``/metrics.
    One per address and process: the runtime owns the HTTP listener."""
    if bind_address not in _runtimes:
        _runtimes[bind_address] = Runtime(telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=bind_address, durations_as_seconds=True)))
    return _runtimes[bind_address]


async def connect_temporal(address: str, namespace: str = "default", metrics_address: str | None = None) -> Client:
    """A client (and the workers built on it) with pydantic on the wire; with ``metrics_address``, its
    runtime exports the SDK's metrics there."""
    runtime = metrics_runtime(metrics_address) if metrics_address else None
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter,
                                runtime=runtime)


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register the case search attributes (stage, risk, category: never personal data) if missing. The
    embedded server registers them at start; on a cluster this needs the operator API, else it is skipped."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest

    from infra.embedded import SEARCH_ATTRIBUTES

    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {k: v for k, v in SEARCH_ATTRIBUTES.items() if k not in existing.custom_attributes}
    if missing:
        await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={
                k: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{v.upper()}") for k, v in missing.items()
            },
        ))
