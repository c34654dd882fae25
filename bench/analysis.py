"""研判 at intake: what the cluster rule (聚集预警, domain/clusters.py) costs a case's intake, on one embedded
PostgreSQL and one headless Temporal dev server.

    .venv/bin/python bench/analysis.py [--cases N] [--rounds R] [--concurrency C] [--smoke]

Each round receives N cases through ``Application.receive`` (the workflow's update-with-start, the projector's
catch-up, the repeat-visit marks) by C intakes at a time, three ways, alternating: with ``[analysis] cluster =
false``; with a rule that is checked at every intake but never reached (threshold 1000: the lock and the count,
what most intakes of a real district pay); and with the default rule (3 cases of one category in one community
within 7 days). The cases fall on the demo organisation's 8 grids (4 communities) and 8 categories at random,
all within one window, so under the default rule nearly every case is in a cluster: the worst case. The
defaults: 200 cases a round and side, 2 rounds, one intake at a time. Opening an
alert records ``ClusterDetected`` on each of its cases (one workflow update each, the opening one with its urgent
notification) and every later case joins (one more update). Between rounds the open alerts are closed, so each
round opens its own; the cases of earlier rounds are still in the window and are taken by them.

Rows:

* ``intake_cases_per_s_rule_checked``: cases received per second with the rule checked but never reached, against
  the same without the rule in the same run; ratio = checked / without, target >= 0.9.
* ``intake_cases_per_s_every_case_clustering``: the same with the default rule, where nearly every case opens
  or joins an alert; ratio = clustering / without, target >= 0.4 (at least one more workflow update per case, and
  an opening alert's updates on all its cases at once). The alerts opened and the ``ClusterDetected`` events
  recorded are in the context."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import random
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bench._common import Result, Stopwatch, print_table, quiet_warnings, write_results

quiet_warnings()

import asyncpg  # noqa: E402

from application.cases import Application, Intake  # noqa: E402
from bootstrap import build_application  # noqa: E402
from domain.events import Actor, Party  # noqa: E402
from domain.organisation import JurisdictionLevel, demo_organisation  # noqa: E402
from domain.policy import DEFAULT_POLICY, AnalysisPolicy, ClusterRule  # noqa: E402
from domain.vocabulary import Channel, PartyRole, RiskLevel, Role  # noqa: E402
from infra.db import create_pool, migrate  # noqa: E402
from infra.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port  # noqa: E402
from infra.event_store import EventStore  # noqa: E402
from infra.logging import configure_logging  # noqa: E402
from infra.projections import Projector  # noqa: E402
from infra.temporal import connect_temporal, load_codec  # noqa: E402
from workers.case_worker import build_worker  # noqa: E402

DEFAULT_CASES, SMOKE_CASES = 200, 6
# One intake at a time by default: with several at once in one process, an intake's catch-up can find nothing to
# read while another's projector transaction is open (infra/event_store.py reads no further than the oldest
# unfinished transaction) and answer "no case" for the case it has just received: a race of the projector's,
# not of the rule, which --concurrency 8 shows within seconds on a loaded machine.
DEFAULT_ROUNDS, DEFAULT_CONCURRENCY = 2, 1
TASK_QUEUE = "bench-analysis"
ORG = demo_organisation()
GRIDS = [j.id for j in ORG.jurisdictions if j.level is JurisdictionLevel.grid]
CATEGORIES = ["leak", "wages", "property_fee", "parking", "heating", "pet_noise", "family", "neighbour"]
MEDIATOR = Actor(role=Role.mediator, id="med-bench", department="centre")
POLICIES = {
    "without": DEFAULT_POLICY.model_copy(update={"analysis": AnalysisPolicy(cluster=None)}),
    "checked": DEFAULT_POLICY.model_copy(update={"analysis": AnalysisPolicy(
        cluster=ClusterRule(threshold=1000))}),
    "clustering": DEFAULT_POLICY,  # the rule's defaults: 3 in 7 days
}


def intake(rng: random.Random) -> Intake:
    n = rng.getrandbits(48)
    applicant = Party(name=f"来访人{n % 10_000}", role=PartyRole.applicant, phone=f"139{n % 10**8:08d}",
                      id_number=f"110101{1950 + n % 50}0101{n % 10**4:04d}")
    return Intake(title="矛盾纠纷", description="当事人来访反映。", category=rng.choice(CATEGORIES),
                  channel=Channel.walk_in, grid_id=rng.choice(GRIDS),
                  parties=(applicant, Party(name="对方", role=PartyRole.respondent)), risk_level=RiskLevel.medium)


async def receive_all(app: Application, intakes: list[Intake], concurrency: int) -> float:
    """Seconds to receive every intake, ``concurrency`` at a time."""
    queue = list(intakes)

    async def lane() -> None:
        while queue:
            await app.receive(MEDIATOR, queue.pop())

    with Stopwatch() as sw:
        await asyncio.gather(*(lane() for _ in range(concurrency)))
    return sw.seconds


@asynccontextmanager
async def stack() -> AsyncIterator[tuple[asyncpg.Pool, Any, Path]]:
    tmp = Path(tempfile.mkdtemp(prefix="liandiao-bench-analysis-"))
    postgres, temporal = EmbeddedPostgres(tmp), EmbeddedTemporal(tmp, port=free_port(), ui=False)
    try:
        url = await postgres.start()
        address = await temporal.start()
        pool = await create_pool(url, max_size=20)
        try:
            await migrate(pool)
            client = await connect_temporal(address, codec=load_codec(tmp / "codec-keys.json", create=True))
            yield pool, client, tmp
        finally:
            await pool.close()
    finally:
        try:
            temporal.stop()
        finally:
            try:
                postgres.stop()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


async def run(args: argparse.Namespace) -> tuple[list[Result], dict[str, Any]]:
    rng = random.Random(31)
    seconds = dict.fromkeys(POLICIES, 0.0)
    cases = dict.fromkeys(POLICIES, 0)
    opened = 0
    async with stack() as (pool, client, tmp):
        async with build_worker(client, pool, TASK_QUEUE, seal_file=tmp / "seals.jsonl"):
            key = uuid.uuid4().bytes * 2
            projector = Projector(pool, EventStore(pool))  # one per process, as under `liandiao up`
            apps = {side: build_application(pool, client, TASK_QUEUE, org=ORG, policy=policy, visitor_key=key,
                                            projector=projector)
                    for side, policy in POLICIES.items()}
            await apps["without"].receive(MEDIATOR, intake(rng))  # warm-up: the first workflow, the query plans
            for _ in range(args.rounds):
                for side, app in apps.items():
                    batch = [intake(rng) for _ in range(args.cases)]
                    seconds[side] += await receive_all(app, batch, args.concurrency)
                    cases[side] += len(batch)
                    async with pool.acquire() as conn:
                        opened += await conn.fetchval("SELECT count(*) FROM analysis_alerts WHERE status = 'open'")
                        await conn.execute("""UPDATE analysis_alerts SET status = 'closed', closed_at = now(),
                                              closed_by = 'bench', note = 'round over' WHERE status = 'open'""")
            async with pool.acquire() as conn:
                recorded = await conn.fetchval("SELECT count(*) FROM events WHERE type = 'ClusterDetected'")
    rate = {side: cases[side] / seconds[side] for side in seconds}
    rows = [
        Result("intake_cases_per_s_rule_checked", rate["checked"], "cases/s", "intake_cases_per_s_without",
               rate["without"], ">= 0.9", note="the lock and the count at every intake, no alert"),
        Result("intake_cases_per_s_every_case_clustering", rate["clustering"], "cases/s",
               "intake_cases_per_s_without", rate["without"], ">= 0.4",
               note=f"{opened} alerts opened, {recorded} ClusterDetected over {cases['clustering']} cases"),
    ]
    context = {"cases_per_round_and_side": args.cases, "rounds": args.rounds, "concurrency": args.concurrency,
               "alerts_opened": opened, "cluster_detected_events": recorded, "grids": len(GRIDS),
               "categories": len(CATEGORIES)}
    return rows, context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help="cases per round and side")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--smoke", action="store_true", help="a tiny run: it completes and writes its rows")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.rounds, args.concurrency = SMOKE_CASES, 1, 1
    configure_logging(level="WARNING")
    rows, context = asyncio.run(run(args))
    print_table(rows)
    print(f"wrote {write_results('analysis', rows, context=context)}")


if __name__ == "__main__":
    main()
