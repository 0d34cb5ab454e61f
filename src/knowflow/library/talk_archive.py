"""Reading talk archives: JSON Lines (the shared corpus format) and pyvideo checkouts.

This module only reads and checks: it turns each record into a ``Talk`` whose every field has
the type and length the importer writes, or reports the line (or file) with the reason it was
skipped. It writes nothing; ``library.importers.talks_import`` writes the checked talks. So an
archive can be read, counted and checked without a database.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowflow.discovery.taxonomy import clean_tag
from knowflow.links import is_web_url

DEFAULT_MINUTES = 45
MAX_TITLE = 200
LANGUAGES = {"eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es",
             "ita": "it", "por": "pt", "jpn": "ja", "zho": "zh", "chi": "zh", "rus": "ru",
             "pol": "pl", "nld": "nl", "dut": "nl", "kor": "ko", "ces": "cs", "cze": "cs"}  # fmt: skip


@dataclass
class LineError:
    line: int
    message: str
    file: str = ""  # for imports that read many files (pyvideo)

    def __str__(self) -> str:
        where = self.file or f"line {self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Talk:
    """One talk, checked: every field has the type the importer writes."""

    line: int
    id: str
    title: str
    description: str
    speakers: tuple[str, ...]
    event_slug: str
    event_title: str
    recorded: date | None
    language: str
    tags: tuple[str, ...]
    minutes: int
    video_url: str
    licence: str


class BadRecord(ValueError):
    pass


def _text(record: dict, key: str, *, required: bool = False, limit: int | None = None) -> str:
    value = record.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadRecord(f"'{key}' must be a string")
    value = value.strip()
    if required and not value:
        raise BadRecord(f"'{key}' is missing")
    return value[:limit] if limit else value


def talk_from_record(record: object, *, line: int) -> Talk:
    """Check one decoded JSON record of the talks schema; raise ``BadRecord`` with the reason."""
    if not isinstance(record, dict):
        raise BadRecord("a talk must be a JSON object")
    talk_id = _text(record, "id", required=True, limit=300)
    title = _text(record, "title", required=True)
    speakers = record.get("speakers") or []
    if not isinstance(speakers, list) or not all(isinstance(s, str) for s in speakers):
        raise BadRecord("'speakers' must be a list of names")
    event = record.get("event") or {}
    if not isinstance(event, dict):
        raise BadRecord("'event' must be an object with a slug and a title")
    event_title = str(event.get("title") or event.get("slug") or "").strip()[:120]
    recorded = None
    if record.get("recorded"):
        try:
            recorded = date.fromisoformat(str(record["recorded"])[:10])
        except ValueError as error:
            raise BadRecord(
                f"'recorded' is not a date like 2017-03-16: {record['recorded']!r}"
            ) from error
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadRecord("'tags' must be a list of strings")
    duration = record.get("duration")
    if duration is not None and (not isinstance(duration, int | float) or duration < 0):
        raise BadRecord("'duration' must be a number of seconds")
    minutes = max(1, min(int(duration) // 60, 24 * 60)) if duration else DEFAULT_MINUTES
    video_url = _text(record, "video_url", limit=1000)
    if video_url and not is_web_url(video_url):
        raise BadRecord(f"'video_url' is not a web address: {video_url[:80]!r}")
    language = _text(record, "language", limit=16) or "en"
    return Talk(
        line=line,
        id=talk_id,
        title=title[:MAX_TITLE],
        description=_text(record, "description"),
        speakers=tuple(dict.fromkeys(s.strip()[:150] for s in speakers if s.strip())),
        event_slug=str(event.get("slug") or "").strip()[:140],
        event_title=event_title,
        recorded=recorded,
        language=LANGUAGES.get(language.lower(), language.lower()),
        tags=tuple(dict.fromkeys(clean_tag(t) for t in tags if clean_tag(t))),
        minutes=minutes,
        video_url=video_url,
        licence=_text(record, "video_license", limit=200),
    )


def open_text(path: Path) -> io.TextIOBase:
    """A text stream over ``path``, gunzipped when it is gzip (told by its first bytes)."""
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")  # type: ignore[return-value]
    return open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - the caller closes it


def read_talks_jsonl(path: Path, errors: list[LineError]) -> Iterator[Talk]:
    """Talks of a JSON Lines file; broken lines go to ``errors`` with their numbers."""
    with open_text(path) as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield talk_from_record(json.loads(line.strip()), line=number)
            except json.JSONDecodeError as error:
                errors.append(
                    LineError(number, f"not valid JSON ({error.msg} at column {error.colno})")
                )
            except BadRecord as error:
                errors.append(LineError(number, str(error)))


def read_pyvideo(root: Path, errors: list[LineError]) -> Iterator[Talk]:
    """Talks of a pyvideo data checkout: ``<event>/category.json`` and ``<event>/videos/*.json``.

    The talk id is ``<event dir>/<video slug>``, the same ids as the shared corpus, so a talk
    imported from either source is the same talk.
    """
    for category_file in sorted(root.glob("*/category.json")):
        event_dir = category_file.parent
        try:
            category = json.loads(category_file.read_text(encoding="utf-8"))
            if not isinstance(category, dict):
                raise BadRecord("category.json must be an object")
        except (json.JSONDecodeError, BadRecord, OSError, UnicodeDecodeError) as error:
            errors.append(
                LineError(0, f"cannot read it ({error})", file=str(category_file.relative_to(root)))
            )
            continue
        event = {"slug": event_dir.name, "title": category.get("title") or event_dir.name}
        for number, video_file in enumerate(sorted((event_dir / "videos").glob("*.json")), 1):
            where = str(video_file.relative_to(root))
            try:
                video = json.loads(video_file.read_text(encoding="utf-8"))
                if not isinstance(video, dict):
                    raise BadRecord("a video must be a JSON object")
                links = video.get("videos") or []
                url = next(
                    (v.get("url") for v in links if isinstance(v, dict) and v.get("url")), ""
                )
                record = {
                    "id": f"{event_dir.name}/{video.get('slug') or video_file.stem}",
                    "title": video.get("title"),
                    "description": video.get("description") or video.get("summary") or "",
                    "speakers": video.get("speakers") or [],
                    "event": event,
                    "recorded": video.get("recorded"),
                    "language": video.get("language") or "eng",
                    "tags": video.get("tags") or [],
                    "duration": video.get("duration"),
                    "video_url": url,
                    "video_license": video.get("copyright_text") or None,
                }
                yield talk_from_record(record, line=number)
            except (json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
                errors.append(LineError(number, f"not valid JSON ({error})", file=where))
            except BadRecord as error:
                errors.append(LineError(number, str(error), file=where))
