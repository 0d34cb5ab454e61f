"""The search index sits below every domain, and the core apps import upwards never.

Counted as issue 12 counts it: from a core app's models, services, selectors, signals and
search modules, and every module of ours those import (at any depth, lazy imports too),
nothing reaches an app above it. Pages (views, forms, urls, admin, the API) may compose
several apps and are not counted. ``knowflow.search`` reaches no app at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import knowflow

ROOT = Path(knowflow.__file__).parent
# Lower first. An app may import those before it; the pure packages and our top-level
# modules (errors, links, pickers…) are below everything.
LAYERS = ["search", "accounts", "topics", "circles", "events"]
HIGHER = {"feedback", "library", "integrations", "insights", "api", "web", "demo"}
PURE = {"scheduling", "discovery"}
COUNTED = ["models", "services", "selectors", "signals", "search"]
# Edges another slice of issue 12 removes (the outbox moves to ``knowflow.mail``): listed so
# that a new one fails here while these are worked on.
KNOWN = {("events", "integrations")}


def _module_path(name: str) -> Path | None:
    parts = name.split(".")[1:]
    base = ROOT.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _imports(name: str) -> set[str]:
    """Our modules that ``name`` imports, wherever in the file the import is."""
    path = _module_path(name)
    if path is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("knowflow."))
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("knowflow")
        ):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _module_path(sub) else node.module)
    return found


def _app(module: str) -> str:
    """The app (or pure package) a module of ours belongs to; "" for a top-level module
    (``knowflow.errors``)."""
    first = module.split(".")[1]
    return first if (ROOT / first / "__init__.py").exists() else ""


def _upward(start: list[str], allowed: set[str]) -> set[tuple[str, str, str]]:
    """(importing module, imported module, its app) for every import of an app outside
    ``allowed`` reached from ``start``; the allowed modules reached are followed too."""
    seen, todo, upward = set(start), list(start), set()
    while todo:
        module = todo.pop()
        for imported in _imports(module):
            target = _app(imported)
            if target not in allowed:
                upward.add((module, imported, target))
            elif imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return upward


def _upward_imports(app: str) -> set[tuple[str, str, str]]:
    below = LAYERS[1 : LAYERS.index(app) + 1] if app != "search" else ["search"]
    allowed = {"search", "", *below} | PURE
    start = [f"knowflow.{app}.{m}" for m in COUNTED if _module_path(f"knowflow.{app}.{m}")]
    return _upward(start, allowed)


def test_search_imports_no_app():
    assert _upward_imports("search") == set()


def test_core_apps_import_no_app_above_them():
    found = {
        (app, module, imported)
        for app in LAYERS[1:]
        for module, imported, target in _upward_imports(app)
        if (app, target) not in KNOWN
    }

    assert found == set()


def test_the_check_follows_imports_and_sees_an_app_outside_the_allowed():
    # The library's services import events (allowed for the library, not for this check).
    found = _upward(["knowflow.library.services"], {"library", ""})

    assert ("knowflow.library.services", "knowflow.events.services", "events") in found
    assert _app("knowflow.library.models") == "library"
    assert _app("knowflow.errors") == ""
