"""``knowflow duplicates [--json] [--refresh]`` lists the duplicate clusters (sessions and
stand-alone library resources, each member with its kind);
``knowflow duplicates pairs FILE.jsonl`` scores given pairs of imported talks.

Pairs mode reads lines ``{"a": ID, "b": ID}`` where the IDs are the talks' ids in the import
file (kept by the library as ``external_id``) and prints one JSON line per input line:
``{"a": …, "b": …, "score": 0.87, "duplicate": true}`` — the decision the product makes at its
shipped threshold, with the corpus statistics of every session in the database (sessions
only, as before resources took part in detection: the talks are sessions). A pair with
an unknown ID, or a line that is not such an object, gets ``"error"`` instead: one bad pair
never stops the others.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowflow.discovery import duplicates as D
from knowflow.insights import services
from knowflow.insights.models import DetectorSnapshot, DuplicateCluster
from knowflow.insights.selectors import detection


class Command(BaseCommand):
    help = "List duplicate clusters, or score pairs of imported talks (pairs FILE.jsonl)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", nargs="?", choices=["pairs"], help="pairs: score the pairs of FILE"
        )
        parser.add_argument(
            "file", nargs="?", help='JSON Lines of {"a": ID, "b": ID} (\'-\' for stdin)'
        )
        parser.add_argument("--json", action="store_true", help="one JSON object per cluster")
        parser.add_argument("--refresh", action="store_true", help="run the detection first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "pairs":
            if not options["file"]:
                raise CommandError("Give the pairs file: knowflow duplicates pairs FILE.jsonl")
            self.pairs(options["file"])
            return
        if options["file"]:
            raise CommandError(f"Unknown argument '{options['file']}'.")
        if options["refresh"] or not DetectorSnapshot.objects.exists():
            report = services.duplicates_detect()
            if not options["json"]:
                self.stderr.write(
                    f"Detection: {report.sessions} sessions, {report.resources} resources, "
                    f"{report.pairs} pairs, "
                    f"{report.clusters} new clusters in {report.seconds:.1f} s."
                )
        self.clusters(as_json=options["json"])

    def clusters(self, *, as_json: bool) -> None:
        clusters = DuplicateCluster.objects.prefetch_related("sessions", "resources").order_by(
            "-score", "id"
        )
        for cluster in clusters:
            sessions = sorted(cluster.sessions.all(), key=lambda s: s.pk)
            resources = sorted(cluster.resources.all(), key=lambda r: r.pk)
            # Each member names its kind: a session and a resource may share an id.
            members = [
                {"kind": "session", "id": s.pk, "slug": s.slug, "title": s.title} for s in sessions
            ] + [
                {
                    "kind": "resource",
                    "id": r.pk,
                    "slug": r.slug,
                    "title": r.title,
                    "resource_kind": r.kind,
                }
                for r in resources
            ]
            if as_json:
                record = {
                    "id": cluster.pk,
                    "status": cluster.status,
                    "score": cluster.score,
                    "merged_into": cluster.merged_into_id,
                    "merged_into_resource": cluster.merged_into_resource_id,
                    "members": members,
                    "sessions": [{"id": s.pk, "slug": s.slug, "title": s.title} for s in sessions],
                }
                self.stdout.write(json.dumps(record, ensure_ascii=False))
            else:
                self.stdout.write(
                    f"cluster {cluster.pk} · {cluster.get_status_display()} · score {cluster.score:.2f}"
                )
                for m in members:
                    self.stdout.write(f"  {m['kind']:<8} {m['id']:>7}  {m['title']}")

    def pairs(self, path: str) -> None:
        if path == "-":
            lines = sys.stdin.read().splitlines()
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"No such file: {path}")
            lines = file.read_text(encoding="utf-8").splitlines()
        requests: list[tuple[object, object] | str] = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                requests.append((record["a"], record["b"]))
            except (ValueError, KeyError, TypeError):
                requests.append(f"line {number} is not an object with 'a' and 'b'")
        ids = [str(x) for r in requests if isinstance(r, tuple) for x in r]
        session_of = detection.sessions_by_external_id(ids)
        scorer = (
            D.Scorer(detection.session_docs(detection.detectable_sessions()))
            if session_of
            else None
        )
        wanted: list[tuple[int, int]] = []
        for r in requests:
            if isinstance(r, tuple) and str(r[0]) in session_of and str(r[1]) in session_of:
                a, b = session_of[str(r[0])], session_of[str(r[1])]
                if scorer is not None and a in scorer and b in scorer:
                    wanted.append((a, b))
        scores = iter(scorer.score_pairs(wanted) if scorer is not None and wanted else [])
        for r in requests:
            if isinstance(r, str):
                self.stdout.write(json.dumps({"a": None, "b": None, "error": r}))
                continue
            a, b = r
            missing = [
                str(x)
                for x in (a, b)
                if str(x) not in session_of or (scorer and session_of[str(x)] not in scorer)
            ]
            if missing:
                self.stdout.write(
                    json.dumps(
                        {"a": a, "b": b, "error": f"unknown id: {', '.join(missing)}"},
                        ensure_ascii=False,
                    )
                )
                continue
            result = next(scores)
            self.stdout.write(
                json.dumps(
                    {
                        "a": a,
                        "b": b,
                        "score": round(result.score, 4),
                        "duplicate": result.duplicate,
                    },
                    ensure_ascii=False,
                )
            )
