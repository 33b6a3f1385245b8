"""Legacy import: a generated ~1,000,000-row legacy set into PostgreSQL; rows/s and memory.

    .venv/bin/python bench/import.py                  # 85,000 users ≈ 1,025,000 rows
    .venv/bin/python bench/import.py --users 8500     # ≈ 100,000 rows, a quick look

Builds the legacy files with apps.legacy.fixture (seed 7) in a temporary folder, then, on a
freshly created and migrated database:

- baseline: the same rows read with the importer's own batched reader and written with the
  cheapest load there is: each row as one JSON document, 1,000 per multi-row INSERT, into one
  table with no index, no mapping and no checks. It measures what reading SQLite and writing
  PostgreSQL cost on this machine, in this run;
- the real import: `manage.py import_legacy --from DIR --quiet --json FILE` in a subprocess,
  its resident memory sampled every 0.5 s;
- a second run, which must import nothing (idempotence at full size).

Prints rows/s per table (from the import's own report), the total time against the aim (the
whole set in under 5 minutes), the import's rate as a ratio of the baseline's, and memory: peak
RSS and RSS at 25/50/75/100 % of the run (flat means streaming and batched inserts work).
DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/viralcore_bench_import, which is
DROPPED and recreated. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from processes import ROOT

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/viralcore_bench_import"
AIM_SECONDS = 300
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def main() -> None:
    args = _arguments()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE)
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        legacy = workdir / "legacy"
        facts = _generate(legacy, args.users)
        _recreate(database_url)
        _migrate(database_url)
        baseline = _baseline(legacy, database_url)
        first = _import(legacy, database_url, workdir / "first.json")
        second = _import(legacy, database_url, workdir / "second.json")
        _print(facts, baseline, first, second)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=85_000, help="≈12 legacy rows per user")
    parser.add_argument("--keep", action="store_true", help="keep the legacy files and reports")
    return parser.parse_args()


def _generate(legacy: Path, users: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from apps.legacy.fixture import build_legacy_set

    started = time.monotonic()
    facts = build_legacy_set(legacy, users=users, seed=7)
    print(
        f"legacy set: {facts['total_rows']:,} rows for {users:,} users, "
        f"generated in {time.monotonic() - started:.1f} s"
    )
    return facts


def _recreate(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _environment(database_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": ""}


def _migrate(database_url: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=_environment(database_url),
        check=True,
    )


def _baseline(legacy: Path, database_url: str) -> dict:
    """Every legacy row, read in the importer's batches, as JSON into one bare table."""
    import psycopg

    from apps.legacy import sources

    files = sources.open_files(legacy)
    rows = 0
    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("CREATE UNLOGGED TABLE bench_raw (source text, doc text)")
        for name, found in files.items():
            for table in found.tables:
                for batch in sources.batches(found, table):
                    _insert_raw(connection, f"{name}:{table}", batch)
                    rows += len(batch)
        connection.execute("DROP TABLE bench_raw")
    sources.close_files(files)
    seconds = time.monotonic() - started
    return {"rows": rows, "seconds": seconds, "rate": rows / seconds}


def _insert_raw(connection, source: str, batch: list[dict]) -> None:
    values = ", ".join(["(%s, %s)"] * len(batch))
    params = []
    for row in batch:
        params += [source, json.dumps(row, default=str)]
    connection.execute(f"INSERT INTO bench_raw (source, doc) VALUES {values}", params)  # noqa: S608


def _import(legacy: Path, database_url: str, report: Path) -> dict:
    command = [
        PYTHON, "manage.py", "import_legacy", "--from", str(legacy), "--quiet",
        "--json", str(report),
    ]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=ROOT, env=_environment(database_url), stdout=subprocess.DEVNULL
    )
    samples: list[tuple[float, int]] = []
    sampler = threading.Thread(target=_sample_rss, args=(process, samples), daemon=True)
    sampler.start()
    code = process.wait()
    seconds = time.monotonic() - started
    sampler.join(timeout=2)
    if not report.exists():
        raise SystemExit(f"import_legacy exited {code} without a report")
    return {
        "code": code,
        "seconds": seconds,
        "rss": samples,
        "report": json.loads(report.read_text()),
    }


def _sample_rss(process: subprocess.Popen, samples: list) -> None:
    started = time.monotonic()
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    samples.append((time.monotonic() - started, int(line.split()[1])))
        except OSError:
            return
        time.sleep(0.5)


def _print(facts: dict, baseline: dict, first: dict, second: dict) -> None:
    print(f"\nbaseline (raw JSON rows, batched INSERT): {baseline['rows']:,} rows in "
          f"{baseline['seconds']:.1f} s = {baseline['rate']:,.0f} rows/s")  # fmt: skip
    tables = first["report"]["tables"]
    print(f"\n{'table':52} {'read':>9} {'imported':>9} {'rows/s':>8}")
    for name, counts in tables.items():
        rate = counts.get("rows_per_second") or 0
        print(f"{name:52} {counts['read']:>9,} {counts['imported']:>9,} {rate:>8,}")
    total_rate = facts["total_rows"] / first["seconds"]
    verdict = "met" if first["seconds"] < AIM_SECONDS else "NOT met"
    print(
        f"\nimport: {facts['total_rows']:,} legacy rows in {first['seconds']:.1f} s "
        f"= {total_rate:,.0f} rows/s (exit {first['code']}); aim < {AIM_SECONDS} s: {verdict}"
    )
    print(f"import / baseline rate: {total_rate / baseline['rate']:.2f}")
    _print_memory(first["rss"])
    balances = first["report"]["reconciliation"]["balances"]
    print(f"balances: {balances['checked']:,} checked, {balances['differing_count']} differing")
    imported_again = sum(t["imported"] for t in second["report"]["tables"].values())
    print(f"second run: {second['seconds']:.1f} s, {imported_again} rows imported (must be 0)")


def _print_memory(samples: list) -> None:
    if not samples:
        print("memory: no samples")
        return
    peak = max(kb for _, kb in samples)
    points = [samples[min(len(samples) - 1, int(len(samples) * q))][1] for q in (0.25, 0.5, 0.75)]
    points.append(samples[-1][1])
    shown = ", ".join(f"{kb / 1024:.0f}" for kb in points)
    print(f"memory: peak RSS {peak / 1024:.0f} MB; at 25/50/75/100 % of the run: {shown} MB")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "viralcore.settings")
    main()
