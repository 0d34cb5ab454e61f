"""What Slack accepts in a message's blocks, for the block types we send (limits from Slack's
Block Kit reference): a list of problems, empty when the message is good."""

from __future__ import annotations

MAX_BLOCKS = 50


def _text_problems(where: str, text: object, *, kind: str | None, limit: int) -> list[str]:
    if not isinstance(text, dict) or text.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{where}: not a text object"]
    problems = []
    if kind and text["type"] != kind:
        problems.append(f"{where}: must be {kind}")
    if not 1 <= len(text.get("text", "")) <= limit:
        problems.append(f"{where}: {len(text.get('text', ''))} characters (1–{limit})")
    return problems


def block_kit_problems(message: dict) -> list[str]:
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= MAX_BLOCKS:
        return [f"blocks: 1–{MAX_BLOCKS} blocks"]
    problems = []
    if not isinstance(message.get("text"), str) or not message["text"]:
        problems.append("text: a fallback text is required with blocks")
    for n, block in enumerate(blocks):
        where = f"blocks[{n}] {block.get('type')}"
        kind = block.get("type")
        if kind == "header":
            problems += _text_problems(where, block.get("text"), kind="plain_text", limit=150)
        elif kind == "section":
            problems += _text_problems(where, block.get("text"), kind=None, limit=3000)
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                problems.append(f"{where}: 1–10 elements")
            for element in elements:
                problems += _text_problems(where, element, kind=None, limit=3000)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                problems.append(f"{where}: 1–25 elements")
            ids = [e.get("action_id") for e in elements]
            if len(set(ids)) != len(ids):
                problems.append(f"{where}: action_ids must be unique")
            for element in elements:
                if element.get("type") != "button":
                    problems.append(f"{where}: only buttons expected")
                    continue
                problems += _text_problems(where, element.get("text"), kind="plain_text", limit=75)
                url = element.get("url", "")
                if not url.startswith(("https://", "http://")) or len(url) > 3000:
                    problems.append(f"{where}: button url {url!r}")
        else:
            problems.append(f"{where}: unexpected block type")
    return problems
