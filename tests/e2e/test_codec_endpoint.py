"""The remote codec endpoint: auditors (only) read a case's Temporal history in clear."""

from __future__ import annotations

import base64

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from tests.e2e.api_client import Api, assert_problem


async def test_an_auditor_decodes_a_cases_history_and_no_one_else_may(
    api: str, tokens: dict[str, str], temporal_client
) -> None:  # type: ignore[no-untyped-def]
    a = Api(api, dict(tokens))
    try:
        case_id = await a.new_case()
        history = await temporal_client.get_workflow_handle(case_id).fetch_history()
        accepted = [e.workflow_execution_update_accepted_event_attributes for e in history.events
                    if e.HasField("workflow_execution_update_accepted_event_attributes")]
        payloads = list(accepted[0].accepted_request.input.args.payloads)
        body = json_format.MessageToDict(Payloads(payloads=payloads))
        assert "王小明".encode() not in base64.b64decode(body["payloads"][0]["data"])

        decoded = await a.ok("auditor", "POST", "/codec/decode", body)
        assert "王小明".encode() in base64.b64decode(decoded["payloads"][0]["data"])
        assert base64.b64decode(decoded["payloads"][0]["metadata"]["encoding"]) == b"json/plain"

        log = await a.ok("auditor", "GET", "/audit/access-log?limit=20")
        assert any(i["what"] == "codec" and i["case_id"] is None for i in log["items"])  # who saw what

        encoded = await a.ok("auditor", "POST", "/codec/encode", decoded)
        assert await a.ok("auditor", "POST", "/codec/decode", encoded) == decoded

        for role in ("mediator", "supervisor", "admin", "liaison_lead"):
            assert_problem(await a.call(role, "POST", "/codec/decode", body), 403)
        assert_problem(await a.call(None, "POST", "/codec/decode", body), 401)
        assert_problem(await a.call("auditor", "POST", "/codec/decode", {"payloads": [{"data": "%%%"}]}), 422)
        for not_base64 in ("Xl-l0yVBa", "==", "AB=C"):  # found by schemathesis: the schema now says so too
            assert_problem(await a.call("auditor", "POST", "/codec/encode",
                                        {"payloads": [{"metadata": {"k": not_base64}}]}), 422)
        assert (await a.call("auditor", "POST", "/codec/encode",
                             {"payloads": [{"metadata": {"k": "Xl-l0yVB"}, "data": "c1GI-nCnic6"}]})).status_code == 200
        forged = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"binary/encrypted").decode(),
                                             "encryption-key-id": base64.b64encode(b"k-nope").decode()},
                                "data": base64.b64encode(b"x" * 40).decode()}]}
        assert_problem(await a.call("auditor", "POST", "/codec/decode", forged), 422, "k-nope")
    finally:
        await a.http.aclose()
