"""The shape of the package: data flows one way, input → model → measure → run → report → pipeline → cli.

The import graph of every module under sim/ is read with `ast` (nothing is imported), counting imports at the
top of a module and inside functions alike, and skipping `if TYPE_CHECKING:` blocks (annotations only, never
executed). On that graph:

- no two modules import each other, directly or through others (no cycle);
- no module imports a module of a higher layer, except the few listed, commented exceptions;
- no module imports another module's private name (a leading underscore);
- sim/cli.py holds the command line only: `main`, `_parser`, one `cmd_*` per command and a few console helpers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "sim"

#: The layers, lowest first: a module may import its own layer and the ones below it.
LAYERS = ("input", "model", "measure", "runner", "report", "pipeline", "cli")

#: Importable from, and free to import, anywhere: the package itself, `python -m sim`, the error types, the
#: version and the generic atomic file writing.
EXEMPT = frozenset({"sim", "sim.__main__", "sim.errors", "sim.version", "sim.atomic"})

#: Imports of a higher layer that are part of the design: (importing package, imported module or package).
ALLOWED_UP = {
    # Each lever kind declares its own input model beside its effect (one module per kind), so the input
    # layer gathers the lever input models (and their kind names) from there.
    ("sim.input", "sim.model.levers"),
    # Zone levels (national, provincial, ...) are words of the scenario file as well as model states.
    ("sim.input", "sim.model.levels"),
    # Firm fields: a zone's entry conditions are compiled to field ratios when the file is read.
    ("sim.input", "sim.model.fields"),
    # Indicator names are validated when the file is read, so a misspelt one is an input problem.
    ("sim.input", "sim.measure.indicators"),
}

#: sim/cli.py: besides `main`, `_parser` and the `cmd_*` commands, these console helpers (each short).
CLI_HELPERS = {
    "_on_signal": "Ctrl-C / SIGTERM handler",
    "stop_on_signals": "install the Ctrl-C / SIGTERM handler (the command and experiments/ scripts)",
    "run_script": "run an experiments/ script's main with that handler",
    "_say": "print to stderr",
    "_check_numbers": "command-line numbers in range",
    "_note_only_run": "say that --runs is not used with --only-run",
    "_warn": "print a file's warnings",
    "_plot_failures": "print the charts that failed to draw",
    "_report": "print an error's problems",
    "_kept_batches": "the message about batches kept after an interruption",
    "_console_safe": "never crash on a console that cannot show a character",
}
CLI_HELPER_MAX_LINES = 30


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module
    names: tuple[str, ...]  # names imported from it (`from target import ...`), empty for `import target`
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """Every import of a `sim` module by module `name`, top-level and inside functions, outside TYPE_CHECKING."""
    found: list[Import] = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if _is_type_checking(node.test):
                for child in node.orelse:  # `else:` of a TYPE_CHECKING block does run
                    self.visit(child)
            else:
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            for alias in node.names:
                if alias.name == "sim" or alias.name.startswith("sim."):
                    found.append(Import(name, alias.name, (), node.lineno))

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            module = node.module or ""
            if node.level:  # relative: resolve against the importing package
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            if module != "sim" and not module.startswith("sim."):
                return
            plain = tuple(a.name for a in node.names if f"{module}.{a.name}" not in modules)
            if plain:
                found.append(Import(name, module, plain, node.lineno))
            for alias in node.names:  # `from sim.input import history` imports the module sim.input.history
                if f"{module}.{alias.name}" in modules:
                    found.append(Import(name, f"{module}.{alias.name}", (), node.lineno))

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


def import_graph() -> tuple[dict[str, set[str]], list[Import]]:
    modules = all_modules()
    edges = [i for name, path in modules.items() for i in imports_of(name, path, modules)]
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for i in edges:
        if i.target in modules and i.target != i.source:
            graph[i.source].add(i.target)
    return graph, edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def layer(module: str) -> int | None:
    """The layer of a module (its first component below `sim`), None for the exempt ones."""
    if module in EXEMPT:
        return None
    return LAYERS.index(module.split(".")[1])


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def upward(edges: list[Import]) -> list[str]:
    bad = []
    for i in edges:
        low, high = layer(i.source), layer(i.target)
        if low is None or high is None or high <= low:
            continue
        if any(_within(i.source, s) and _within(i.target, t) for s, t in ALLOWED_UP):
            continue
        bad.append(f"{i.source} (line {i.line}, {LAYERS[low]}) imports {i.target} ({LAYERS[high]})")
    return bad


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# --------------------------------------------------------------------------- tests


def test_the_graph_is_read():
    graph, edges = import_graph()
    assert {"sim.cli", "sim.pipeline", "sim.input.scenario", "sim.report.files"} <= set(graph)
    assert all(layer(m) is not None for m in graph if m not in EXEMPT)  # every module is in a layer
    assert "sim.input.scenario" in graph["sim.pipeline"]
    # a function-level import counts: cmd_run imports the pipeline inside its body
    assert "sim.pipeline" in graph["sim.cli"]


def test_no_import_cycle():
    graph, _ = import_graph()
    found = cycles(graph)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_module_imports_a_higher_layer():
    _, edges = import_graph()
    bad = upward(edges)
    assert not bad, "imports of a higher layer:\n" + "\n".join(bad)


def test_no_module_imports_a_private_name_of_another():
    _, edges = import_graph()
    bad = [f"{i.source} (line {i.line}): {name} from {i.target}" for i in edges for name in i.names
           if _private(name) and i.target != i.source]
    bad += [f"{i.source} (line {i.line}): module {i.target}" for i in edges
            if any(_private(part) for part in i.target.split("."))]
    assert not bad, "private names imported from another module:\n" + "\n".join(bad)


def test_cli_holds_the_command_line_only():
    tree = ast.parse((SIM / "cli.py").read_text(encoding="utf-8"))
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    names = [f.name for f in functions]
    assert {"main", "_parser"} <= set(names)
    assert not [n.name for n in tree.body if isinstance(n, ast.ClassDef)], "cli.py defines no class"
    stray = [n for n in names if n not in ("main", "_parser") and not n.startswith("cmd_") and n not in CLI_HELPERS]
    assert not stray, f"functions of cli.py that are neither a command nor a listed console helper: {stray}"
    long = [f"{f.name}: {f.end_lineno - f.lineno + 1} lines" for f in functions
            if f.name in CLI_HELPERS and f.end_lineno - f.lineno + 1 > CLI_HELPER_MAX_LINES]
    assert not long, f"console helpers stay small (work belongs in a library module): {long}"


# --------------------------------------------------------------------------- the checks can fail


def test_the_checks_find_what_they_are_for():
    graph = {"sim.a.x": {"sim.a.y"}, "sim.a.y": {"sim.a.z"}, "sim.a.z": {"sim.a.x"}, "sim.a.w": set()}
    assert cycles(graph) == [["sim.a.x", "sim.a.y", "sim.a.z"]]
    assert upward([Import("sim.measure.backtest", "sim.report.files", ("write_manifest",), 1)])
    assert upward([Import("sim.input.posterior", "sim.runner.checkpoint", ("atomic_write",), 1)])
    assert not upward([Import("sim.input.models", "sim.model.levers.base", ("LeverBase",), 1)])
    assert not upward([Import("sim.input.posterior", "sim.atomic", ("atomic_write",), 1)])
    assert _private("_bands") and not _private("__version__") and not _private("bands")


#: Modules with no logic of their own to test (package markers, the version string, `python -m sim`).
NO_TEST_FILE = {"sim", "sim.version", "sim.__main__", "sim.input", "sim.model", "sim.measure", "sim.runner",
                "sim.report"}


def test_every_module_has_its_mirrored_test_file():
    """tests/ mirrors sim/: sim/<layer>/<m>.py is tested in tests/<layer>/test_<m>.py (a package's __init__ in
    test_registry.py), sim/<m>.py in tests/test_<m>.py — so a module's tests are found by its name."""
    root = Path(__file__).resolve().parents[2]
    missing = []
    for path in sorted((root / "sim").rglob("*.py")):
        rel = path.relative_to(root / "sim").with_suffix("")
        name = ".".join(("sim", *rel.parts)).removesuffix(".__init__")
        if name in NO_TEST_FILE:
            continue
        folder = root / "tests" / Path(*rel.parts[:-1])
        test = folder / ("test_registry.py" if rel.name == "__init__" else f"test_{rel.name}.py")
        if not test.is_file():
            missing.append(f"{name} → {test.relative_to(root)}")
    assert not missing, "modules without their test file:\n  " + "\n  ".join(missing)


def test_no_subpackage_shadows_the_library_functions():
    """`import sim; from sim.report.files import write_results; sim.run(...)` is the README's notebook recipe:
    importing a subpackage binds its name on `sim`, so one called `run` would replace the function `sim.run`."""
    import importlib
    import pkgutil

    import sim

    for mod in pkgutil.walk_packages(sim.__path__, "sim."):
        if mod.name != "sim.__main__":
            importlib.import_module(mod.name)
    for name in sim.__all__:
        assert not isinstance(getattr(sim, name), type(sim)), f"sim.{name} is a module"
    assert sim.run.__module__ == "sim" and callable(sim.run)
