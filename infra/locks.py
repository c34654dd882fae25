"""Every PostgreSQL advisory-lock key LianDiao takes, in one registry so no two users share a key by accident.

Keys are ``pg_advisory_xact_lock`` arguments (bigint). Add a new member here, never reuse a number."""

from __future__ import annotations

from enum import IntEnum


class AdvisoryLock(IntEnum):
    MIGRATION = 7_211_004  # one migrator at a time
    PROJECTOR = 7_211_005  # one projector writes the read models at a time
    SEALER = 7_211_006  # one sealer at a time, so the seals form one chain (it once shared 7_211_005)
    TRANSPARENCY_LOG = 7_211_016  # one log integrator (and tree-head signer) at a time
    ANNOUNCED_YEARS = 7_211_028  # one holiday-schedule load at a time, so each names the one it replaced
