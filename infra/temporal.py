"""The Temporal client, with pydantic models on the wire."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter


async def connect_temporal(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)


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
