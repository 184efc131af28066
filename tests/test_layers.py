"""Dependencies run one way: a package imports only from packages in lower layers (deferred imports too)."""

import ast
from pathlib import Path

import locoaudit

PACKAGE = Path(locoaudit.__file__).parent

# Lowest first. A package (or top-level module) may import only from strictly lower layers.
# A new package must be placed here; the tests below fail until it is.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "errors findings argtypes manifests panels mappings arrays",  # neutral: no locoaudit imports
        "safety options parallel",  # path names, checksums; shared options; in-process or Ray tasks
        "fileio",  # atomic writes
        "terrain terms",  # heightfields; reward / termination functions of a StepView
        "manifest",  # TOML -> validated frozen objects -> canonical JSON -> sha256
        "robots sim",  # MJCF model building; batched physics backends
        "task",  # the VecEnv: commands, observations, randomization, episodes
        "traces train",  # trace files and replay; the PPO loop, run directories, checkpoints
        "export",  # ONNX policy files with their deployment contract
        "evaluate",  # panels, engine, metrics
        "transfer",  # the exported policy in a second physics engine, after a contract read-back
        "ledger",  # SQLite ledger, comparison, promotion gate
        "audit bench hardware",  # audits of runs; benchmarks; robot-log import and reproduction
        "lab",  # experiments over several runs: the parallelism lab
        "report",  # the HTML report of a run or a lab
        "demo",
        "cli",
    )
)


def layer_of(name: str) -> int:
    """Index of the layer holding package `name`."""
    for i, layer in enumerate(LAYERS):
        if name in layer:
            return i
    raise AssertionError(f"{name} is not placed in tests/test_layers.py:LAYERS")


def top_level_names() -> set[str]:
    """Subpackages and top-level modules of locoaudit (its __init__ excluded)."""
    names = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    return names | {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}


def package_edges() -> set[tuple[str, str]]:
    """(importer, imported) pairs between top-level names, counting every import statement."""
    known, edges = top_level_names(), set()
    for file in PACKAGE.rglob("*.py"):
        src = file.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if len(parts) > 1 and parts[0] == "locoaudit" and parts[1] in known and parts[1] != src:
                    edges.add((src, parts[1]))
    return edges


def upward(edges: set[tuple[str, str]]) -> list[str]:
    """Edges that do not point to a strictly lower layer, as 'a -> b' lines."""
    return sorted(f"{a} -> {b}" for a, b in edges if layer_of(b) >= layer_of(a))


def test_every_package_is_placed_in_a_layer():
    for name in top_level_names():
        layer_of(name)


def test_imports_point_strictly_downward():
    edges = package_edges()
    assert ("manifest", "terms") in edges  # the scan sees real imports
    assert upward(edges) == []


def test_an_upward_or_cyclic_import_is_caught():
    assert upward({("manifest", "task")}) == ["manifest -> task"]
    assert upward({("ledger", "audit"), ("audit", "ledger")}) == ["ledger -> audit"]
    assert upward({("robots", "sim")}) == ["robots -> sim"]  # same layer counts too


if __name__ == "__main__":  # print the package graph, lowest layer first: python tests/test_layers.py
    graph = package_edges()
    for layer in LAYERS:
        for name in sorted(layer):
            print(f"{name:<10} -> {' '.join(sorted(b for a, b in graph if a == name)) or '-'}")
    print("upward:", ", ".join(upward(graph)) or "none")
