"""The import contract of DESIGN.md's layers, read from the source with ``ast`` (nothing is imported).

* ``tenancy`` is the bottom: businesses, staff, the audit trail, scoping. It imports no other app of ours but the
  engine's clock (``programs.clock``, so audit times follow a backfill's ``clock.travel``); its models name the
  engine's rows by string.
* ``programs`` (the engine) never imports the apps built on it: ``bulk``, ``portal``, ``pages``, ``wallet``,
  ``analytics``, ``webhooks``, nor ``themes``' internals or ``tenancy``'s wiring (it uses tenancy's services,
  registry and scoped admin bases). Those apps react to the engine through its outbox.
* Inside ``programs``: models import no services, selectors, API or admin; services no API or admin; the read
  side (selectors, pricing) no services; the hand-built statements (``programs.services._fastsql``) are
  imported only by the services that own the rows they write and by the API's fixed-shape reads.
* No module imports itself back, directly or through others, counting imports wherever they are written (a
  function body too). An import deferred on purpose to close a circle would be named in ``LAZY_ALLOWED`` with its
  reason; none is today.

A failure names every offending import as ``path:line``.
"""

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "programs", "themes", "pages", "portal", "wallet", "analytics", "webhooks", "tenancy", "bulk")
SKIPPED_DIRS = {"migrations", "__pycache__"}

# Imports written inside a function that do not count for cycles: (importing module, imported module) -> why,
# e.g. ("*.apps", "*"): "AppConfig.ready wires receivers once every app's models exist" (``*`` is any module).
# Empty: no import closes a cycle today, deferred ones (AppConfig.ready's included) counted. A new entry needs a
# reason a reviewer would accept, and goes when nothing needs it (test_every_lazy_allowance_is_used).
LAZY_ALLOWED: dict[tuple[str, str], str] = {}

ENGINE_NEVER_IMPORTS = (
    "bulk",
    "portal",
    "pages",
    "wallet",
    "analytics",
    "webhooks",
    "themes.admin",
    "themes.wagtail_hooks",
    "themes.views",
    "tenancy.wagtail_hooks",
    "tenancy.apps",
)
TENANCY_MAY_IMPORT = ("tenancy", "programs.clock")
# Within the engine: (importers, what they must not import, why).
ENGINE_LAYERS = (
    (
        ("programs.models",),
        ("programs.services", "programs.selectors", "programs.api", "programs.admin", "programs.wagtail_hooks"),
        "models are the bottom layer",
    ),
    (
        ("programs.services",),
        ("programs.api", "programs.admin", "programs.wagtail_hooks"),
        "services are called by the API and the admin, never the other way",
    ),
    (
        ("programs.selectors", "programs.pricing", "programs.credits"),
        ("programs.services",),
        "reads never depend on writes",
    ),
)
FASTSQL = "programs.services._fastsql"
FASTSQL_IMPORTERS = frozenset(
    {"programs.services.ledger", "programs.services.purchases", "programs.services.tiers", "programs.api.sql"}
)


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # the most specific module of ours it names
    path: str
    line: int
    function: str | None  # the enclosing function, if the import runs only when it is called

    def __str__(self):
        where = f" (in {self.function}())" if self.function else ""
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}{where}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        base = ROOT / app
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            if SKIPPED_DIRS.isdisjoint(path.relative_to(ROOT).parts):
                found[_module_name(path)] = path
    return found


def _ours(name: str) -> str | None:
    """The most specific of our modules that ``name`` is or lies in (``programs.models.Card`` -> programs.models)."""
    known = modules()
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, path: Path):
        self.module, self.path = module, path
        self.package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        self.functions: list[str] = []
        self.found: list[Import] = []

    def _add(self, name: str, node: ast.stmt):
        imported = _ours(name)
        if imported is not None and imported != self.module:
            function = ".".join(self.functions) or None
            path = str(self.path.relative_to(ROOT))
            self.found.append(Import(self.module, imported, path, node.lineno, function))

    def visit_FunctionDef(self, node):
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node):
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":  # never runs
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node):
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            source = ".".join([*base, node.module] if node.module else base)
        else:
            source = node.module
        for alias in node.names:
            # ``from programs import outbox`` imports the module programs.outbox; ``from programs.models import
            # Card`` the package programs.models.
            self._add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules() else source, node)


