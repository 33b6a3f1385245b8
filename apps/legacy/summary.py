"""The report as a person reads it: what was read, imported, skipped and why, what differs."""

from __future__ import annotations


def summarize(report: dict, *, title: str) -> str:
    lines = [title, ""]
    lines += _files(report.get("files", {}))
    lines += _tables(report.get("tables", {}))
    lines += _reconciliation(report.get("reconciliation", {}))
    lines += _findings(report.get("findings", []))
    roundings = report.get("roundings") or {}
    if roundings.get("sub_cent") or roundings.get("float_noise"):
        lines += [
            "Rounding (half-up to cents): "
            f"{roundings.get('float_noise', 0)} float-noise values, "
            f"{roundings.get('sub_cent', 0)} real sub-cent amounts "
            f"{', '.join(roundings.get('sub_cent_ids', []))}".rstrip(),
            "",
        ]
    lines += [f"ERROR: {error}" for error in report.get("errors", [])]
    lines += [f"Note: {note}" for note in report.get("notes", [])]
    return "\n".join(lines).rstrip() + "\n"


def _files(files: dict) -> list[str]:
    if not files:
        return []
    return ["Files:"] + [f"  {name}: {state}" for name, state in files.items()] + [""]


def _tables(tables: dict) -> list[str]:
    if not tables:
        return []
    lines = ["Tables (read / imported / already imported / skipped):"]
    for name, counts in tables.items():
        skipped = sum(counts["skipped"].values())
        rate = f", {counts['rows_per_second']:,} rows/s" if counts.get("rows_per_second") else ""
        lines.append(
            f"  {name}: {counts['read']:,} / {counts['imported']:,} / "
            f"{counts['already_imported']:,} / {skipped:,}{rate}"
        )
        for reason, number in counts["skipped"].items():
            ids = counts["skipped_ids"].get(reason, [])
            shown = f" (ids {', '.join(map(str, ids))}{' …' if number > len(ids) else ''})"
            lines.append(f"      skipped {number:,}: {reason}{shown if ids else ''}")
    return [*lines, ""]


def _reconciliation(result: dict) -> list[str]:
    if not result:
        return []
    if "error" in result:
        return [f"Reconciliation: {result['error']}", ""]
    balances = result["balances"]
    totals = balances["totals_usd"]
    lines = [
        "Affiliate balances (USD), legacy vs ledger:",
        f"  checked {balances['checked']:,}, matching {balances['matching']:,}, "
        f"DIFFERING {balances['differing_count']:,}",
        f"  totals: legacy {totals['legacy']}, expected {totals['expected']} "
        f"(negatives count as 0.00), ledger {totals['ledger']}",
    ]
    for row in balances["differing"][:20]:
        lines.append(f"    {row}")
    lines += _totals(result)
    hashes = result["used_hashes"]
    lines.append(
        f"Used payment hashes: {hashes['references_checked']:,} references in the old files "
        f"checked, {hashes['missing']:,} not recorded here as used"
    )
    lines.append(f"Orphans (rows naming an unknown user): {result['orphans']}")
    for source, numbers in result["counts"].items():
        lines.append(
            f"Rows of {source}: {numbers['legacy_rows']:,} in the old file, "
            f"{numbers['imported']:,} imported"
        )
    return [*lines, ""]


def _totals(result: dict) -> list[str]:
    purchases = result["totals"]["purchases"]
    lines = [
        f"Purchases: legacy {purchases['legacy']['count']:,} for "
        f"{purchases['legacy']['amount_usd']} USD; imported {purchases['imported']['count']:,} "
        f"for {purchases['imported']['amount_usd']} USD"
    ]
    withdrawals = result["totals"].get("withdrawals") or {}
    for side in ("legacy", "imported"):
        for key, value in sorted((withdrawals.get(side) or {}).items()):
            lines.append(f"Withdrawals {side} {key}: {value['count']:,} for {value['amount']}")
    return lines


def _findings(findings: list) -> list[str]:
    if not findings:
        return []
    lines = ["Legacy inconsistencies found, and what was done:"]
    for found in findings:
        ids = ", ".join(map(str, found["ids"]))
        more = " …" if found["count"] > len(found["ids"]) else ""
        lines.append(f"  {found['kind']}: {found['count']:,} (e.g. {ids}{more})")
        lines.append(f"      → {found['action']}")
    return [*lines, ""]
