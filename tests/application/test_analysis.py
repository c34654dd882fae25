"""Repeat visits through the real application (Temporal, PostgreSQL): a case received records its visitors'
keyed hashes, never the ID number or the phone; the next intake of the same person is found before saving;
研判 is for the roles that read it, and a bad period or grouping says what was expected."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from application import analysis
from application.case_client import CaseClient
from application.cases import Application, Intake
from application.errors import Forbidden, InvalidInput
from bootstrap import build_application
from domain.analysis import HotspotBy
from domain.events import Actor, Party
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY
from domain.vocabulary import Channel, PartyRole, Role

MEDIATOR = Actor(role=Role.mediator, id="m-analysis", department="dept-donghu-zongzhi")
LIAISON = Actor(role=Role.liaison, id="l-analysis", department="dept-donghu-huayuan-committee")


@pytest.fixture
def app(pool: asyncpg.Pool, temporal_client, cases: CaseClient) -> Application:  # type: ignore[no-untyped-def]
    return build_application(pool, temporal_client, cases.task_queue, org=demo_organisation(),
                             policy=DEFAULT_POLICY)


def intake(party: Party, category: str = "leak") -> Intake:
    return Intake(title="楼上漏水", description="天花板渗水", category=category, channel=Channel.walk_in,
                  grid_id="grid-donghu-huayuan-1", parties=(party,))


async def test_the_same_id_number_under_another_name_is_a_repeat_and_nothing_is_kept_in_clear(
        app: Application, pool: asyncpg.Pool) -> None:
    id_number = "4401" + uuid.uuid4().hex[:13].translate(str.maketrans("abcdef", "123456")) + "x"
    phone = "13" + str(uuid.uuid4().int)[:9]
    first = await app.receive(MEDIATOR, intake(Party(name="陈大文", role=PartyRole.applicant, id_number=id_number,
                                                     phone=phone)))
    assert first.repeat_of == ()
    again = intake(Party(name="陈 大 雯", role=PartyRole.applicant, id_number=id_number.upper()), "parking")
    assert await app.repeat_of(again) == [first.case_id]  # shown at intake, before anything is saved
    second = await app.receive(MEDIATOR, again)
    assert second.repeat_of == (first.case_id,) and second.duplicate_of is None
    other = intake(Party(name="陈大文", role=PartyRole.applicant, id_number=id_number[:-2] + "9X", phone=phone),
                   "family")
    assert await app.repeat_of(other) == []  # another ID number is another person, even on the same phone
    async with pool.acquire() as conn:
        dump = await conn.fetchval("SELECT string_agg(t::text, '|') FROM visitor_marks t")
        hexed = await conn.fetchval("SELECT string_agg(encode(id_digest, 'escape') || encode(coalesce("
                                    "phone_digest, ''), 'escape'), '|') FROM visitor_marks")
        rows = await conn.fetchval("SELECT count(*) FROM visitor_marks WHERE case_id = ANY($1)",
                                   [first.case_id, second.case_id])
    assert rows == 2
    for secret in (id_number, id_number.upper(), phone, "陈大文"):
        assert secret not in dump and secret not in hexed


async def test_analysis_is_for_its_readers_and_bad_input_is_explained(app: Application) -> None:
    with pytest.raises(Forbidden):
        await analysis.analysis(app, LIAISON, analysis.parse_period("2026-11"), HotspotBy.street)
    report = await analysis.analysis(app, MEDIATOR, analysis.parse_period("2026-11"), HotspotBy.grid)
    assert report.previous.label == "2026-10" and report.totals.repeat_visitors >= 0
    for bad, message in [("2026-13", "month 13"), ("November", "is not a month"), ("", "give a period"),
                         ("0000", "no year 0000"), ("9999-12", "within the years 1900 to 9998")]:
        with pytest.raises(InvalidInput, match=message):
            analysis.parse_period(bad)
    with pytest.raises(InvalidInput, match="by: 'town' is not one of grid, community, street, category"):
        analysis.parse_by("town")
