"""The Temporal client, with pydantic models on the wire, encrypted by the payload codec (infra/codec.py)."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from infra.codec import KEY_FILE_NAME, CodecError, EncryptionCodec, load_key_ring, with_codec
from infra.settings import Settings

_runtimes: dict[str, Runtime] = {}


def metrics_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime serving the SDK's metrics in Prometheus' text format at ``bind_address``/metrics.
    One per address and process: the runtime owns the HTTP listener."""
    from infra.embedded import StackError

    if bind_address not in _runtimes:
        try:
            _runtimes[bind_address] = Runtime(telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=bind_address, durations_as_seconds=True)))
        except ValueError as exc:  # the port checked free may have been taken since: one line, not a traceback
            port = bind_address.rpartition(":")[2]
            if "in use" in str(exc):
                raise StackError(f"port {port} (metrics) is already in use") from exc
            raise StackError(f"cannot serve the metrics at {bind_address}: {exc}") from exc
    return _runtimes[bind_address]



def key_file(data_dir: Path, setting: Path | None = None) -> Path:
    return setting if setting is not None else data_dir / KEY_FILE_NAME


def load_codec(path: Path, *, create: bool = False) -> EncryptionCodec:
    return EncryptionCodec(load_key_ring(path, create=create))


def codec_for(settings: Settings, *, create: bool = False) -> EncryptionCodec:
    """The codec of the stack these settings name; a missing or broken key file is a one-line StackError."""
    from infra.embedded import StackError

    try:
        return load_codec(key_file(settings.data_dir, settings.codec_key_file), create=create)
    except CodecError as exc:
        raise StackError(f"payload codec: {exc}") from exc


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """What every client, worker and replayer of LianDiao uses (the same one, or payloads cannot be read)."""
    return with_codec(pydantic_data_converter, codec)


async def connect_temporal(address: str, namespace: str = "default", codec: PayloadCodec | None = None,
                           metrics_address: str | None = None) -> Client:
    """A client whose workers inherit its converter. ``codec`` None only for tools that never touch a case's
    payloads (health checks); a payload it sends would go to Temporal in clear. With ``metrics_address``, its
    runtime exports the SDK's metrics there."""
    runtime = metrics_runtime(metrics_address) if metrics_address else None
    return await Client.connect(address, namespace=namespace, data_converter=data_converter(codec),
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
