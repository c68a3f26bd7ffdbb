"""Shared test set-up.

The plugin is imported as the package ``sentinel2_equalizer`` through a link
in ``.build/plugins`` (the same folder ``scripts/qgis-process`` hands to QGIS
as its plugin path), so the tests exercise the code exactly as QGIS loads it.
QGIS itself is started once per session, only by tests that ask for it.
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(ROOT, ".build", "plugins")
TESTS = os.path.dirname(os.path.abspath(__file__))
QGIS_PROCESS = os.path.join(ROOT, "scripts", "qgis-process")
QGIS_PYTHON_PLUGINS = "/usr/share/qgis/python/plugins"

os.makedirs(PLUGINS, exist_ok=True)
if not os.path.exists(os.path.join(PLUGINS, "sentinel2_equalizer")):
    os.symlink(os.path.join("..", ".."),
               os.path.join(PLUGINS, "sentinel2_equalizer"))
for path in (PLUGINS, TESTS, QGIS_PYTHON_PLUGINS):
    if path not in sys.path:
        sys.path.insert(0, path)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/runtime-{}".format(os.getuid()))
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

#: Fixtures that a family of test files shares, each module with the
#: helpers those files import: test_checksums*, test_errors*, test_hostile*,
#: test_mosaic*, the generator's test_s2products_*, and the S3 server of
#: test_s3_* and test_batch_remote.
pytest_plugins = ("checksum_damage", "error_checks", "hostile",
                  "mosaic_products", "s2products_checks", "s3_server")


@pytest.fixture(scope="session")
def qgis_app(tmp_path_factory):
    """A QGIS application with Processing and this plugin's provider."""
    os.environ["QGIS_CUSTOM_CONFIG_PATH"] = str(
        tmp_path_factory.mktemp("qgis-profile"))
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    import sentinel2_equalizer
    plugin = sentinel2_equalizer.classFactory(None)
    plugin.initProcessing()
    yield app
    plugin.unload()


@pytest.fixture(scope="session")
def run_qgis_process():
    """Runs scripts/qgis-process with arguments; returns CompletedProcess."""
    def run(*args, check=True):
        done = subprocess.run([QGIS_PROCESS] + [str(a) for a in args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=600)
        if check and done.returncode != 0:
            raise AssertionError("qgis_process {} failed ({}):\n{}\n{}".format(
                " ".join(map(str, args)), done.returncode, done.stdout,
                done.stderr))
        return done
    return run


@pytest.fixture(scope="session")
def products(tmp_path_factory):
    """Makes test products on demand, once each per session.

    ``products(name, **kwargs)`` passes kwargs to s2products.make_product.
    """
    import s2products
    made = {}
    base = tmp_path_factory.mktemp("products")

    def make(name, **kwargs):
        if name not in made:
            folder = base / name
            folder.mkdir()
            made[name] = s2products.make_product(folder, **kwargs)
        return made[name]
    return make


@pytest.fixture(scope="session")
def l1c(products):
    """A small current L1C product, several JPEG2000 tiles per band."""
    return products("l1c", size=366, jp2_block=128)


@pytest.fixture(scope="session")
def dates(tmp_path_factory):
    """Two dates of one tile, B04/B03/B02 only: the same ground and sensor
    noise under different clouds."""
    import s2products
    base = tmp_path_factory.mktemp("dates")
    made = []
    for sky, sensing in ((1, "20230614T105629"), (2, "20230704T105629")):
        folder = base / str(sky)
        folder.mkdir()
        made.append(s2products.make_product(
            folder, size=366, jp2_block=128, bands=("B04", "B03", "B02"),
            sky_seed=sky, sensing=sensing))
    return made
