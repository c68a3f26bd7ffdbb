"""Helpers for the tests of the s2eq command line: run it as a user does
(a separate process, python3 -m sentinel2_equalizer.cli), compare images,
look for partial files."""

import json
import os
import subprocess
import sys

import numpy as np
import rasterio

from conftest import PLUGINS

#: Bound on any one command in these tests, in seconds.
TIMEOUT = 300


def environment(**extra):
    """The environment of a command run from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [PLUGINS] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                     if p])
    env.update(extra)
    return env


def command(*args):
    return [sys.executable, "-m", "sentinel2_equalizer.cli"] + [
        str(a) for a in args]


def run_s2eq(*args, env=None, stdin=subprocess.DEVNULL):
    """Run ``s2eq args`` to its end; returns the CompletedProcess."""
    return subprocess.run(command(*args), stdin=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=TIMEOUT,
                          env=env or environment())


def run_json(*args, status=0, env=None):
    """Run ``s2eq args --json``, check its exit status, return its JSON."""
    done = run_s2eq(*(args + ("--json",)), env=env)
    assert done.returncode == status, (done.returncode, done.stdout,
                                       done.stderr)
    return json.loads(done.stdout)


def pixels(path):
    """(bands, mask) of an image."""
    with rasterio.open(path) as image:
        return image.read(), image.dataset_mask()


def same_pixels(first, second):
    (a, mask_a), (b, mask_b) = pixels(first), pixels(second)
    return np.array_equal(a, b) and np.array_equal(mask_a, mask_b)


def tags(path):
    with rasterio.open(path) as image:
        return image.tags()


def partials(folder):
    """The partial files (written, never committed) in ``folder``."""
    return [n for n in os.listdir(folder) if n.endswith(".partial")]


def error_line(stderr):
    """The one line of a failed command's error (after its notes),
    checked to be its last and only one, with no traceback."""
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("s2eq ")]
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    assert "Traceback" not in stderr
    return errors[0]
