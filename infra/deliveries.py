"""The delivery ledger (送达记录): one row per notification and channel, claimed before a message is sent so
that a retried or concurrent attempt never sends it twice, and marked with what the receiver answered."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

# Claim the key: a new row, or one whose last attempt failed, or one whose sender's lease ran out (it died).
_CLAIM = """
INSERT INTO notification_deliveries AS d (notification_id, channel_id, case_id, status, attempts, claimed_at)
VALUES ($1, $2, $3, 'sending', 1, now())
ON CONFLICT (notification_id, channel_id) DO UPDATE
   SET status = 'sending', attempts = d.attempts + 1, claimed_at = now()
 WHERE d.status = 'retry' OR (d.status = 'sending' AND d.claimed_at < now() - $4::interval)
RETURNING attempts"""


async def claim_delivery(pool: asyncpg.Pool, notification_id: str, channel_id: str, case_id: str,
                         lease: timedelta) -> int | None:
    """The attempt number when this attempt may send; None when the message is delivered or another live
    attempt holds it."""
    attempts: int | None = await pool.fetchval(_CLAIM, notification_id, channel_id, case_id, lease)
    return attempts


async def delivery_status(pool: asyncpg.Pool, notification_id: str, channel_id: str) -> tuple[str, int] | None:
    row = await pool.fetchrow(
        "SELECT status, attempts FROM notification_deliveries WHERE notification_id = $1 AND channel_id = $2",
        notification_id, channel_id)
    return None if row is None else (row["status"], row["attempts"])


async def mark_delivered(pool: asyncpg.Pool, notification_id: str, channel_id: str) -> None:
    await pool.execute(
        """UPDATE notification_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL
           WHERE notification_id = $1 AND channel_id = $2""", notification_id, channel_id)


async def mark_for_retry(pool: asyncpg.Pool, notification_id: str, channel_id: str, error: str) -> None:
    await pool.execute(
        """UPDATE notification_deliveries SET status = 'retry', last_error = $3
           WHERE notification_id = $1 AND channel_id = $2 AND status = 'sending'""",
        notification_id, channel_id, error)


# Many keys of one case at once (a batch's chunk): the same claim, one statement for all of them.
_CLAIM_MANY = """
INSERT INTO notification_deliveries AS d (notification_id, channel_id, case_id, status, attempts, claimed_at)
SELECT n, c, $3, 'sending', 1, now() FROM unnest($1::text[], $2::text[]) AS k(n, c)
ON CONFLICT (notification_id, channel_id) DO UPDATE
   SET status = 'sending', attempts = d.attempts + 1, claimed_at = now()
 WHERE d.status = 'retry' OR (d.status = 'sending' AND d.claimed_at < now() - $4::interval)
RETURNING notification_id, channel_id, attempts"""

Key = tuple[str, str]  # (notification_id, channel_id)
Claimed = dict[Key, int]


async def claim_deliveries(pool: asyncpg.Pool, case_id: str, keys: list[Key], lease: timedelta) -> Claimed:
    """``claim_delivery`` for every key (distinct) in one statement: the attempt number of each key this attempt
    may send; a key left out is delivered or held by another live attempt."""
    if not keys:
        return {}
    rows = await pool.fetch(_CLAIM_MANY, [k[0] for k in keys], [k[1] for k in keys], case_id, lease)
    return {(r["notification_id"], r["channel_id"]): r["attempts"] for r in rows}


async def delivery_statuses(pool: asyncpg.Pool, keys: list[Key]) -> dict[Key, tuple[str, int]]:
    rows = await pool.fetch(
        """SELECT d.notification_id, d.channel_id, d.status, d.attempts
             FROM notification_deliveries d JOIN unnest($1::text[], $2::text[]) AS k(n, c)
               ON d.notification_id = k.n AND d.channel_id = k.c""",
        [k[0] for k in keys], [k[1] for k in keys])
    return {(r["notification_id"], r["channel_id"]): (r["status"], r["attempts"]) for r in rows}


async def mark_outcomes(pool: asyncpg.Pool, delivered: list[Key], refused: list[tuple[Key, str]]) -> None:
    """``mark_delivered`` and ``mark_for_retry`` for a chunk's sends, in one statement."""
    keys = [(k, "delivered", None) for k in delivered] + [(k, "retry", e) for k, e in refused]
    if keys:
        await pool.execute(
            """UPDATE notification_deliveries d
                  SET status = k.s, last_error = k.e,
                      delivered_at = CASE WHEN k.s = 'delivered' THEN now() ELSE d.delivered_at END
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(n, c, s, e)
                WHERE d.notification_id = k.n AND d.channel_id = k.c AND (k.s = 'delivered' OR d.status = 'sending')""",
            [k[0] for k, _, _ in keys], [k[1] for k, _, _ in keys], [s for _, s, _ in keys], [e for _, _, e in keys])
