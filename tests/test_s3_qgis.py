"""s2eq:equalize in a real QGIS application with OUTPUT an s3:// object
(rclone serve s3 on 127.0.0.1): the object is written with the pixels a
local output has, the result names it, and QGIS is not asked to load it
as a layer."""

import os
import subprocess
import sys

import pytest

from conftest import TESTS
from s2eq_runner import environment, same_pixels
from s3_server import S3Server

pytestmark = pytest.mark.usefixtures("qgis_app")

BUCKET = "qgis"


@pytest.fixture
def s3_variables(tmp_path):
    """An S3 server in a process of its own (QGIS holds Python's lock while
    its GDAL reads a layer: a server in this process could not answer),
    and its variables in this process, put back as they were after the
    test. Yields the S3Server (not started here) that names its folder."""
    folder = tmp_path / "root"
    (folder / BUCKET).mkdir(parents=True)
    server = subprocess.Popen(
        [sys.executable, os.path.join(TESTS, "s3_server.py"), str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        universal_newlines=True, env=environment())
    try:
        endpoint = server.stdout.readline().strip()
        assert endpoint, "the S3 server did not start"
        named = S3Server(folder)
        variables = named.environment(endpoint=endpoint)
        saved = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
        for key in saved:
            del os.environ[key]
        os.environ.update(variables)
        try:
            yield named
        finally:
            for key in variables:
                os.environ.pop(key, None)
            os.environ.update(saved)
    finally:
        server.stdin.close()
        server.wait(60)
        server.stdout.close()


def test_output_in_a_bucket_is_written_and_loaded(l1c, s3_variables,
                                                  tmp_path):
    import processing
    from qgis.core import QgsProcessingFeedback, QgsProject
    s3 = s3_variables
    local = tmp_path / "local.tif"
    processing.run("s2eq:equalize", {"INPUT": str(l1c),
                                     "OUTPUT": str(local)})
    project = QgsProject.instance()
    project.removeAllMapLayers()
    target = "s3://{}/maps/rgb.tif".format(BUCKET)
    errors = []

    class Recording(QgsProcessingFeedback):
        def reportError(self, error, fatalError=False):
            errors.append(error)
    result = processing.runAndLoadResults(
        "s2eq:equalize", {"INPUT": str(l1c), "OUTPUT": target},
        feedback=Recording())
    assert errors == []
    assert result["OUTPUT"] == target
    assert s3.objects(BUCKET) == ["maps/rgb.tif"]
    assert same_pixels(local, os.path.join(s3.folder, BUCKET, "maps",
                                           "rgb.tif"))
    # No layer is loaded from a bucket (QGIS 3.22 crashes opening one
    # there), and nothing reports a layer that failed to load.
    assert list(project.mapLayers().values()) == []
    project.removeAllMapLayers()
