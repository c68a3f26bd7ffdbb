"""The structure of the code, as docs/ARCHITECTURE.md draws it: layers whose
imports only point down, no import cycles, and packages whose neighbours
use only the modules they offer.

Read from the source with ``ast`` (nothing is imported), so a lazy import
inside a function counts like any other.
"""

import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Folders that are not part of the package QGIS and pip install.
OUTSIDE = ("tests", "scripts", "docs", "help", "icons", ".build", ".git",
           ".venv", "demo")

#: The units of the code, lowest first. A unit may import its own modules
#: and those of units in lower layers; units that share a layer know
#: nothing of each other, except for the pairs in ALLOWED_SIDEWAYS.
LAYERS = (
    ("core.errors",),
    ("core.gdal",),
    ("core.product", "core.output"),
    ("core.pixels",),
    ("core.curves",),
    ("core",),
    ("api",),
    ("algorithms", "cli"),
    ("plugin",),
    ("",),
)
#: The core's packages, which offer only the modules their __all__ names.
CORE_PACKAGES = ("core.gdal", "core.product", "core.output", "core.pixels",
                 "core.curves")
#: Names outside the standard library and numpy/rasterio/GDAL that a unit
#: must never import: the core runs without QGIS, Qt and Dask; the plugin
#: never loads the command line's Dask.
FORBIDDEN = {
    "core": ("qgis", "PyQt5", "PyQt6", "sip", "processing", "dask",
             "distributed", "tqdm"),
    "api": ("qgis", "PyQt5", "PyQt6", "dask", "distributed"),
    "algorithms": ("dask", "distributed", "tqdm"),
    "plugin": ("dask", "distributed", "tqdm"),
}
#: Core modules the algorithms load by name (S2EqAlgorithm.core).
LOADED_BY_NAME = re.compile(r"""self\.core\(["']([\w.]+)["']\)""")


def package_modules():
    """{dotted module name: path} of every module of the plugin package,
    named relative to its root ('' for the root __init__)."""
    found = {}
    for folder, dirs, files in os.walk(ROOT):
        relative = os.path.relpath(folder, ROOT)
        if relative != "." and relative.split(os.sep)[0] in OUTSIDE:
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        parts = [] if relative == "." else relative.split(os.sep)
        for name in files:
            if name.endswith(".py"):
                stem = name[:-3]
                dotted = parts if stem == "__init__" else parts + [stem]
                found[".".join(dotted)] = os.path.join(folder, name)
    return found


MODULES = package_modules()


def is_package(module):
    return MODULES[module].endswith("__init__.py")


def unit_of(module):
    """The layer unit a module belongs to: a core package, the core's own
    stage modules ("core"), or a top-level module or package."""
    parts = module.split(".")
    if parts[0] == "core" and len(parts) > 1:
        dotted = ".".join(parts[:2])
        if dotted in MODULES and (is_package(dotted)
                                  or dotted == "core.errors"):
            return dotted
        return "core"
    return parts[0]


def rank_of(unit):
    for rank, units in enumerate(LAYERS):
        if unit in units:
            return rank
    raise AssertionError("unit {!r} is in no layer of LAYERS".format(unit))


def imports_of(module):
    """[(line, imported module, names or None)] for the plugin's own
    modules that ``module`` imports; plus [(line, top-level name)] of
    everything else it imports."""
    path = MODULES[module]
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    tree = ast.parse(source, path)
    package = module if is_package(module) else module.rpartition(".")[0]
    own, other = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                if name == "sentinel2_equalizer" or name.startswith(
                        "sentinel2_equalizer."):
                    own.append((node.lineno, name[len("sentinel2_equalizer"):]
                                .lstrip("."), None))
                else:
                    other.append((node.lineno, name.split(".")[0]))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                name = node.module or ""
                if name.split(".")[0] != "sentinel2_equalizer":
                    other.append((node.lineno, name.split(".")[0]))
                    continue
                base = name[len("sentinel2_equalizer"):].lstrip(".")
            else:
                parts = package.split(".") if package else []
                up = node.level - 1
                assert up <= len(parts), (module, node.lineno)
                parts = parts[:len(parts) - up]
                base = ".".join(parts + ([node.module] if node.module
                                         else []))
            for alias in node.names:
                child = (base + "." if base else "") + alias.name
                if child in MODULES:
                    own.append((node.lineno, child, None))
                else:
                    own.append((node.lineno, base, alias.name))
    for match in LOADED_BY_NAME.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        own.append((line, "core." + match.group(1), None))
    return own, other


