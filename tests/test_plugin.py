"""The plugin as QGIS users meet it: help, icon, a missing dependency,
several runs at once, and the zip installed into a fresh profile."""

import configparser
import os
import shutil
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
import rasterio

from conftest import ROOT

ALGORITHM = "s2eq:equalize"


@pytest.mark.usefixtures("qgis_app")
def test_help_icon_group_and_parameter_help():
    from qgis.core import QgsApplication
    from qgis.PyQt.QtCore import QUrl
    alg = QgsApplication.processingRegistry().algorithmById(ALGORITHM)
    assert alg.group() and alg.groupId() == "sentinel2"
    assert os.path.isfile(alg.svgIconPath())
    assert not alg.icon().isNull()
    help_text = alg.shortHelpString()
    for topic in ("rank", "Histogram sample", "No-data", "mask"):
        assert topic in help_text
    page = QUrl(alg.helpUrl()).toLocalFile()
    assert os.path.isfile(page) and page.endswith(".html")
    with open(page, encoding="utf-8") as html:
        text = html.read()
    for other in ("s2eq:curve", "s2eq:mosaic"):      # their own sections
        url = QUrl(QgsApplication.processingRegistry().algorithmById(
            other).helpUrl())
        assert url.toLocalFile() == page
        assert 'id="{}"'.format(url.fragment()) in text
    for parameter in alg.parameterDefinitions():
        assert len(parameter.help()) > 20, parameter.name()
    provider = alg.provider()
    assert provider.id() == "s2eq" and provider.versionInfo() != "unknown"


def test_metadata_declares_the_versions_it_runs_on():
    """Qt 6 builds of QGIS (QGIS 4) load a plugin only if its metadata says
    supportsQt6=yes; tests/test_qt6_rules.py and test_qt6_imports.py hold
    the code to that."""
    metadata = configparser.ConfigParser()
    metadata.read(os.path.join(ROOT, "metadata.txt"), encoding="utf-8")
    general = metadata["general"]
    assert general.get("supportsQt6") == "yes"
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["qgisMaximumVersion"].startswith("4.")
    for key in ("name", "description", "about", "version", "author",
                "email", "icon"):
        assert general.get(key), key
    assert os.path.isfile(os.path.join(ROOT, general["icon"]))


def test_missing_rasterio_keeps_the_plugin_loadable(tmp_path):
    """With rasterio unimportable, the provider still registers and the
    algorithm explains how to install it."""
    script = tmp_path / "no_rasterio.py"
    script.write_text("""
import sys
sys.modules["rasterio"] = None          # import rasterio -> ImportError
sys.path[:0] = [{plugins!r}, "/usr/share/qgis/python/plugins"]
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
import sentinel2_equalizer
plugin = sentinel2_equalizer.classFactory(None)
plugin.initProcessing()
alg = QgsApplication.processingRegistry().algorithmById("s2eq:equalize")
ok, message = alg.canExecute()
print("CAN_EXECUTE", ok)
print("MESSAGE", message)
""".format(plugins=os.path.join(ROOT, ".build", "plugins")))
    done = subprocess.run([sys.executable, str(script)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)
    assert "CAN_EXECUTE False" in done.stdout, done.stdout + done.stderr
    message = done.stdout.split("MESSAGE", 1)[1]
    for hint in ("rasterio", "OSGeo4W", "macOS", "apt install "
                 "python3-rasterio"):
        assert hint in message


@pytest.mark.usefixtures("qgis_app")
def test_two_runs_at_once_do_not_interfere(products, tmp_path):
    """What the batch panel and background runs do: several algorithm
    instances in QGIS task threads at the same time, one output folder."""
    import processing
    from qgis.core import (QgsApplication, QgsProcessingAlgRunnerTask,
                           QgsProcessingContext, QgsProcessingFeedback)
    from qgis.PyQt.QtCore import QCoreApplication
    jobs = [
        {"INPUT": str(products("l1c_a", size=366, seed=1)),
         "OUTPUT": str(tmp_path / "a.tif")},
        {"INPUT": str(products("l1c_b", size=366, seed=2,
                               jp2_block=128)),
         "COMBINATION": "SWIR 12-8A-4", "OUTPUT": str(tmp_path / "b.tif")},
    ]
    expected = []
    for job in jobs:                       # one at a time, for reference
        alone = dict(job, OUTPUT=job["OUTPUT"].replace(".tif", "_alone.tif"))
        processing.run(ALGORITHM, alone)
        with rasterio.open(alone["OUTPUT"]) as img:
            expected.append(img.read())

    registry = QgsApplication.processingRegistry()
    keep, finished = [], {}
    for number, job in enumerate(jobs):
        context, feedback = QgsProcessingContext(), QgsProcessingFeedback()
        alg = registry.createAlgorithmById(ALGORITHM)
        task = QgsProcessingAlgRunnerTask(alg, job, context, feedback)
        # the task manager deletes a task once it is done: listen, don't poll
        task.executed.connect(
            lambda ok, results, number=number: finished.__setitem__(number,
                                                                    ok))
        keep.append((context, feedback, alg))
        QgsApplication.taskManager().addTask(task)
    deadline = time.time() + 120
    while len(finished) < len(jobs):
        assert time.time() < deadline, "runs did not finish"
        QCoreApplication.processEvents()
        time.sleep(0.02)
    assert finished == {0: True, 1: True}
    for job, reference in zip(jobs, expected):
        with rasterio.open(job["OUTPUT"]) as img:
            assert np.array_equal(img.read(), reference)
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".partial")]


def test_package_installs_and_runs_in_a_fresh_profile(l1c, tmp_path):
    package = tmp_path / "sentinel2_equalizer.zip"
    subprocess.run(["make", "-s", "-C", ROOT, "package",
                    "PACKAGE={}".format(package)], check=True,
                   stdout=subprocess.DEVNULL)
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        assert all(n.startswith("sentinel2_equalizer/") for n in names)
        for needed in ("metadata.txt", "__init__.py", "plugin.py",
                       "algorithms/equalize.py", "core/render.py",
                       "icons/equalizer.svg", "help/index.html",
                       "README.md", "LICENSE"):
            assert "sentinel2_equalizer/" + needed in names, needed
        for left_out in ("tests/", "scripts/", "Makefile", ".ci/", "docs/"):
            assert not any(n.startswith("sentinel2_equalizer/" + left_out)
                           for n in names), left_out
        profile = tmp_path / "profile"
        plugins = profile / "profiles" / "default" / "python" / "plugins"
        plugins.mkdir(parents=True)
        archive.extractall(plugins)

    binary = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
    env = {k: v for k, v in os.environ.items() if k != "QGIS_PLUGINPATH"}
    env.update(QGIS_CUSTOM_CONFIG_PATH=str(profile),
               QT_QPA_PLATFORM="offscreen")

    def qgis_process(*args):
        return subprocess.run([binary] + list(args), env=env, check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=300)
    qgis_process("plugins", "enable", "sentinel2_equalizer")
    out = tmp_path / "from_zip.tif"
    done = qgis_process("run", ALGORITHM, "--", "INPUT={}".format(l1c),
                        "OUTPUT={}".format(out))
    assert "OUTPUT:\t{}".format(out) in done.stdout
    with rasterio.open(out) as img:
        assert img.count == 3 and img.tags()["S2EQ_BANDS"] == "B04,B03,B02"
        assert img.tags()["S2EQ_SOFTWARE"].startswith("Sentinel-2 Equalizer")
