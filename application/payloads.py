"""Temporal payloads through the stack's payload codec, for the Temporal Web UI's codec server: auditors read
a case's history in clear. Payloads hold the parties' data, so whoever decodes is recorded (no case named)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from temporalio.api.common.v1 import Payload

from application.access_log import record_access
from application.errors import InvalidInput, Unavailable
from domain.events import Actor
from infra.codec import CodecError

if TYPE_CHECKING:
    from application.cases import Application


async def transcode(app: Application, payloads: Sequence[Payload], *, decode: bool,
                    actor: Actor | None = None) -> list[Payload]:
    codec = app.temporal.data_converter.payload_codec
    if codec is None:
        raise Unavailable("this stack runs without a payload codec")
    if decode and actor is not None:
        await record_access(app.pool, actor, None, "codec")
    try:
        return list(await (codec.decode(payloads) if decode else codec.encode(payloads)))
    except CodecError as exc:
        raise InvalidInput(str(exc), "payloads") from exc
