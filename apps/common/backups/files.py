"""Backup file names, checksums and retention: the parts both database vendors share."""

from __future__ import annotations

import datetime
import hashlib
import os
import re
from pathlib import Path

SUFFIXES = {"postgresql": ".dump", "sqlite": ".sqlite3.gz"}
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
NAME_PATTERN = re.compile(
    r"^viralcore-(?P<vendor>postgresql|sqlite)-(?P<stamp>\d{8}T\d{6}Z)"
    r"(?P<suffix>\.dump|\.sqlite3\.gz)$"
)
SIDECAR_SUFFIX = ".sha256"


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for the operator (no secrets)."""


def backup_name(vendor: str, taken_at: datetime.datetime) -> str:
    stamp = taken_at.astimezone(datetime.UTC).strftime(STAMP_FORMAT)
    return f"viralcore-{vendor}-{stamp}{SUFFIXES[vendor]}"


def parse_name(name: str) -> tuple[str, datetime.datetime] | None:
    """(vendor, time taken) of one of our backup names, or None for anything else."""
    match = NAME_PATTERN.match(name)
    if not match or SUFFIXES[match["vendor"]] != match["suffix"]:
        return None
    taken_at = datetime.datetime.strptime(match["stamp"], STAMP_FORMAT)
    return match["vendor"], taken_at.replace(tzinfo=datetime.UTC)


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def publish(temporary: Path, final: Path) -> str:
    """Rename a finished dump into place, then write its sidecar; returns the checksum.

    The sidecar is written last: a backup without one was interrupted and never counts.
    """
    if final.exists():
        raise BackupError(f"{final} already exists; wait a second and run the backup again.")
    checksum = sha256_of(temporary)
    os.replace(temporary, final)
    sidecar_temporary = final.with_name(f".{final.name}{SIDECAR_SUFFIX}.partial")
    # sha256sum's format, so `sha256sum -c` works on the backup host too.
    sidecar_temporary.write_text(f"{checksum}  {final.name}\n")
    os.replace(sidecar_temporary, sidecar_of(final))
    return checksum


def verify_checksum(path: Path) -> None:
    """Refuse a backup whose sidecar is missing or does not match its content."""
    sidecar = sidecar_of(path)
    if not sidecar.is_file():
        raise BackupError(f"No checksum file {sidecar.name} next to the backup; refusing it.")
    fields = sidecar.read_text().split()
    expected = fields[0].lower() if fields else ""
    if sha256_of(path) != expected:
        raise BackupError(
            f"Checksum mismatch: {path.name} does not match {sidecar.name}; the file is damaged "
            "or was changed. Nothing was restored."
        )


def our_backups(directory: Path) -> list[tuple[Path, datetime.datetime]]:
    """Our backup files in DIRECTORY with the time each was taken, oldest first."""
    if not directory.is_dir():
        return []
    found = [(path, parse_name(path.name)) for path in directory.iterdir() if path.is_file()]
    return sorted(((path, parsed[1]) for path, parsed in found if parsed), key=lambda pair: pair[1])


def delete_older_than(directory: Path, cutoff: datetime.datetime) -> list[Path]:
    """Delete our backups (with sidecars) taken before CUTOFF; other files are never touched."""
    deleted = []
    for path, taken_at in our_backups(directory):
        if taken_at < cutoff:
            for doomed in (path, sidecar_of(path)):
                doomed.unlink(missing_ok=True)
            deleted.append(path)
    return deleted


def newest_complete_backup(directory: Path) -> tuple[Path, datetime.datetime] | None:
    """The newest of our backups that has its checksum sidecar (so it finished), or None."""
    complete = [pair for pair in our_backups(directory) if sidecar_of(pair[0]).is_file()]
    return complete[-1] if complete else None


def backup_age_seconds(directory: Path, now: datetime.datetime) -> float:
    """Seconds since the newest complete backup was taken; -1 when there is none."""
    newest = newest_complete_backup(directory)
    if newest is None:
        return -1.0
    return max(0.0, (now - newest[1]).total_seconds())
