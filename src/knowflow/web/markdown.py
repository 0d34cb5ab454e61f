"""User-written Markdown to safe HTML for pages; the renderers live in `knowflow.markdown`,
beside the plain-text and email forms that domains use too."""

from __future__ import annotations

from knowflow.markdown import render_markdown

__all__ = ["render_markdown"]
