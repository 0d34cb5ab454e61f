"""Captions of a recording: reading WebVTT and SubRip files, passages for search, moment links.

A strict reader of our own rather than a dependency: the two formats are small, and what we
need from them is narrower than what a player accepts (timings and plain text, nothing
styled). A file is refused as a whole with a message that says where it went wrong: a
half-read transcript would make search find some of what was said and silently miss the rest.

Cue text leaves here as plain text: tags (``<v Ana>``, ``<i>``, ``<font>``), inline
timestamps and SubRip's ``{\\an8}`` placement codes are removed and entities decoded, so
nothing written in a captions file reaches a page as markup (templates escape what is left).

Search finds a recording by *passages*: consecutive cues grouped into windows of about
``PASSAGE_SECONDS``, so a phrase is matched with its context and a recording yields one
best moment instead of hundreds of one-line hits.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from knowflow.errors import DomainError

MAX_CAPTION_BYTES = 2 * 1024 * 1024  # a 3-hour talk is about 250 KB of captions
MAX_CUES = 20_000
MAX_CUE_CHARS = 1_000
MAX_MILLISECONDS = 24 * 3600 * 1000
PASSAGE_SECONDS = 30

VTT = "vtt"
SRT = "srt"


class CaptionsRefused(DomainError):
    """A captions file that cannot be read; the message says what and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="captions")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class Passage:
    start_ms: int
    end_ms: int
    text: str


