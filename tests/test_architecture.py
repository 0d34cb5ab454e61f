"""The layers of docs/architecture.md, held by reading the imports of src/knowflow (with `ast`).

What counts. Every `import` and `from … import` of a module, wherever it stands (a lazy import
inside a function is a dependency all the same), resolved to the module it names; not an
import under `if TYPE_CHECKING:`, which exists for the type checker only, loads nothing and
cannot close a circle. The sources are the modules an app owns and other apps build on: every
module of the app except its composing surfaces — `views.py` and `*_views.py`, `forms.py`,
`urls.py`, `admin.py`, `api.py`, and the `templatetags/`, `management/`, `migrations/` and
`tests/` folders — which may put several apps on one page or command. The surfaces of the
whole project (`api`, `web`, `demo`, `config`, `worker.py`, `cli.py`) compose everything and
are not sources at all.

The rules, lowest layer first (`LAYERS`):

1. a pure package imports neither Django nor any other part of knowflow (other pure packages
   excepted), so it can be tested and benchmarked alone;
2. no unit imports a unit of a higher layer — so the shared modules and the infrastructure
   apps (`mail`, `search`) import no domain, a core app (accounts < topics < circles < events)
   imports neither a later core app nor a higher one, and nothing imports insights but the
   surfaces;
3. no import circle between units, even between peers of one layer (feedback, library,
   integrations).

A new package under src/knowflow must be placed in `LAYERS` before this test passes: where it
sits is a decision, not a default.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"

# Rank of each unit (a package or a top-level module of knowflow): a unit may import only
# units of its own rank or lower, and never into a circle.
PURE = 0
SHARED = 1
INFRASTRUCTURE = 2
SURFACE = 100
LAYERS: dict[str, int] = {
    # Pure algorithms: no Django, no app.
    "scheduling": PURE,
    "discovery": PURE,
    "anonymity": PURE,  # the anonymity core (which cells of a partition may be shown)
    "programme": PURE,  # the conference programme solver (CP-SAT)
    # Small shared modules every layer may use; they know no app.
    "errors": SHARED,
    "links": SHARED,
    "markdown": SHARED,
    "csvsafe": SHARED,
    "languages": SHARED,
    "pickers": SHARED,
    "slugs": SHARED,
    "l10n": SHARED,
    "lookup": SHARED,
    "sealing": SHARED,
    "idlists": SHARED,  # `column IN (…)` for long integer id lists (find an expert)
    "querybatch": SHARED,  # the --batch contract of `knowflow search` and `knowflow experts`
    # Infrastructure below every domain.
    "mail": INFRASTRUCTURE,
    "search": INFRASTRUCTURE,
    "outbound": INFRASTRUCTURE,
    # The core domains, each above the previous one.
    "accounts": 10,
    "topics": 11,
    "circles": 12,
    "events": 13,
    # Domains built on the core: peers, so they may import each other but not in a circle.
    "feedback": 20,
    "library": 20,
    "integrations": 20,
    "conferences": 20,
    # People and groups from the identity provider (SCIM): builds on accounts only.
    "scim": 20,
    "webhooks": 20,  # outgoing webhooks: receives the domains' signals (events, library, accounts)
    # Topic requests: built on the core (sessions, circles, skills) and reading the library's
    # search log and signals; the digest (25) reads it, nothing at 20 or below imports it.
    "demand": 20,
    "chat": 20,  # a circle's or topic's Slack / Teams channels, the Slack slash command
    # Who knows what: reads the evidence in events, library, circles and feedback (peers at
    # 20, none of which imports it); apps above (topic requests) add theirs through its
    # registry (expertise.sources) instead of being imported.
    "expertise": 20,
    # Reports what happened in events, library and feedback to the company's learning record
    # store: above all three, below insights; nothing but the surfaces imports it.
    "xapi": 25,
    # Reads the domains built on the core (circles, events, feedback, library) to compose each
    # person's digest email; those peers at 20 must not import it, and insights need not.
    "digest": 25,
    # A circle's health (sessions held, attendance, resources) and the lifecycle pass built on
    # it: reads circles, events and library, so it sits above them; circles cannot read events.
    "circlehealth": 25,
    # The top domain: reads everyone's results.
    "insights": 30,
    # Surfaces: compose everything, and nothing below imports them.
    "api": SURFACE,
    "web": SURFACE,
    "demo": SURFACE,
    "config": SURFACE,
    "worker": SURFACE,
    "cli": SURFACE,
}

# Parts of an app that compose pages, commands and admin screens (not sources of the rules).
COMPOSING_MODULES = {"views", "forms", "urls", "admin", "api"}
COMPOSING_FOLDERS = {"templatetags", "management", "migrations", "tests"}
DJANGO_LIBRARIES = {"ninja", "axes", "csp", "storages", "whitenoise"}  # and every django*


@dataclass(frozen=True)
class Import:
    source: str  # "events.services"
    target: str  # "integrations.services"
    line: int

    @property
    def source_unit(self) -> str:
        return self.source.split(".")[0]

    @property
    def target_unit(self) -> str:
        return self.target.split(".")[0]

    def __str__(self) -> str:
        return f"{self.source} imports {self.target} (line {self.line})"


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of `package` under `root`, by dotted name without the package prefix."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root / package).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names[".".join(parts)] = path
    return names


def is_composing(module: str) -> bool:
    parts = module.split(".")
    if len(parts) == 1:  # a top-level module such as worker.py: its unit decides
        return False
    inner = parts[1:]
    return any(
        part in COMPOSING_MODULES or part in COMPOSING_FOLDERS or part.endswith("_views")
        for part in inner
    )


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` except those under `if TYPE_CHECKING:`."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)
    return found


@functools.cache
def imports_of(root: Path, package: str) -> tuple[tuple[Import, ...], tuple[Import, ...]]:
    """(imports between units of `package`, imports of a Django library), from the sources only.

    A target is the longest module of `package` the import names: `from knowflow.events
    import services` is `events.services`, `from knowflow.events.models import Session` is
    `events.models`. Read once per tree (cached): a tree must not change after it is read.
    """
    modules = module_names(root, package)
    internal: set[Import] = set()
    django: set[Import] = set()
    for name, path in modules.items():
        if is_composing(name) or LAYERS.get(name.split(".")[0]) == SURFACE:
            continue
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in runtime_nodes(tree):
            if isinstance(node, ast.Import):
                named = [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = f"{package}.{name}".split(".")
                    anchor = here if is_package else here[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                named = [(base, alias.name) for alias in node.names]
            else:
                continue
            for dotted, member in named:
                top = dotted.split(".")[0]
                if top.startswith("django") or top in DJANGO_LIBRARIES:
                    django.add(Import(name, dotted, node.lineno))
                if top != package or dotted == package and member is None:
                    continue
                inner = dotted[len(package) + 1 :]
                if member and f"{inner}.{member}".lstrip(".") in modules:
                    inner = f"{inner}.{member}".lstrip(".")
                if inner and inner.split(".")[0] != name.split(".")[0]:
                    internal.add(Import(name, inner, node.lineno))
    return tuple(sorted(internal, key=str)), tuple(sorted(django, key=str))


def units(root: Path, package: str) -> set[str]:
    return {name.split(".")[0] for name in module_names(root, package)}


def unplaced_units(root: Path, package: str) -> list[str]:
    return sorted(units(root, package) - set(LAYERS))


def impure_imports(root: Path, package: str) -> list[Import]:
    internal, django = imports_of(root, package)
    pure = {unit for unit, rank in LAYERS.items() if rank == PURE}
    return sorted(
        [i for i in django if i.source_unit in pure]
        + [i for i in internal if i.source_unit in pure and i.target_unit not in pure],
        key=str,
    )


def upward_imports(root: Path, package: str) -> list[Import]:
    internal, _ = imports_of(root, package)
    return sorted(
        (
            i
            for i in internal
            if i.source_unit in LAYERS
            and i.target_unit in LAYERS
            and LAYERS[i.target_unit] > LAYERS[i.source_unit]
        ),
        key=str,
    )


def circles(root: Path, package: str) -> tuple[list[list[str]], list[Import]]:
    """Every elementary circle of the graph of units (each once, starting from its smallest
    unit), and the imports that make its edges."""
    internal, _ = imports_of(root, package)
    edges: dict[str, set[str]] = defaultdict(set)
    for i in internal:
        edges[i.source_unit].add(i.target_unit)
    found: list[list[str]] = []

    def walk(start: str, path: list[str]) -> None:
        for following in sorted(edges[path[-1]]):
            if following == start:
                found.append([*path, start])
            elif following > start and following not in path:
                walk(start, [*path, following])

    for start in sorted(edges):
        walk(start, [start])
    on_circle = {(a, b) for circle in found for a, b in zip(circle, circle[1:], strict=False)}
    imports = sorted(
        (i for i in internal if (i.source_unit, i.target_unit) in on_circle),
        key=str,
    )
    return found, imports


def report(title: str, lines: list[str]) -> str:
    return "\n".join([f"{title}:", *(f"  {line}" for line in lines)])


def test_every_package_is_placed_in_a_layer() -> None:
    assert unplaced_units(SOURCE, "knowflow") == [], (
        "place these in LAYERS of tests/test_architecture.py (and docs/architecture.md)"
    )


def test_pure_packages_import_neither_django_nor_an_app() -> None:
    found = impure_imports(SOURCE, "knowflow")
    assert not found, report("a pure package imports Django or an app", [str(i) for i in found])


def test_no_unit_imports_a_higher_layer() -> None:
    found = upward_imports(SOURCE, "knowflow")
    assert not found, report(
        "a lower layer imports a higher one (docs/architecture.md)", [str(i) for i in found]
    )


def test_no_import_circle_between_apps() -> None:
    found, imports = circles(SOURCE, "knowflow")
    edges = sorted({f"{i.source_unit} -> {i.target_unit}" for i in imports})
    shortest = sorted(found, key=len)[:10]
    assert not found, "\n".join(
        [
            f"{len(edges)} imports between apps lie on {len(found)} import circles",
            report("the shortest circles", [" -> ".join(c) for c in shortest]),
            report("the imports on a circle", [str(i) for i in imports]),
        ]
    )


# The checker itself, on a tiny package tree.


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "kf/__init__.py": "",
            "kf/accounts/__init__.py": "",
            "kf/accounts/models.py": "from django.db import models\n",
            "kf/accounts/views.py": "from kf.insights.selectors import dashboard\n",
            "kf/events/__init__.py": "",
            "kf/events/models.py": "from kf.accounts.models import Person\n",
            "kf/events/services.py": "def book():\n    from . import models\n",
            "kf/insights/__init__.py": "",
            "kf/insights/selectors.py": "from kf.events import services\n",
            "kf/scheduling/__init__.py": "import numpy\n",
            "kf/scheduling/slots.py": "from kf.discovery import text\n",
            "kf/discovery/__init__.py": "",
            "kf/discovery/text.py": "",
        },
    )


def test_checker_finds_no_fault_in_a_well_layered_tree(tree: Path) -> None:
    assert (circles(tree, "kf"), upward_imports(tree, "kf"), impure_imports(tree, "kf")) == (
        ([], []),
        [],
        [],
    )


def test_checker_names_each_import_of_a_circle_even_a_lazy_one(tree: Path) -> None:
    write(
        tree,
        {
            "kf/events/services.py": "def book():\n    from kf.insights import selectors\n",
            "kf/accounts/services.py": "from ..events.models import Session\n",
        },
    )

    found, imports = circles(tree, "kf")

    assert found == [["accounts", "events", "accounts"], ["events", "insights", "events"]]
    assert [str(i) for i in imports] == [
        "accounts.services imports events.models (line 1)",
        "events.models imports accounts.models (line 1)",
        "events.services imports insights.selectors (line 2)",
        "insights.selectors imports events.services (line 1)",
    ]
    assert [str(i) for i in upward_imports(tree, "kf")] == [
        "accounts.services imports events.models (line 1)",
        "events.services imports insights.selectors (line 2)",
    ]


def test_checker_finds_django_or_an_app_in_a_pure_package(tree: Path) -> None:
    write(
        tree,
        {
            "kf/scheduling/solver.py": (
                "import django.utils.timezone\nfrom kf.events.models import Occurrence\n"
            )
        },
    )

    assert [str(i) for i in impure_imports(tree, "kf")] == [
        "scheduling.solver imports django.utils.timezone (line 1)",
        "scheduling.solver imports events.models (line 2)",
    ]


def test_checker_asks_for_a_layer_for_a_new_package(tree: Path) -> None:
    write(tree, {"kf/polls/__init__.py": ""})

    assert unplaced_units(tree, "kf") == ["polls"]


def test_checker_does_not_count_an_import_for_the_type_checker_only(tree: Path) -> None:
    write(
        tree,
        {
            "kf/accounts/services.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from kf.events.models import Session\n"
                "else:\n"
                "    from kf.insights import selectors\n"
            )
        },
    )

    assert [str(i) for i in upward_imports(tree, "kf")] == [
        "accounts.services imports insights.selectors (line 5)"
    ]
