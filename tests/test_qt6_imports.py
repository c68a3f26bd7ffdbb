"""Every module of the plugin imports under PyQt6, as a Qt 6 build of QGIS
(QGIS 4) loads it: scripts/qt6_import_check.py, which installs PyQt6 from
PyPI into .build/ on its first run and fails, never skips, if it cannot."""

import os
import subprocess
import sys

from conftest import ROOT


def test_every_module_imports_under_pyqt6():
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "qt6_import_check.py")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=900)
    assert done.returncode == 0, done.stdout
    assert "modules import under PyQt 6" in done.stdout, done.stdout