@cache
def imports() -> tuple[Import, ...]:
    found = []
    for module, path in modules().items():
        collector = _Collector(module, path)
        collector.visit(ast.parse(path.read_text(), filename=str(path)))
        found.extend(collector.found)
    return tuple(found)


def _within(module: str, prefixes) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _matches(pattern: str, module: str) -> bool:
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return module.endswith(pattern[1:])
    return module == pattern


def _lazy_allowed(item: Import) -> bool:
    return item.function is not None and any(
        _matches(importer, item.importer) and _matches(imported, item.imported) for importer, imported in LAZY_ALLOWED
    )


def _report(title: str, offending) -> str:
    return title + "\n" + "\n".join(f"  {item}" for item in offending)


def test_the_source_is_read():
    """The contract reads what it should: a sanity check on the collector, so an empty scan can't pass."""
    found = {(item.importer, item.imported) for item in imports()}
    assert ("programs.services.ledger", FASTSQL) in found
    assert ("programs.api.urls", "programs.api.views") in found
    assert ("webhooks.receivers", "programs.outbox") in found


def test_the_engine_never_imports_the_apps_built_on_it():
    offending = [
        item
        for item in imports()
        if _within(item.importer, ("programs",)) and _within(item.imported, ENGINE_NEVER_IMPORTS)
    ]
    assert not offending, _report("programs imports an app that is built on it (DESIGN.md, Apps):", offending)


def test_tenancy_is_the_bottom_layer():
    offending = [
        item
        for item in imports()
        if _within(item.importer, ("tenancy",))
        and not _within(item.imported, TENANCY_MAY_IMPORT)
        and not _within(item.imported, ("config",))
    ]
    assert not offending, _report("tenancy imports an app built on it:", offending)


def test_the_engine_layers():
    offending = []
    for importers, forbidden, why in ENGINE_LAYERS:
        offending.extend(
            (item, why) for item in imports() if _within(item.importer, importers) and _within(item.imported, forbidden)
        )
    assert not offending, "A layer of programs imports one above it:\n" + "\n".join(
        f"  {item}: {why}" for item, why in offending
    )


def test_the_hand_built_statements_stay_private():
    offending = [item for item in imports() if item.imported == FASTSQL and item.importer not in FASTSQL_IMPORTERS]
    assert not offending, _report(
        f"{FASTSQL} is for {', '.join(sorted(FASTSQL_IMPORTERS))} only (it skips the ORM's checks):", offending
    )


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], [0]

    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_no_import_cycles():
    counted = [item for item in imports() if not _lazy_allowed(item)]
    edges: dict[str, set[str]] = {}
    for item in counted:
        # A module importing its own package (``from programs.models import …`` inside programs/models/) is how
        # a package's parts share names; Python loads the package first, so it is no cycle.
        if item.importer.startswith(item.imported + "."):
            continue
        edges.setdefault(item.importer, set()).add(item.imported)
    cycles = _cycles(edges)
    lines = []
    for component in cycles:
        members = set(component)
        lines.append("cycle: " + " <-> ".join(component))
        lines.extend(
            f"  {item}"
            for item in counted
            if item.importer in members
            and item.imported in members
            and not item.importer.startswith(item.imported + ".")
        )
    message = "Modules import each other (break the cycle, or defer one import and say why in LAZY_ALLOWED):"
    assert not cycles, "\n".join([message, *lines])


def test_every_lazy_allowance_is_used():
    """An allowance nobody needs any more goes, so the list stays the short list of real exceptions."""
    lazy = [item for item in imports() if item.function is not None]
    unused = [
        key
        for key in LAZY_ALLOWED
        if not any(_matches(key[0], item.importer) and _matches(key[1], item.imported) for item in lazy)
    ]
    assert not unused, f"LAZY_ALLOWED entries no import needs: {unused}"