def offered(package):
    """The modules a core package names in its __all__."""
    with open(MODULES[package], encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return None


def test_every_module_is_in_a_layer():
    for module in MODULES:
        rank_of(unit_of(module))


def test_the_core_packages_are_the_layers_packages():
    on_disk = {m for m in MODULES if m.startswith("core.") and is_package(m)}
    assert on_disk == set(CORE_PACKAGES)


def test_imports_point_down_the_layers():
    wrong = []
    for module in MODULES:
        source = unit_of(module)
        for line, target, _ in imports_of(module)[0]:
            assert target in MODULES, "{}:{} imports {}, which does not " \
                "exist".format(module, line, target)
            unit = unit_of(target)
            if unit == source or rank_of(unit) < rank_of(source):
                continue
            wrong.append("{}:{} imports {} ({} is not below {})".format(
                module, line, target, unit, source))
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    """Tarjan's strongly connected components over the module graph."""
    graph = {m: sorted({t for _, t, _ in imports_of(m)[0] if t != m})
             for m in MODULES}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            # A package's __init__ is part of every module below it.
            if node.startswith(target + "."):
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert not cycles, cycles


def test_packages_offer_what_they_name():
    for package in CORE_PACKAGES:
        names = offered(package)
        assert names, "{} has no __all__".format(package)
        for name in names:
            assert package + "." + name in MODULES, (package, name)
        with open(MODULES[package], encoding="utf-8") as handle:
            assert ast.get_docstring(ast.parse(handle.read())), package


def test_neighbours_use_only_what_a_package_offers():
    wrong = []
    for module in MODULES:
        for line, target, name in imports_of(module)[0]:
            package = unit_of(target)
            if package not in CORE_PACKAGES or unit_of(module) == package:
                continue
            if target == package:
                reached = name
            else:
                reached = target[len(package) + 1:].split(".")[0]
            if reached not in offered(package):
                wrong.append("{}:{} reaches {}.{}, which {} does not "
                             "offer".format(module, line, package, reached,
                                            package))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("unit", sorted(FORBIDDEN))
def test_what_a_layer_never_imports(unit):
    wrong = []
    for module in MODULES:
        if unit_of(module) != unit and not (
                unit == "core" and module.startswith("core.")):
            continue
        for line, name in imports_of(module)[1]:
            if name in FORBIDDEN[unit]:
                wrong.append("{}:{} imports {}".format(module, line, name))
        if unit in ("algorithms", "plugin"):
            wrong.extend("{}:{} imports {}".format(module, line, target)
                         for line, target, _ in imports_of(module)[0]
                         if unit_of(target) == "cli")
    assert not wrong, "\n".join(wrong)


def test_the_architecture_map_names_every_core_package_and_no_other():
    with open(os.path.join(ROOT, "docs", "ARCHITECTURE.md"),
              encoding="utf-8") as handle:
        text = handle.read()
    named = set(re.findall(r"`core/(\w+)/`", text))
    on_disk = {p.split(".")[1] for p in CORE_PACKAGES}
    assert named == on_disk, (named, on_disk)
    stages = {m.split(".")[1] for m in MODULES
              if unit_of(m) == "core" and m.count(".") == 1}
    mentioned = set(re.findall(r"`core/(\w+)\.py`", text))
    assert mentioned == stages | {"errors"}, (mentioned, stages)
    for path in re.findall(r"`((?:algorithms|cli|tests|scripts|core)/"
                           r"[\w/.-]*)`", text):
        assert os.path.exists(os.path.join(ROOT, path)), path
