"""What a run saw and did, table by table: counts, skips with reasons, findings.

Counts are exact; the ids listed per reason are capped (SAMPLE_LIMIT) so a report on a million
rows stays readable, and each list says how many it left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

SAMPLE_LIMIT = 20


@dataclass
class TableCounts:
    read: int = 0
    imported: int = 0
    already: int = 0  # imported by an earlier run (or linked to an existing row)
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0

    def skip(self, reason: str, legacy_id) -> None:
        self.skipped[reason] += 1
        if len(self.samples[reason]) < SAMPLE_LIMIT:
            self.samples[reason].append(legacy_id)

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "imported": self.imported,
            "already_imported": self.already,
            "skipped": dict(self.skipped),
            "skipped_ids": {reason: ids for reason, ids in self.samples.items()},
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.read / self.seconds) if self.seconds else None,
        }


@dataclass
class Finding:
    """A legacy inconsistency and what the import did about it."""

    kind: str
    action: str
    count: int = 0
    ids: list = field(default_factory=list)

    def add(self, legacy_id) -> None:
        self.count += 1
        if len(self.ids) < SAMPLE_LIMIT:
            self.ids.append(legacy_id)


class Report:
    def __init__(self):
        self.files: dict[str, str] = {}
        self.tables: dict[str, TableCounts] = defaultdict(TableCounts)
        self.findings: dict[str, Finding] = {}
        self.roundings = {"float_noise": 0, "sub_cent": 0, "sub_cent_ids": []}
        self.notes: list[str] = []
        self.errors: list[str] = []
        self.reconciliation: dict = {}

    def table(self, source: str) -> TableCounts:
        return self.tables[source]

    def finding(self, kind: str, action: str, legacy_id) -> None:
        found = self.findings.setdefault(kind, Finding(kind=kind, action=action))
        found.add(legacy_id)

    def rounded(self, source: str, legacy_id, change: Decimal, *, sub_cent: bool) -> None:
        if not change:
            return
        if not sub_cent:
            self.roundings["float_noise"] += 1
            return
        self.roundings["sub_cent"] += 1
        if len(self.roundings["sub_cent_ids"]) < SAMPLE_LIMIT:
            self.roundings["sub_cent_ids"].append(f"{source}#{legacy_id} ({change:+})")

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "tables": {name: counts.as_dict() for name, counts in self.tables.items()},
            "findings": [
                {"kind": f.kind, "action": f.action, "count": f.count, "ids": f.ids}
                for f in self.findings.values()
            ],
            "roundings": self.roundings,
            "notes": self.notes,
            "errors": self.errors,
            "reconciliation": self.reconciliation,
        }
