"""The code stays loadable by Qt 6 builds of QGIS (QGIS 4) as well as by
QGIS 3.22 and later on Qt 5.

Every .py of the repository is read with ``ast`` and held to the rules of
QGIS's PyQt5-to-PyQt6 migration: Qt only through ``qgis.PyQt``, none of
the names and calls Qt 6 removed, and enum values spelled through their
enum. Which ``Name.Member`` is an enum value is asked of the QGIS and PyQt5
installed here, so QGIS's own enums are covered as well as Qt's.
"""

import ast
import enum
import importlib
import os

from conftest import ROOT

#: Folders of the work tree that hold no code of the project.
SKIPPED = (".build", ".git", ".venv", "demo")
#: Modules whose names' enum members are checked.
QGIS_MODULES = ("qgis.core", "qgis.gui")
#: Imported names Qt 6 no longer has, and what to use instead.
REMOVED_NAMES = {
    "qApp": "QApplication.instance()",
    "QRegExp": "QRegularExpression",
    "QDesktopWidget": "QScreen (QApplication.primaryScreen(), "
                      "QWidget.screen())",
    "resources_rc": "icon files loaded by path",
}
FIXES = {
    "pyqt": "import Qt from qgis.PyQt, which is PyQt5 or PyQt6 as QGIS is",
    "exec_": "call exec() (PyQt5 has it too)",
    "qvariant": "use qgis.core's NULL for a null value; QVariant's types "
                "moved to QMetaType.Type",
    "desktop": "QDesktopWidget is gone in Qt 6: use " +
               REMOVED_NAMES["QDesktopWidget"],
    "width": "QFontMetrics.width() is gone in Qt 6: use "
             "horizontalAdvance()",
    "activated": "activated[str] is gone in Qt 6: connect activated (an "
                 "index) or textActivated",
    "qdatetime": "Qt 6 has no such constructor: QDateTime(QDate(...), "
                 "QTime(...))",
    "addAction": "make the QAction, then addAction(action)",
}


def python_files():
    """Every .py of the work tree, as paths relative to ROOT."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs
                         if not d.startswith(".") and d not in SKIPPED)
        found += [os.path.relpath(os.path.join(folder, name), ROOT)
                  for name in sorted(files) if name.endswith(".py")]
    return found


def parse(relative):
    with open(os.path.join(ROOT, relative), encoding="utf-8") as source:
        return ast.parse(source.read(), filename=relative)


def qt_imports(tree):
    """{local name: (module, name)} for what the code imports from
    qgis.PyQt.*, qgis.core and qgis.gui; `from qgis.PyQt import QtCore`
    binds a module, with name None."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local = alias.asname or alias.name
                if node.module.startswith("qgis.PyQt.") or \
                        node.module in QGIS_MODULES:
                    bound[local] = (node.module, alias.name)
                elif node.module in ("qgis", "qgis.PyQt"):
                    bound[local] = (node.module + "." + alias.name, None)
    return bound


def syntax_problems(tree):
    """(line, what, fix) for each use of something Qt 6 removed."""
    problems = []
    metrics = set()                     # names bound to QFontMetrics(...)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and called(node.value) in (
                "QFontMetrics", "QFontMetricsF"):
            metrics.update(t.id for t in node.targets
                           if isinstance(t, ast.Name))
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
            problems += [(line, "imports " + alias.name,
                          "use " + REMOVED_NAMES[alias.name])
                         for alias in node.names
                         if alias.name in REMOVED_NAMES]
        problems += [(line, "imports " + module, FIXES["pyqt"])
                     for module in modules
                     if module.split(".")[0] in ("PyQt5", "PyQt6")]
        if isinstance(node, ast.Attribute) and node.attr == "exec_" or \
                isinstance(node, ast.FunctionDef) and node.name == "exec_":
            problems.append((line, "exec_", FIXES["exec_"]))
        if isinstance(node, ast.Name) and node.id == "qApp":
            problems.append((line, "qApp", "use " + REMOVED_NAMES["qApp"]))
        if isinstance(node, ast.Attribute) and \
                isinstance(node.value, ast.Name) and \
                node.value.id == "QVariant":
            problems.append((line, "QVariant." + node.attr,
                             FIXES["qvariant"]))
        if isinstance(node, ast.Call) and called(node) == "QVariant" and \
                not node.args:
            problems.append((line, "QVariant()", FIXES["qvariant"]))
        if isinstance(node, ast.Call) and \
                isinstance(node.func, ast.Attribute) and \
                node.func.attr == "desktop" and not node.args:
            problems.append((line, ".desktop()", FIXES["desktop"]))
        if isinstance(node, ast.Attribute) and node.attr == "width" and (
                called(node.value) in ("QFontMetrics", "QFontMetricsF",
                                       "fontMetrics") or
                isinstance(node.value, ast.Name) and
                node.value.id in metrics):
            problems.append((line, "QFontMetrics.width", FIXES["width"]))
        if called(node) == "QDateTime" and (len(node.args) == 8 or len(
                node.args) == 1 and called(node.args[0]) == "QDate"):
            problems.append((line, "QDateTime(...)", FIXES["qdatetime"]))
        if called(node) == "addAction" and len(node.args) >= 4:
            problems.append((line, "addAction(4 arguments)",
                             FIXES["addAction"]))
        if isinstance(node, ast.Subscript) and \
                isinstance(node.value, ast.Attribute) and \
                node.value.attr == "activated" and \
                isinstance(node.slice, ast.Name) and node.slice.id == "str":
            problems.append((line, "activated[str]", FIXES["activated"]))
    return problems