# 01:02:03.456, 02:03.456 (WebVTT, hours optional) or 01:02:03,456 (SubRip).
_VTT_TIME = r"(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIME = r"(\d{1,3}):([0-5]\d):([0-5]\d),(\d{3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+.*)?$")
_SRT_TIMING = re.compile(rf"^{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}(?:[ \t]+.*)?$")
_TAG = re.compile(r"<[^>]*>")
_ASS_CODE = re.compile(r"\{\\[^}]*\}")
_SPACES = re.compile(r"\s+")


def _milliseconds(hours: str | None, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def plain_cue_text(lines: list[str]) -> str:
    """The words of a cue: markup and placement codes out, entities decoded, one line."""
    text = " ".join(lines)
    text = _ASS_CODE.sub("", _TAG.sub("", text))
    text = html.unescape(text).replace("\u00a0", " ")
    # Decoding "&lt;b&gt;" makes a tag again: take those out too, so only words remain.
    text = _TAG.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _decode(data: bytes) -> str:
    if len(data) > MAX_CAPTION_BYTES:
        raise CaptionsRefused(
            f"The captions file is larger than {MAX_CAPTION_BYTES // (1024 * 1024)} MB."
        )
    if not data.strip():
        raise CaptionsRefused("The captions file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaptionsRefused(
            "The captions file is not UTF-8 text: save it as UTF-8 and upload it again."
        ) from None
    if "\x00" in text:
        raise CaptionsRefused("The captions file is not a text file.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blocks separated by blank lines, each with the number of its first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _cue(
    *, timing: re.Match[str], text_lines: list[str], line: int, previous: Cue | None
) -> Cue | None:
    groups = timing.groups()
    start = _milliseconds(*groups[:4])
    end = _milliseconds(*groups[4:])
    if end <= start:
        raise CaptionsRefused(f"Line {line}: the cue ends before it starts.")
    if end > MAX_MILLISECONDS:
        raise CaptionsRefused(f"Line {line}: the time is past 24 hours.")
    if previous is not None and start < previous.start_ms:
        raise CaptionsRefused(
            f"Line {line}: this cue starts before the one above it; cues must be in time order."
        )
    text = plain_cue_text(text_lines)
    if len(text) > MAX_CUE_CHARS:
        raise CaptionsRefused(f"Line {line}: a cue holds more than {MAX_CUE_CHARS} characters.")
    return Cue(start_ms=start, end_ms=end, text=text) if text else None


def _parse_vtt(text: str) -> list[Cue]:
    blocks = _blocks(text)
    header = blocks[0][1][0] if blocks else ""
    if not (header == "WEBVTT" or header.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise CaptionsRefused("Line 1: a WebVTT file starts with the line “WEBVTT”.")
    cues: list[Cue] = []
    for start_line, lines in blocks[1:]:
        if lines[0].startswith(("NOTE", "STYLE", "REGION")) and "-->" not in lines[0]:
            continue
        # An optional cue identifier comes before the timing line.
        if "-->" in lines[0]:
            offset = 0
        elif len(lines) > 1 and "-->" in lines[1]:
            offset = 1
        else:
            raise CaptionsRefused(
                f"Line {start_line}: expected a timing line such as “00:01.000 --> 00:04.000”."
            )
        timing = _VTT_TIMING.match(lines[offset].strip())
        if timing is None:
            raise CaptionsRefused(
                f"Line {start_line + offset}: “{lines[offset][:60]}” is not a WebVTT timing line "
                "(such as “00:01:02.500 --> 00:01:05.000”)."
            )
        cue = _cue(
            timing=timing,
            text_lines=lines[offset + 1 :],
            line=start_line + offset,
            previous=cues[-1] if cues else None,
        )
        if cue is not None:
            cues.append(cue)
        _check_count(cues)
    return cues


def _parse_srt(text: str) -> list[Cue]:
    cues: list[Cue] = []
    for start_line, lines in _blocks(text):
        if not lines[0].strip().isdigit() or len(lines) < 2:
            raise CaptionsRefused(
                f"Line {start_line}: expected a cue number, then a timing line such as "
                "“00:00:01,000 --> 00:00:04,000”."
            )
        timing = _SRT_TIMING.match(lines[1].strip())
        if timing is None:
            raise CaptionsRefused(
                f"Line {start_line + 1}: “{lines[1][:60]}” is not a SubRip timing line "
                "(such as “00:01:02,500 --> 00:01:05,000”)."
            )
        cue = _cue(
            timing=timing,
            text_lines=lines[2:],
            line=start_line + 1,
            previous=cues[-1] if cues else None,
        )
        if cue is not None:
            cues.append(cue)
        _check_count(cues)
    return cues


def _check_count(cues: list[Cue]) -> None:
    if len(cues) > MAX_CUES:
        raise CaptionsRefused(f"The captions file holds more than {MAX_CUES:,} cues.")


def parse_captions(data: bytes) -> tuple[str, list[Cue]]:
    """The format (``"vtt"`` or ``"srt"``, told by the content) and the cues of a file.

    Raises ``CaptionsRefused`` for anything that is not a well-formed WebVTT or SubRip file
    within the limits, or one without a single spoken word.
    """
    text = _decode(data)
    stripped = text.lstrip("\n")
    if stripped.startswith("WEBVTT"):
        kind, cues = VTT, _parse_vtt(text)
    elif stripped[:1].isdigit():
        kind, cues = SRT, _parse_srt(text)
    else:
        raise CaptionsRefused(
            "This is neither a WebVTT file (it starts with “WEBVTT”) nor a SubRip file "
            "(it starts with the cue number 1)."
        )
    if not cues:
        raise CaptionsRefused("The captions file holds no cue with text.")
    return kind, cues


def passages(cues: list[Cue], *, seconds: int = PASSAGE_SECONDS) -> list[Passage]:
    """Consecutive cues grouped into windows of about ``seconds``: a new passage starts with
    the first cue that begins ``seconds`` or more after the passage's own start."""
    found: list[Passage] = []
    group: list[Cue] = []
    for cue in cues:
        if group and cue.start_ms - group[0].start_ms >= seconds * 1000:
            found.append(_passage(group))
            group = []
        group.append(cue)
    if group:
        found.append(_passage(group))
    return found


def _passage(group: list[Cue]) -> Passage:
    return Passage(
        start_ms=group[0].start_ms,
        end_ms=max(c.end_ms for c in group),
        text=" ".join(c.text for c in group),
    )


def timestamp(milliseconds: int) -> str:
    """``754000`` → ``"12:34"``; past an hour ``"1:02:03"``."""
    total = milliseconds // 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"}
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}


def moment_url(url: str, milliseconds: int) -> str:
    """``url`` opened at a moment: YouTube's ``t`` parameter, Vimeo's ``#t=…s`` and, for a
    media file or any other page, the media fragment ``#t=SECONDS`` (which browsers' own
    players honour)."""
    seconds = milliseconds // 1000
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in _YOUTUBE_HOSTS:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        query.append(("t", str(seconds)))
        return urlunsplit(parts._replace(query=urlencode(query), fragment=""))
    if host in _VIMEO_HOSTS:
        return urlunsplit(parts._replace(fragment=f"t={seconds}s"))
    return urlunsplit(parts._replace(fragment=f"t={seconds}"))
