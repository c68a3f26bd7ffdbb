"""The Python API and the command line where QGIS cannot be imported, and
the checkout installed with pip as a user would."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from s2eq_runner import TIMEOUT, environment, run_json, same_pixels

#: Loaded in every Python process started with this folder first on
#: PYTHONPATH, Dask workers included: QGIS's and Qt's modules refuse to
#: import, as on a machine without QGIS.
HIDE_QGIS = textwrap.dedent('''
    import importlib.abc
    import sys

    HIDDEN = ("qgis", "PyQt5", "PyQt6", "sip", "processing")

    class HideQgis(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HIDDEN:
                raise ModuleNotFoundError(
                    "No module named {!r} (hidden)".format(name), name=name)
            return None

    sys.meta_path.insert(0, HideQgis())
''')

#: Run under that, it reports whatever of QGIS got imported anyway.
IMPORT_AND_RUN = textwrap.dedent('''
    import sys
    import sentinel2_equalizer
    from sentinel2_equalizer import api
    from sentinel2_equalizer.cli.main import main
    status = main(sys.argv[1:])
    loaded = sorted(m for m in sys.modules
                    if m.split(".")[0] in ("qgis", "PyQt5", "PyQt6"))
    print("LOADED:" + ",".join(loaded), file=sys.stderr)
    sys.exit(status)
''')


@pytest.fixture
def no_qgis(tmp_path):
    """The environment of a process (and its children) without QGIS."""
    folder = tmp_path / "hide-qgis"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(HIDE_QGIS)
    env = environment()
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env["PYTHONPATH"]])
    return env


def test_qgis_is_hidden_indeed(no_qgis):
    done = subprocess.run([sys.executable, "-c", "import qgis.core"],
                          env=no_qgis, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=TIMEOUT)
    assert done.returncode != 0 and "(hidden)" in done.stderr


def test_import_and_command_line_without_qgis(no_qgis, l1c, tmp_path):
    out = tmp_path / "rgb.tif"
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_RUN, "equalize", str(l1c), "-o",
         str(out)], env=no_qgis, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "LOADED:"
    reference = tmp_path / "reference.tif"
    run_json("equalize", l1c, "-o", reference)
    assert same_pixels(out, reference)


def test_batch_without_qgis(no_qgis, l1c, tmp_path):
    result = run_json("batch", l1c, "--out-dir", tmp_path / "out",
                      "--workers", "1", env=no_qgis)
    assert result["written"] == 1 and result["ok"]


def test_pip_installs_the_checkout_with_an_s2eq_command(l1c, tmp_path):
    """pip install into a virtual environment that sees the system's
    packages (numpy, rasterio, Dask from Debian): offline, without build
    isolation, from a copy of the checkout (pip builds in the source
    folder)."""
    source = tmp_path / "checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".build", ".venv", "build", "*.egg-info", "demo",
        "__pycache__", "tests", "*.tif"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                    str(venv)], check=True, timeout=TIMEOUT)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                    "--no-deps", "--no-build-isolation", "--no-index",
                    str(source)], check=True, timeout=TIMEOUT)
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import sentinel2_equalizer as s; print(s.__file__)"], check=True,
        stdout=subprocess.PIPE, universal_newlines=True, env=clean,
        timeout=TIMEOUT).stdout.strip()
    assert where.startswith(str(venv))
    out = tmp_path / "rgb.tif"
    done = subprocess.run([str(venv / "bin" / "s2eq"), "equalize", str(l1c),
                           "-o", str(out), "-q"], env=clean, cwd=tmp_path,
                          timeout=TIMEOUT)
    assert done.returncode == 0 and out.exists()
    version = subprocess.run([str(venv / "bin" / "s2eq"), "--version"],
                             stdout=subprocess.PIPE, universal_newlines=True,
                             env=clean, timeout=TIMEOUT).stdout
    from sentinel2_equalizer import api
    assert version.strip() == api.software()


def test_the_package_version_is_the_plugins():
    from sentinel2_equalizer import api
    with open(os.path.join(ROOT, "pyproject.toml")) as handle:
        declared = [line.split("=", 1)[1].strip().strip('"')
                    for line in handle if line.startswith("version")]
    assert declared == [api.version()]


def test_layers_the_core_knows_no_dask_and_qgis_no_command_line():
    """Dask lives beside the command line; the plugin never loads it."""
    import glob
    import re
    importing = re.compile(r"^\s*(from|import)\s+(\S+)", re.M)
    for path in glob.glob(os.path.join(ROOT, "core", "**", "*.py"),
                          recursive=True):
        with open(path, encoding="utf-8") as handle:
            names = [m.group(2) for m in importing.finditer(handle.read())]
        assert not [n for n in names if n.split(".")[0] in (
            "dask", "distributed", "tqdm")], path
    for path in glob.glob(os.path.join(ROOT, "algorithms", "*.py")) + [
            os.path.join(ROOT, "plugin.py")]:
        with open(path, encoding="utf-8") as handle:
            names = [m.group(2) for m in importing.finditer(handle.read())]
        assert not [n for n in names if "cli" in n.split(".")
                    or n.split(".")[0] in ("dask", "distributed")], path
