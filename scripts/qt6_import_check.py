"""Imports every module of the plugin under PyQt6, as a Qt 6 build of QGIS
(QGIS 4) loads it, though the QGIS here is built with Qt 5.

PyQt6 comes from PyPI into .build/qt6-venv-<python version>, a virtual
environment that also sees the system's packages (numpy, rasterio, GDAL);
it is installed once, and later runs reuse it. In that environment a
stand-in ``qgis`` package takes the place of QGIS's: ``qgis.PyQt.X`` is
PyQt6's ``X`` (with QAction and QShortcut in QtWidgets too, as QGIS's Qt 6
build has them), ``qgis.core``, ``qgis.gui`` and ``processing`` give a
dummy class for any name, and PyQt5 cannot be imported.

It finds what fails as a module is loaded: Qt names that Qt 6 dropped or
moved to another module, and module-level code that PyQt6 refuses (an
enum value spelled without its enum, say). It cannot find what fails only
when code runs, nor any misuse of QGIS's own API, whose every name the
stand-ins accept: tests/test_qt6_rules.py reads the code for those.

  /usr/bin/python3 scripts/qt6_import_check.py

Exit status: 0 when every module imports, 1 when one does not, 2 when
PyQt6 could not be installed (pip's output says why: no network, say).
"""

import importlib
import importlib.abc
import importlib.util
import os
import subprocess
import sys
import traceback
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "sentinel2_equalizer"
VENV = os.path.join(ROOT, ".build", "qt6-venv-{}.{}".format(
    *sys.version_info[:2]))
READY = os.path.join(VENV, "pyqt6-installed")
PYQT6 = "PyQt6>=6.5"
#: Folders of the checkout that are not part of the plugin.
OUTSIDE = ("tests", "scripts", "docs", "help", "icons", "demo")
#: Names QGIS's Qt 6 build adds to qgis.PyQt modules, from other modules.
ALIASES = {"QtWidgets": ("QtGui", ("QAction", "QShortcut"))}


def install():
    """The virtual environment's python, PyQt6 installed there."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.exists(READY):
        return python
    steps = ([sys.executable, "-m", "venv", "--system-site-packages", VENV],
             [python, "-m", "pip", "install", "--disable-pip-version-check",
              "--only-binary=:all:", "-q", PYQT6])
    for step in steps:
        done = subprocess.run(step, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              universal_newlines=True)
        if done.returncode != 0:
            print("qt6_import_check: could not install {} into {}:\n{}\n{}"
                  .format(PYQT6, VENV, " ".join(step), done.stdout))
            sys.exit(2)
    open(READY, "w").close()
    return python


def plugin_modules():
    """Dotted names of every module of the plugin package."""
    names = []
    for folder, dirs, files in os.walk(ROOT):
        top = folder == ROOT
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and
                         not (top and d in OUTSIDE))
        parts = [PACKAGE] + os.path.relpath(folder, ROOT).split(os.sep)
        parts = [p for p in parts if p != "."]
        for name in sorted(files):
            if name.endswith(".py"):
                stem = name[:-3]
                names.append(".".join(parts if stem == "__init__"
                                      else parts + [stem]))
    return names


class Dummy(type):
    """A QGIS class in the stand-ins: any attribute is another one."""

    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Dummy(name, (), {})

    def __or__(cls, other):
        return cls

    __ror__ = __and__ = __rand__ = __or__


class DummyModule(types.ModuleType):
    """qgis.core, qgis.gui, processing...: a Dummy for any name."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = Dummy(name, (), {"__module__": self.__name__})
        setattr(self, name, value)
        return value


class StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``qgis`` and ``processing`` as Qt 6 QGIS would offer them."""

    def find_spec(self, name, path=None, target=None):
        parts = name.split(".")
        if parts[0] == "processing" or parts[0] == "qgis" and (
                len(parts) <= 2 or parts[1] == "PyQt" and len(parts) == 3
                and importlib.util.find_spec("PyQt6." + parts[2])):
            return importlib.util.spec_from_loader(name, self,
                                                   is_package=True)
        return None             # no qgis.PyQt.QtWidgets.QDesktopWidget...

    def create_module(self, spec):
        parts = spec.name.split(".")
        if parts[:2] == ["qgis", "PyQt"] and len(parts) == 3:
            real = importlib.import_module("PyQt6." + parts[2])
            module = types.ModuleType(spec.name)
            module.__dict__.update((k, v) for k, v in vars(real).items()
                                   if not k.startswith("__"))
            source, names = ALIASES.get(parts[2], (None, ()))
            for alias in names:
                setattr(module, alias, getattr(importlib.import_module(
                    "PyQt6." + source), alias))
            return module
        if spec.name in ("qgis", "qgis.PyQt"):
            return types.ModuleType(spec.name)
        return DummyModule(spec.name)

    def exec_module(self, module):
        pass


def where(error):
    """The innermost line of the plugin in an exception's traceback."""
    files = [(os.path.realpath(f.filename), f.lineno)
             for f in traceback.extract_tb(error.__traceback__)]
    files = [(path, line) for path, line in files
             if path.startswith(ROOT + os.sep)]
    if not files:
        return ""
    return " ({}:{})".format(os.path.relpath(files[-1][0], ROOT),
                             files[-1][1])


def check():
    """Imports every module; prints and counts those that fail."""
    sys.modules["PyQt5"] = None             # import PyQt5 -> ImportError
    sys.meta_path.insert(0, StandIns())
    link = os.path.join(ROOT, ".build", "qt6-plugins")
    os.makedirs(link, exist_ok=True)
    if not os.path.islink(os.path.join(link, PACKAGE)):
        os.symlink(os.path.join("..", ".."), os.path.join(link, PACKAGE))
    sys.path.insert(0, link)
    qt = importlib.import_module("PyQt6.QtCore")     # what stands behind
    modules = plugin_modules()
    failed = 0
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:          # every failure is the report
            failed += 1
            print("FAILED {}: {}: {}{}".format(name, type(error).__name__,
                                                error, where(error)))
    print("{} of {} modules import under PyQt {} (Qt {})".format(
        len(modules) - failed, len(modules), qt.PYQT_VERSION_STR,
        qt.QT_VERSION_STR))
    return 1 if failed else 0


def main():
    if sys.argv[1:] == ["--inside"]:
        return check()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([install(), os.path.abspath(__file__), "--inside"],
                          env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
