"""The lawyer's bundle: a BagIt 1.0 bag (RFC 8493) in a ZIP, verifiable with sha256sum or bagit alone.

Originals are streamed from the vault, re-hashed on the way and compared with the hash taken
at intake (a mismatch stops the export); the payload manifest is written from those hashes.
No local paths and no contacts unrelated to the findings enter the bag.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from complaints.assembly import CaseFile
from evidence.atomic import commit_temp, discard_temp, open_temp
from evidence.errors import UsageError, VerificationFailed
from evidence.resources import resource_dir

BAG = "locker-bundle"
SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class BundleResult:
    path: Path
    originals: int
    files: int


def safe_name(n: int, name: str) -> str:
    """An ASCII-only name that keeps the extension and cannot climb out of data/."""
    stem, dot, ext = Path(name).name.rpartition(".")
    if not dot:
        stem, ext = ext, ""
    cleaned = SAFE.sub("_", stem).strip("._")[:60] or "item"
    ext = SAFE.sub("", ext)[:10]
    return f"{n:03d}_{cleaned}" + (f".{ext}" if ext else "")


def _csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read the Chinese


def scope(case: CaseFile) -> tuple[list[Any], list[Any], list[Any]]:
    """(findings, events, items) for the bag: with a party, only what its findings stand on."""
    findings = [f for f in case.findings if case.party is None or f.party == case.party.name]
    if case.party is None:
        return findings, list(case.events), list(case.items)
    event_ids = {e for f in findings for e in f.events}
    item_ids = {i for f in findings for i in f.items}
    return (
        findings,
        [e for e in case.events if e.id in event_ids],
        [i for i in case.items if i.id in item_ids],
    )


def export_bundle(
    case: CaseFile, out_zip: Path, reports: Sequence[Path], custody_log: Sequence[dict[str, Any]]
) -> BundleResult:
    if case.originals is None:
        raise UsageError("the originals are needed to export a bundle")
    findings, events, items = scope(case)
    tz = case.timezone
    payload: list[
        tuple[str, bytes | None, str, int]
    ] = []  # (path in bag, bytes or None=stream, sha256, size)
    temp, raw = open_temp(out_zip.resolve().parent)
    try:
        with raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for n, item in enumerate(items, 1):
                arc = f"data/originals/{safe_name(n, item.name)}"
                digest = hashlib.sha256()
                size = 0
                with case.originals(item.id) as src, z.open(f"{BAG}/{arc}", "w", force_zip64=True) as dst:
                    while chunk := src.read(1 << 20):
                        digest.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
                if digest.hexdigest() != item.sha256 or size != item.size:
                    raise VerificationFailed(
                        f"item {item.id} does not match its recorded hash: run `locker verify`"
                    )
                payload.append((arc, None, item.sha256, size))
            docs: list[tuple[str, bytes]] = []
            for n, report in enumerate(reports, 1):
                docs.append((f"data/reports/{safe_name(n, report.name)}", report.read_bytes()))
            docs.append(
                (
                    "data/custody-log.jsonl",
                    "".join(
                        json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in custody_log
                    ).encode(),
                )
            )
            docs.append(
                (
                    "data/events.csv",
                    _csv(
                        [
                            [
                                "id",
                                "item",
                                "kind",
                                "direction",
                                "number",
                                "number_class",
                                "local_time",
                                "tz_assumed",
                                "duration",
                                "status",
                                "text",
                                "party",
                                "declared",
                            ]
                        ]
                        + [
                            [
                                e.id,
                                e.item,
                                e.kind,
                                e.direction,
                                e.number,
                                e.number_class,
                                e.at.astimezone(tz).isoformat(),
                                e.tz_assumed,
                                e.duration,
                                e.status,
                                e.text,
                                e.party,
                                e.declared,
                            ]
                            for e in events
                        ]
                    ),
                )
            )
            docs.append(
                (
                    "data/findings.csv",
                    _csv(
                        [
                            [
                                "id",
                                "category",
                                "rule",
                                "local_time",
                                "numbers",
                                "party",
                                "events",
                                "items",
                                "strength",
                                "status",
                                "explanation",
                            ]
                        ]
                        + [
                            [
                                f.id,
                                f.category,
                                f.rule,
                                f.at.astimezone(tz).isoformat(),
                                " ".join(f.numbers),
                                f.party,
                                " ".join(map(str, f.events)),
                                " ".join(map(str, f.items)),
                                f.strength,
                                f.status,
                                f.explanation,
                            ]
                            for f in findings
                        ]
                    ),
                )
            )
            for arc, data in docs:
                z.writestr(f"{BAG}/{arc}", data)
                payload.append((arc, data, hashlib.sha256(data).hexdigest(), len(data)))
            tags = _tag_files(case, payload, custody_log)
            for name, data in tags.items():
                z.writestr(f"{BAG}/{name}", data)
            tagmanifest = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(tags.items()))
            z.writestr(f"{BAG}/tagmanifest-sha256.txt", tagmanifest)
            raw.flush()
            os.fsync(raw.fileno())
        commit_temp(temp, out_zip)
    except BaseException:
        discard_temp(temp)
        raise
    return BundleResult(out_zip, len(items), len(payload))


def _tag_files(
    case: CaseFile, payload: list[tuple[str, bytes | None, str, int]], custody_log: Sequence[dict[str, Any]]
) -> dict[str, bytes]:
    head = custody_log[-1]["hash"] if custody_log else case.custody_head
    first_added = min((i.added_at for i in case.items), default=case.generated_at).astimezone(case.timezone)
    env = Environment(
        loader=FileSystemLoader(resource_dir("templates") / "bundle"), undefined=StrictUndefined
    )
    verify = env.get_template("VERIFY.txt.j2").render(head=head, first_added=first_added.strftime("%Y-%m-%d"))
    octets = sum(size for *_, size in payload)
    info = [
        "Source-Organization: locker (evidence locker), exported by the complainant",
        f"Bagging-Date: {case.generated_at.astimezone(case.timezone).date().isoformat()}",
        f"Payload-Oxum: {octets}.{len(payload)}",
        "External-Description: Evidence of debt-collection harassment"
        + (f" ({case.party.name})" if case.party else ""),
        f"Locker-Custody-Head: {head}",
    ]
    return {
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": ("\n".join(info) + "\n").encode("utf-8"),
        "manifest-sha256.txt": "".join(f"{sha}  {arc}\n" for arc, _, sha, _ in payload).encode(),
        "VERIFY.txt": verify.encode("utf-8"),
    }
