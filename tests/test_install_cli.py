"""make cli (scripts/install-cli) installs a copy of the checkout: the
command works on once the checkout is gone, and an install from another
checkout says what it replaces."""

import os
import shutil
import subprocess

from conftest import ROOT
from s2eq_runner import TIMEOUT

#: What a checkout holds beside the package that the install leaves out.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".build", ".venv", "build", "*.egg-info", "demo", "__pycache__",
    "tests", "*.tif", "*.zip")


def install(checkout, prefix, bindir):
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment.update(S2EQ_PREFIX=str(prefix), S2EQ_BINDIR=str(bindir))
    return subprocess.run(
        ["sh", str(checkout / "scripts" / "install-cli")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, env=environment, timeout=TIMEOUT)


def test_the_command_outlives_its_checkout(l1c, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for checkout in (first, second):
        shutil.copytree(ROOT, checkout, ignore=NOT_COPIED)
    prefix, bindir = tmp_path / "prefix", tmp_path / "bin"
    done = install(first, prefix, bindir)
    assert done.returncode == 0, done.stdout
    assert "a copy of {}: the checkout may move or go".format(first) in \
        done.stdout
    assert os.readlink(str(bindir / "s2eq")) == str(prefix / "bin" /
                                                     "s2eq")
    assert not (first / "build").exists()
    shutil.rmtree(first)
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = tmp_path / "rgb.tif"
    ran = subprocess.run([str(bindir / "s2eq"), "equalize", str(l1c), "-o",
                          str(out), "--resolution", "60", "-q"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, env=clean, cwd=tmp_path,
                         timeout=TIMEOUT)
    assert ran.returncode == 0, ran.stderr
    assert out.exists()
    again = install(second, prefix, bindir)
    assert again.returncode == 0, again.stdout
    assert "Replacing the s2eq in {}, installed from {}, with this " \
        "checkout's ({}).".format(prefix, first, second) in again.stdout
