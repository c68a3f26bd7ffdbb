"""What the tests of bad input and faults (test_errors*.py) share: ``fails``,
which runs s2eq:equalize expecting a one-line QgsProcessingException and
checks that OUTPUT was left as it was; the fixtures ``copy``, a private
copy of the small L1C product, and ``kept``, an OUTPUT holding a file the
user had.

conftest.py loads this module as a plugin, so that its fixtures are there
for every test module; the helpers are imported by name.
"""

import glob
import os
import re
import shutil

import pytest

KEEP = b"a file the user already had"


def fails(parameters, message, output=None):
    """Run, expect a one-line QgsProcessingException matching ``message``,
    and check that OUTPUT was left as it was."""
    import processing
    from qgis.core import QgsProcessingException
    output = output or parameters["OUTPUT"]
    before = read_bytes(output)
    with pytest.raises(QgsProcessingException) as raised:
        processing.run("s2eq:equalize", parameters)
    text = str(raised.value).replace("Unable to execute algorithm\n", "")
    assert "\n" not in text.strip(), text
    assert re.search(message, text), text
    after = read_bytes(output)
    assert after == before
    folder = os.path.dirname(output) or "."
    if os.path.isdir(folder):
        assert not [n for n in os.listdir(folder) if n.endswith(".partial")]
    return text


def read_bytes(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read()


def band_path(product, band):
    return glob.glob(str(product / "GRANULE" / "*" / "IMG_DATA" /
                         "*_{}.jp2".format(band)))[0]


@pytest.fixture
def copy(l1c, tmp_path):
    """A private copy of the small L1C product, free to damage."""
    target = tmp_path / l1c.name
    shutil.copytree(l1c, target)
    return target


@pytest.fixture
def kept(tmp_path):
    """An OUTPUT path holding a file the user had before the run."""
    path = tmp_path / "kept.tif"
    path.write_bytes(KEEP)
    return str(path)
