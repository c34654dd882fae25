"""研判 at intake: what the cluster rule (聚集预警, domain/clusters.py) costs a case's intake, on one embedded
PostgreSQL and one headless Temporal dev server.

    .venv/bin/python bench/analysis.py [--cases N] [--rounds R] [--concurrency C] [--smoke]

Each round receives N cases through ``Application.receive`` (the workflow's update-with-start, the projector's
catch-up, the repeat-visit marks) by C intakes at a time, once with ``[analysis] cluster = false`` and once with
the default rule (3 cases of one category in one community within 7 days), the two alternating. The cases fall
on the demo organisation's 8 grids (4 communities) and 8 categories at random, so that in a round of 300 most
community-and-category pairs reach the threshold: alerts open (each of their cases records ``ClusterDetected``
through its workflow, the opening one with its urgent notification) and later cases join them (one more
workflow update each). Between rounds the open alerts are closed, so every round starts alike.

Rows:

* ``intake_cases_per_s_with_cluster_rule``: cases received per second with the rule, against the same without it
  in the same run; ratio = with / without, target >= 0.7 (the rule adds a locked count per intake, and a
  workflow update for every case an alert takes). The alerts opened and the cases they took are in the
  context."""

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
from domain.policy import DEFAULT_POLICY, AnalysisPolicy  # noqa: E402
from domain.vocabulary import Channel, PartyRole, RiskLevel, Role  # noqa: E402
from infra.db import create_pool, migrate  # noqa: E402
from infra.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port  # noqa: E402
from infra.logging import configure_logging  # noqa: E402
from infra.temporal import connect_temporal, load_codec  # noqa: E402
from workers.case_worker import build_worker  # noqa: E402

DEFAULT_CASES, SMOKE_CASES = 300, 6
DEFAULT_ROUNDS, DEFAULT_CONCURRENCY = 2, 8
TASK_QUEUE = "bench-analysis"
ORG = demo_organisation()
GRIDS = [j.id for j in ORG.jurisdictions if j.level is JurisdictionLevel.grid]
CATEGORIES = ["leak", "wages", "property_fee", "parking", "heating", "pet_noise", "family", "neighbour"]
MEDIATOR = Actor(role=Role.mediator, id="med-bench", department="centre")
WITHOUT = DEFAULT_POLICY.model_copy(update={"analysis": AnalysisPolicy(cluster=None)})
WITH = DEFAULT_POLICY  # the rule's defaults: 3 in 7 days


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
    seconds = {"with": 0.0, "without": 0.0}
    cases = {"with": 0, "without": 0}
    opened = taken = 0
    async with stack() as (pool, client, tmp):
        async with build_worker(client, pool, TASK_QUEUE, seal_file=tmp / "seals.jsonl"):
            key = uuid.uuid4().bytes * 2
            apps = {side: build_application(pool, client, TASK_QUEUE, org=ORG, policy=policy, visitor_key=key)
                    for side, policy in (("without", WITHOUT), ("with", WITH))}
            await apps["with"].receive(MEDIATOR, intake(rng))  # warm-up: the first workflow, the first query plans
            for _ in range(args.rounds):
                for side in ("without", "with"):
                    batch = [intake(rng) for _ in range(args.cases)]
                    seconds[side] += await receive_all(apps[side], batch, args.concurrency)
                    cases[side] += len(batch)
                    async with pool.acquire() as conn:
                        opened += await conn.fetchval("SELECT count(*) FROM analysis_alerts WHERE status = 'open'")
                        taken += await conn.fetchval(
                            "SELECT coalesce(sum(cardinality(case_ids)), 0) FROM analysis_alerts WHERE status = 'open'")
                        await conn.execute("""UPDATE analysis_alerts SET status = 'closed', closed_at = now(),
                                              closed_by = 'bench', note = 'round over' WHERE status = 'open'""")
    rate = {side: cases[side] / seconds[side] for side in seconds}
    rows = [Result("intake_cases_per_s_with_cluster_rule", rate["with"], "cases/s",
                   "intake_cases_per_s_without", rate["without"], ">= 0.7",
                   note=f"{opened} alerts opened, taking {taken} of {cases['with']} cases")]
    context = {"cases_per_round": args.cases, "rounds": args.rounds, "concurrency": args.concurrency,
               "alerts_opened": opened, "cases_in_alerts": taken, "grids": len(GRIDS), "categories": len(CATEGORIES)}
    return rows, context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help="cases per round and side")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--smoke", action="store_true", help="a tiny run: it completes and writes its rows")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.rounds, args.concurrency = SMOKE_CASES, 1, 2
    configure_logging(level="WARNING")
    rows, context = asyncio.run(run(args))
    print_table(rows)
    print(f"wrote {write_results('analysis', rows, context=context)}")


if __name__ == "__main__":
    main()
