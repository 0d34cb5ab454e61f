"""JSON Schemas for what Knowflow posts to Microsoft Teams: the message a Workflows webhook
takes (``type: message`` with attachments) and the subset of Adaptive Cards 1.4 we use
(TextBlock, RichTextBlock with TextRuns, FactSet, Action.OpenUrl), written from the Adaptive
Cards schema reference (adaptivecards.io/explorer): only the properties and values listed
there, none else allowed, so a typo in a property name or a value fails the test."""

from __future__ import annotations

_TEXT_SIZES = ["Default", "Small", "Medium", "Large", "ExtraLarge"]
_WEIGHTS = ["Default", "Lighter", "Bolder"]
_HTTPS_OR_HTTP = {"type": "string", "pattern": r"^https?://[^\s]+$"}

TEXT_BLOCK = {
    "type": "object",
    "properties": {
        "type": {"const": "TextBlock"},
        "text": {"type": "string", "minLength": 1},
        "size": {"enum": _TEXT_SIZES},
        "weight": {"enum": _WEIGHTS},
        "wrap": {"type": "boolean"},
        "isSubtle": {"type": "boolean"},
    },
    "required": ["type", "text"],
    "additionalProperties": False,
}

RICH_TEXT_BLOCK = {
    "type": "object",
    "properties": {
        "type": {"const": "RichTextBlock"},
        "inlines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "type": {"const": "TextRun"},
                    "text": {"type": "string", "minLength": 1},
                    "size": {"enum": _TEXT_SIZES},
                    "weight": {"enum": _WEIGHTS},
                },
                "required": ["type", "text"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["type", "inlines"],
    "additionalProperties": False,
}

FACT_SET = {
    "type": "object",
    "properties": {
        "type": {"const": "FactSet"},
        "facts": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string", "minLength": 1},
                    "value": {"type": "string", "minLength": 1},
                },
                "required": ["title", "value"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["type", "facts"],
    "additionalProperties": False,
}

OPEN_URL = {
    "type": "object",
    "properties": {
        "type": {"const": "Action.OpenUrl"},
        "title": {"type": "string", "minLength": 1},
        "url": _HTTPS_OR_HTTP,
    },
    "required": ["type", "url"],
    "additionalProperties": False,
}

ADAPTIVE_CARD = {
    "type": "object",
    "properties": {
        "$schema": {"const": "http://adaptivecards.io/schemas/adaptive-card.json"},
        "type": {"const": "AdaptiveCard"},
        "version": {"enum": ["1.4", "1.5"]},
        "body": {
            "type": "array",
            "minItems": 1,
            "items": {"oneOf": [TEXT_BLOCK, RICH_TEXT_BLOCK, FACT_SET]},
        },
        "actions": {"type": "array", "items": OPEN_URL},
    },
    "required": ["type", "version", "body"],
    "additionalProperties": False,
}

TEAMS_MESSAGE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "contentUrl": {"type": "null"},
                    "content": ADAPTIVE_CARD,
                },
                "required": ["contentType", "content"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["type", "attachments"],
    "additionalProperties": False,
}
