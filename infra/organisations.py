"""Every organisation that has been in force, kept by fingerprint so that a case's CaseReceived (which names
the fingerprint) can always be traced to the organisation that routed it, and the one in force now."""

from __future__ import annotations

import asyncpg

from domain.organisation import Organisation, demo_organisation, load_organisation

_MAX_IDS = 20  # case ids listed per problem; the count says how many more


async def record_in_force(pool: asyncpg.Pool, org: Organisation) -> None:
    await pool.execute(
        """INSERT INTO organisations (fingerprint, body) VALUES ($1, $2)
           ON CONFLICT (fingerprint) DO UPDATE SET last_loaded_at = now()""",
        org.fingerprint, org.canonical_json,
    )


async def in_force(pool: asyncpg.Pool) -> Organisation:
    """The organisation `liandiao up` last started with; the demo district before any start."""
    body = await pool.fetchval("SELECT body FROM organisations ORDER BY last_loaded_at DESC LIMIT 1")
    return demo_organisation() if body is None else load_organisation(body)


async def by_fingerprint(pool: asyncpg.Pool, fingerprint: str | None) -> Organisation | None:
    if fingerprint is None:
        return None
    body = await pool.fetchval("SELECT body FROM organisations WHERE fingerprint = $1", fingerprint)
    return None if body is None else load_organisation(body)


def _ids(case_ids: list[str]) -> str:
    shown = ", ".join(case_ids[:_MAX_IDS])
    return shown + (f" and {len(case_ids) - _MAX_IDS} more" if len(case_ids) > _MAX_IDS else "")


async def open_case_conflicts(pool: asyncpg.Pool, org: Organisation) -> list[str]:
    """What ``org`` removes that open (not archived) cases still need, one line per department, jurisdiction
    or category, with the case ids. Read from the read models, which must be caught up. A stream without
    CaseReceived (never listed) is not a case that needs anything."""
    departments = [d.id for d in org.departments]
    jurisdictions = [j.id for j in org.jurisdictions]
    categories = [c.id for c in org.categories]
    problems = []
    for row in await pool.fetch(
        """SELECT department, array_agg(DISTINCT case_id ORDER BY case_id) AS cases
           FROM case_summaries, unnest(departments) AS department
           WHERE stage <> 'archived' AND received_at IS NOT NULL AND NOT (department = ANY($1::text[]))
           GROUP BY department ORDER BY department""", departments):
        problems.append(f"department {row['department']!r} is missing, but open cases have tasks for it: "
                        f"{_ids(row['cases'])}")
    for column, what, known in (("grid_id", "jurisdiction", jurisdictions), ("category", "category", categories)):
        for row in await pool.fetch(
            f"""SELECT {column} AS id, array_agg(case_id ORDER BY case_id) AS cases FROM case_summaries
                WHERE stage <> 'archived' AND received_at IS NOT NULL AND NOT ({column} = ANY($1::text[]))
                GROUP BY {column} ORDER BY {column}""", known):
            problems.append(f"{what} {row['id']!r} is missing, but open cases are in it: {_ids(row['cases'])}")
    return problems
