"""``python -m tests.benchmarks [--size full|tiny]``: run every scenario, write JSON and a Markdown table.

PostgreSQL: ``ASSEMBLY_DATABASE_URL`` (the server; the suite creates and drops its own databases,
named ``<prefix>_bench_<size>``), otherwise ``postgresql://postgres@127.0.0.1:5432/postgres``.
The app runs under ``assembly serve`` (granian) with ``--workers`` processes on ``--port``.
See docs/performance.md for what each scenario measures and the latest results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.benchmarks.harness import drop_database, recreate_database, seed_world, serve
from tests.benchmarks.scenarios import SCENARIOS, SIZES, Bench, Row, consultation_world, scenario_consultation

ALL = (*SCENARIOS, "consultation")


def _machine() -> dict[str, Any]:
    load = os.getloadavg()
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), "0")
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": model, "memory_gib": round(int(mem) / 1048576, 1),
            "python": platform.python_version(), "loadavg_at_start": [round(x, 2) for x in load]}


def markdown(rows: list[Row], meta: dict[str, Any]) -> str:
    """The results table (the one docs/performance.md shows)."""
    lines = [f"Run {meta['started']} ({meta['size']} size, {meta['workers']} workers) on {meta['machine']['cpus']} "
             f"CPUs ({meta['machine']['cpu']}), load average at start {meta['machine']['loadavg_at_start']}.",
             "",
             "| scenario | measure | value | ceiling (same run) | ratio | target | met |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        value = "n/a" if r.value is None else f"{r.value:g} {r.unit}"
        ceiling = "" if r.ceiling is None else f"{r.ceiling:g}"
        ratio = "" if r.ratio is None else f"{r.ratio:g}"
        met = {True: "yes", False: "**no**", None: ""}[r.met]
        lines.append(f"| {r.scenario} | {r.measure} | {value} | {ceiling} | {ratio} | {r.target} | {met} |")
    lines += ["", "Notes:", ""]
    lines += [f"- {r.scenario}, {r.measure}: {r.note}" for r in rows if r.note]
    return "\n".join(lines) + "\n"


async def _first_checkpoint(base_url: str, patience_s: float = 120.0) -> bool:
    """Whether the server has the audit log, once its sequencer has signed the first checkpoint.

    A new log answers 404 ``log_empty`` until the sequencer (started with the server) signs the genesis
    entry; a build without the log answers a plain 404. Waiting here keeps the first scenarios from
    reading an empty log as "no audit log" (it did once, with 250,000 delegations just seeded).
    """
    deadline = time.perf_counter() + patience_s
    async with httpx.AsyncClient(base_url=base_url) as probe:
        while True:
            response = await probe.get("/api/audit/checkpoint")
            if response.status_code == 200:
                return True
            empty = response.status_code == 404 and response.json().get("code") == "log_empty"
            if not empty:
                return False
            if time.perf_counter() > deadline:
                msg = f"the sequencer signed no checkpoint within {patience_s:.0f} s (see the server log)"
                raise RuntimeError(msg)
            await asyncio.sleep(0.2)


async def run(size_name: str, workers: int, port: int, out_dir: Path, only: list[str], prefix: str) -> dict[str, Any]:
    """Everything, in order; returns the JSON document (also written to ``out_dir``)."""
    size = SIZES[size_name]
    pg_url = os.environ.get("ASSEMBLY_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    pg_url = pg_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"{prefix}_bench_{size_name}"
    meta: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "size": size_name,
                            "workers": workers, "machine": _machine(), "sizes": asdict(size)}
    timings: dict[str, float] = {}
    started = time.perf_counter()
    db_url = await recreate_database(pg_url, name)
    secret = secrets.token_urlsafe(48)
    world = await seed_world(db_url, delegations=size.electorate, secret=secret)
    global_world = (await consultation_world(db_url, size.consultation, secret)) if "consultation" in only else None
    timings["seed_s"] = round(time.perf_counter() - started, 1)
    results: dict[str, Any] = {}
    rows: list[Row] = []
    try:
        async with serve(world, port=port, workers=workers, log_dir=out_dir) as server:
            audit = await _first_checkpoint(server.base_url)
            bench = Bench(size=size, world=world, server=server, pg_url=pg_url, out_dir=out_dir, audit=audit)
            meta["audit_log"] = audit
            for key in ALL:
                if key not in only:
                    continue
                began = time.perf_counter()
                print(f"[bench] {key} ...", file=sys.stderr, flush=True)
                try:
                    if key == "consultation":
                        assert global_world is not None
                        results[key] = await scenario_consultation(bench, global_world)
                    else:
                        results[key] = await SCENARIOS[key](bench)
                except Exception as exc:
                    results[key] = {"error": f"{type(exc).__name__}: {exc}"}
                    bench.row(key, "scenario failed", None, "", met=False, note=f"{type(exc).__name__}: {exc}"[:300])
                timings[f"{key}_s"] = round(time.perf_counter() - began, 1)
                print(f"[bench] {key} done in {timings[f'{key}_s']} s", file=sys.stderr, flush=True)
            rows = bench.rows
    finally:
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            await drop_database(pg_url, name)
    meta["timings"] = timings
    meta["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    document = {"meta": meta, "rows": [asdict(r) for r in rows], "results": results}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"bench-{size_name}.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    (out_dir / f"bench-{size_name}.md").write_text(markdown(rows, meta))
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "18500")))
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="directory for JSON and Markdown")
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {', '.join(ALL)}")
    parser.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "hbe"))
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(ALL))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    document = asyncio.run(run(args.size, args.workers, args.port, args.out, only, args.db_prefix))
    print(markdown([Row(**r) for r in document["rows"]], document["meta"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
