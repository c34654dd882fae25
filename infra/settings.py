"""Settings, read once from the environment (prefix ``LIANDIAO_``) and the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIANDIAO_", extra="ignore")

    data_dir: Path = Path(".liandiao")
    # Set both to run against an existing Temporal cluster and PostgreSQL instead of the embedded ones.
    temporal_address: str | None = None
    database_url: str | None = None
    temporal_namespace: str = "default"
    task_queue: str = "liandiao-cases"
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    ui_port: int = Field(default=8233, ge=1, le=65535)
    policy_file: Path | None = None
    # The district's own organisation (docs/api.md §4); without it the built-in demo district (临江区) is used.
    organisation_file: Path | None = None
    public_url: str = "http://127.0.0.1:8000"  # the workbench address that messages link to (+ /cases/{id})
    notify_give_up_after_s: int = Field(default=6 * 3600, ge=1)  # a channel still failing then is `failed`
    log_level: str = "INFO"
    db_pool_max: int = Field(default=10, ge=1)
    # Open cases a worker keeps in memory. Size it above the open cases per worker: a case that falls out of
    # the cache is replayed from its history when its next deadline fires, which makes escalations late.
    max_cached_workflows: int = Field(default=5000, ge=0)
    # Workflow tasks a worker runs at once (the SDK's default). Each runs in a thread and they share one GIL;
    # the SDK's deadlock detector counts an activation's wait for the GIL against its 2 s, so on a starved
    # machine fewer slots keep the waiting in the SDK's core, where no clock runs. (8 instead of 100 drained
    # a burst at the same rate on an idle 2-core machine.) Capped at a tenth of MAX_CACHED_WORKFLOWS
    # (workers.case_worker.task_slots says why).
    max_concurrent_workflow_tasks: int = Field(default=100, ge=2)
    # How long a case's workflow task may wait on the queue of the worker that holds the case in memory (its
    # sticky queue) before the server hands it, with the whole history, to any worker. The SDK's 10 s turns a
    # morning burst into a cascade: every task that queued longer times out, and each one is then replayed from
    # its history, while the backlog lasts. The cost: when a worker dies, the tasks
    # already queued for it (a person's action on one of its cases among them) wait out this timeout; later ones
    # go to the normal queue once nobody has polled its sticky queue for about 10 s. 60 s: a minute of backlog
    # (2,000 warnings at once on 2 cores take about 30 s) without the cascade; a crash costs at most 50 s more.
    sticky_queue_timeout_s: float = Field(default=60, gt=0)
    # The Temporal SDK's Prometheus metrics (task latencies, sticky cache) at http://METRICS_HOST:PORT/metrics,
    # served by `liandiao up` and `liandiao worker`; off unless a port is set (each worker process needs its own).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Run case workflows in Temporal's sandbox, which re-imports the workflow module for every case a worker
    # loads (new, evicted or continued as new) and proxies every module access: the largest cost of a worker
    # at city scale. Off: the workflow code is pure domain logic, and the replay tests (which use
    # the sandbox) still catch any non-deterministic call.
    workflow_sandbox: bool = False
    # The embedded Temporal server's SQLite (write-ahead log): "full" fsyncs every commit (durable across a
    # power cut); "normal" is faster but may lose the last commits on a power cut or OS crash (not on a process
    # crash). An external Temporal cluster ignores it.
    temporal_sqlite_synchronous: Literal["full", "normal"] = "full"

    @property
    def metrics_address(self) -> str | None:
        return None if self.metrics_port is None else f"{self.metrics_host}:{self.metrics_port}"
    # The payload codec's keys (infra/codec.py). Default: DATA_DIR/temporal-keys.json, made by the first `up`.
    codec_key_file: Path | None = None
    # `up` restarts an embedded server that dies, waiting RESTART_BACKOFF seconds, doubling per attempt; more
    # than RESTART_ATTEMPTS deaths within five minutes stop the stack (infra/watchdog.py).
    restart_attempts: int = Field(default=5, ge=0)
    restart_backoff: float = Field(default=1.0, ge=0)

    @property
    def embedded_temporal(self) -> bool:
        return self.temporal_address is None

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None
