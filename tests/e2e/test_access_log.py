"""Who saw what: every read that shows a case's personal data unmasked is recorded; auditors read the log."""

from __future__ import annotations

from tests.e2e.api_client import Api, assert_problem


async def test_unmasked_reads_are_recorded_and_masked_ones_are_not(api: str, tokens: dict[str, str], pool) -> None:  # type: ignore[no-untyped-def]
    a = Api(api, dict(tokens))
    try:
        case_id = await a.new_case()
        path = f"/audit/access-log?case_id={case_id}"
        assert (await a.ok("auditor", "GET", path))["items"] == []  # registering it is not a read
        await a.ok("mediator", "GET", f"/cases/{case_id}")
        await a.ok("mediator", "GET", f"/cases/{case_id}/events")
        await a.ok("supervisor", "GET", f"/cases/{case_id}")  # masked: not recorded
        await a.ok("supervisor", "GET", f"/cases/{case_id}/replay")  # masked: not recorded
        await a.ok("auditor", "GET", f"/cases/{case_id}/replay?upto=1")
        log = await a.ok("auditor", "GET", path)
        assert [(i["what"], i["actor"]["role"]) for i in log["items"]] == [
            ("replay", "auditor"), ("events", "mediator"), ("case", "mediator")]
        assert all(i["case_id"] == case_id and i["at"] for i in log["items"])
        # Paged with a cursor, newest first, nothing twice.
        first = await a.ok("auditor", "GET", f"{path}&limit=2")
        rest = await a.ok("auditor", "GET", f"{path}&limit=2&cursor={first['next_cursor']}")
        assert [i["what"] for i in first["items"] + rest["items"]] == ["replay", "events", "case"]
        assert rest["next_cursor"] is None
        # Only auditors read it; bad cursors are refused; the log cannot be edited.
        for role in ("mediator", "supervisor", "admin", "liaison_lead"):
            assert_problem(await a.call(role, "GET", path), 403)
        assert_problem(await a.call("auditor", "GET", f"{path}&cursor=abc"), 422, "cursor")
        async with pool.acquire() as conn:
            try:
                await conn.execute("DELETE FROM access_log WHERE case_id = $1", case_id)
                raise AssertionError("the access log let a row be deleted")
            except Exception as exc:
                assert "append-only" in str(exc)
    finally:
        await a.http.aclose()
