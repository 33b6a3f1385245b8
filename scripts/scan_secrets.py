#!/usr/bin/env python3
"""Fail when a committed file holds something that looks like a real secret.

Scans the files git tracks (or the paths given). Prints file, line and kind, never the value.
Test fixtures build token-shaped strings at run time, so nothing here needs an allow-list.
Usage: python scripts/scan_secrets.py [--repo DIR] [PATH ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

PATTERNS = {
    "Telegram bot token": re.compile(r"(?<![0-9])[0-9]{8,10}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"),
    "Flutterwave secret key": re.compile(r"FLWSECK(?:_TEST)?-[0-9a-fA-F]{32}-X"),
    "Flutterwave public key": re.compile(r"FLWPUBK(?:_TEST)?-[0-9a-fA-F]{32}-X"),
    "Flutterwave encryption key": re.compile(r"FLWSECK_TEST[0-9a-fA-F]{12}\b"),
    "PEM private key": re.compile(
        r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{64,}"
    ),
    "labelled private key": re.compile(
        r"(?i)(?:private[_-]?key|mnemonic|seed[_-]?phrase)[\"']?\s*[:=]\s*[\"']?(?:0x)?[0-9a-f]{64}\b"
    ),
}
MAX_FILE_BYTES = 2 * 1024 * 1024


def tracked_files(repo: Path) -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - the git on PATH is the one CI checked out with
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    return [repo / name for name in listing.decode().split("\0") if name]


def findings_in(path: Path) -> list[tuple[int, str]]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return []
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # binary or unreadable: not source we commit secrets into by hand
    found = []
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            found.append((text.count("\n", 0, match.start()) + 1, kind))
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path.cwd())
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.paths or tracked_files(args.repo)
    problems = [(path, line, kind) for path in paths for line, kind in findings_in(path)]
    for path, line, kind in problems:
        print(f"{path}:{line}: looks like a {kind}; remove it and rotate the secret")
    if problems:
        print(f"secret scan: {len(problems)} finding(s) in {len(paths)} files")
        return 1
    print(f"secret scan: clean ({len(paths)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
