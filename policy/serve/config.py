"""What one `policy serve` runs with (the command line's options, as values)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ServeConfig:
    tables: str | None = None  # the tables folder (None: as every command finds it)
    policy: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    decision_log: str | None = None  # None: no log
    log_inputs: str = "hash"  # hash | full | none: how a decision's inputs are logged
    log_max_bytes: int = 64 << 20  # rotation size
    log_sync: str = "group"  # group | line: one fsync per commit, or per line
    jwks: str | None = None  # a JWK Set file: every /v1 and /cds-services request needs a JWT
    jwt_issuers: tuple[str, ...] = ()
    jwt_audience: str | None = None  # the public base URL tokens are issued for
    workers: int = 1
    reload_interval: float = 2.0  # seconds between looks at the tables (0: SIGHUP only)
    max_body: int = 1 << 20  # bytes
    max_depth: int = 32  # JSON nesting (the case-file loader's limit)
    max_batch: int = 1000  # cases in one /v1/batch request
    request_timeout: float = 10.0  # seconds for a request, its body included
    site_url: str | None = None  # where the policy's site is published (cards link to it)
    worker: int | None = None  # set for each worker of several

    def for_worker(self, index: int) -> ServeConfig:
        """This configuration for worker `index` of several: its own decision log
        (`decisions.jsonl` -> `decisions-w1.jsonl`), since one file has one writer."""
        log = self.decision_log
        if log is not None:
            stem, dot, suffix = log.rpartition(".")
            log = f"{stem}-w{index}.{suffix}" if dot and "/" not in suffix else f"{log}-w{index}"
        return replace(self, decision_log=log, worker=index)