def called(node):
    """The name a call calls (`f(...)`, `x.f(...)`), else None."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def enum_types():
    """The metaclasses of enums: PyQt5's sip enums and Python's enum.Enum
    (QGIS's scoped enums, and every enum of PyQt6)."""
    from qgis.PyQt.QtCore import Qt
    return (type(Qt.AlignmentFlag), enum.EnumMeta)


def resolve(node, bound):
    """The object a `Name` or `Name.attr...` chain of imported names stands
    for, imported from the installed QGIS; None if it is not one."""
    if isinstance(node, ast.Name) and node.id in bound:
        module, name = bound[node.id]
        try:
            found = importlib.import_module(module)
            return found if name is None else getattr(found, name)
        except (ImportError, AttributeError):
            return None
    if isinstance(node, ast.Attribute):
        owner = resolve(node.value, bound)
        return None if owner is None else getattr(owner, node.attr, None)
    return None


def enum_problems(tree):
    """(line, what, fix) for each enum value reached through the class that
    holds its enum (`Qt.AlignLeft`) rather than through the enum
    (`Qt.AlignmentFlag.AlignLeft`), which Qt 6 builds of QGIS require."""
    bound = qt_imports(tree)
    metaclasses = enum_types()
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = resolve(node.value, bound)
        if not isinstance(owner, type) or \
                isinstance(owner, metaclasses):   # already through its enum
            continue
        value = getattr(owner, node.attr, None)
        kind = type(value)
        if not isinstance(kind, metaclasses) or kind is owner:
            continue
        spelled = "{}.{}".format(ast.unparse(node.value), node.attr)
        scoped = "{}.{}.{}".format(ast.unparse(node.value), kind.__name__,
                                   node.attr)
        fix = "spell it {}".format(scoped)
        if owner.__module__.startswith("qgis."):
            fix += ", or, if QGIS 3.36 moved it to a Qgis enum, take it " \
                   "from algorithms/compat.py (compat.pick)"
        problems.append((node.lineno, spelled + " is an unscoped enum value",
                         fix))
    return problems


def report(check):
    found = []
    for relative in python_files():
        found += ["{}:{}: {}: {}".format(relative, line, what, fix)
                  for line, what, fix in check(parse(relative))]
    return found


def test_only_what_qt6_still_has():
    problems = report(syntax_problems)
    assert not problems, "Qt 6 builds of QGIS cannot run:\n" + \
        "\n".join(problems)


def test_enum_values_go_through_their_enum():
    problems = report(enum_problems)
    assert not problems, "Qt 6 builds of QGIS have no unscoped enums:\n" + \
        "\n".join(problems)


PLANTED = """
from PyQt5.QtCore import QVariant
import PyQt6.QtGui
from qgis.PyQt.QtWidgets import qApp, QDesktopWidget
from qgis.PyQt import QtCore
from qgis.PyQt.QtCore import Qt, QRegExp, QEventLoop as Loop
from qgis.PyQt.QtGui import QFontMetrics
from qgis.core import Qgis, QgsProcessingParameterDefinition
from . import resources_rc
Loop().exec_()
empty = QVariant()
kind = QVariant.Int
qApp.desktop()
metrics = QFontMetrics(font)
metrics.width("x") + QFontMetrics(font).width("y")
box.activated[str].connect(slot)
left = Qt.AlignLeft
left = Qt.AlignmentFlag.AlignLeft
level = Qgis.Critical
optional = QgsProcessingParameterDefinition.FlagOptional
direct = QtCore.Qt.DirectConnection
when = QDateTime(QDate(2024, 1, 1))
menu.addAction(icon, "Run", run, "Ctrl+R")
"""


def test_planted_violations_are_found():
    tree = ast.parse(PLANTED)
    syntax = {(line, what) for line, what, _ in syntax_problems(tree)}
    assert syntax == {
        (2, "imports PyQt5.QtCore"), (3, "imports PyQt6.QtGui"),
        (4, "imports qApp"), (4, "imports QDesktopWidget"),
        (6, "imports QRegExp"), (9, "imports resources_rc"),
        (10, "exec_"), (11, "QVariant()"), (12, "QVariant.Int"),
        (13, "qApp"), (13, ".desktop()"), (15, "QFontMetrics.width"),
        (16, "activated[str]"), (22, "QDateTime(...)"),
        (23, "addAction(4 arguments)")}
    assert len([p for p in syntax_problems(tree)
                if p[1] == "QFontMetrics.width"]) == 2
    enums = sorted((line, what.split()[0])
                   for line, what, _ in enum_problems(tree))
    assert enums == [(17, "Qt.AlignLeft"), (19, "Qgis.Critical"),
                     (20, "QgsProcessingParameterDefinition.FlagOptional"),
                     (21, "QtCore.Qt.DirectConnection")]
