"""Outputs in an S3 bucket, against a real S3-compatible server (rclone
serve s3 on 127.0.0.1, tests/s3_server.py): the command line's -o
s3://..., a curve file there and read back from there, the pixels the
same as a local output's; wrong credentials and a missing bucket give one
clear line and no object; a store that answers 503 for a while is waited
out; a run killed mid-upload leaves no object; no credential in the
output's tags, the log or the curve file."""

import json
import os
import signal
import subprocess
import time

import pytest

from s2eq_runner import (TIMEOUT, command, error_line, run_s2eq,
                         same_pixels, tags)
from s3_server import client_environment, no_secret

BUCKET = "outputs"


@pytest.fixture
def clean(s3):
    """The bucket emptied, faults cleared and counts zeroed, after each
    test."""
    s3.puts = 0
    del s3.log[:]
    yield s3
    s3.faults[:] = []
    s3.stall_after = None
    for key in s3.objects(BUCKET):
        os.remove(os.path.join(s3.folder, BUCKET, key))


def s3_env(s3, tmp_path, **more):
    """The command's environment: the store's variables, its own TMPDIR
    (to see what it leaves there) and no other AWS_ variable."""
    env = client_environment(s3, TMPDIR=str(tmp_path / "tmp"), **more)
    os.makedirs(env["TMPDIR"], exist_ok=True)
    return env


def object_file(s3, key):
    return os.path.join(s3.folder, BUCKET, key)


def test_an_output_in_a_bucket_is_the_local_output(l1c, clean, tmp_path):
    s3 = clean
    env = s3_env(s3, tmp_path)
    local = tmp_path / "local.tif"
    assert run_s2eq("equalize", l1c, "-o", local).returncode == 0
    done = run_s2eq("equalize", l1c, "-o",
                    "s3://{}/runs/rgb.tif".format(BUCKET), "--json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["output"] == "s3://{}/runs/rgb.tif".format(BUCKET)
    assert s3.objects(BUCKET) == ["runs/rgb.tif"]
    assert same_pixels(local, object_file(s3, "runs/rgb.tif"))
    written = tags(object_file(s3, "runs/rgb.tif"))
    no_secret(done.stdout, done.stderr, json.dumps(written))
    # Nothing of the run stays in its scratch folder.
    assert os.listdir(env["TMPDIR"]) == []


def test_a_curve_file_in_a_bucket_serves_a_run(l1c, clean, tmp_path):
    s3 = clean
    env = s3_env(s3, tmp_path)
    curve = "s3://{}/curves/one.json".format(BUCKET)
    made = run_s2eq("curve", l1c, "-o", curve, env=env)
    assert made.returncode == 0, made.stderr
    assert "curves/one.json" in s3.objects(BUCKET)
    with open(object_file(s3, "curves/one.json")) as handle:
        text = handle.read()
    no_secret(text, made.stderr, made.stdout)
    local = tmp_path / "with-curve.tif"
    assert run_s2eq("equalize", l1c, "--curve", object_file(
        s3, "curves/one.json"), "-o", local).returncode == 0
    done = run_s2eq("equalize", l1c, "--curve", curve, "-o",
                    "s3://{}/with-curve.tif".format(BUCKET), env=env)
    assert done.returncode == 0, done.stderr
    assert same_pixels(local, object_file(s3, "with-curve.tif"))


@pytest.mark.parametrize("case", ["secret", "bucket"])
def test_wrong_credentials_or_bucket_say_so_in_one_line(l1c, clean, tmp_path,
                                                        case):
    s3 = clean
    if case == "secret":
        env = s3_env(s3, tmp_path, AWS_SECRET_ACCESS_KEY="not-the-secret")
        target, words = "s3://{}/x.tif".format(BUCKET), "credentials"
    else:
        env = s3_env(s3, tmp_path)
        target, words = "s3://no-such-bucket/x.tif", "does not exist"
    started = time.time()
    done = run_s2eq("equalize", l1c, "-o", target, env=env)
    assert done.returncode == 1, done.stderr
    line = error_line(done.stderr)
    assert words in line and target in line, done.stderr
    no_secret(done.stderr, done.stdout)
    if case == "secret":
        assert "AWS_ACCESS_KEY_ID" in line
        assert "not-the-secret" not in done.stderr
    # Refused before the product was read: no work was wasted.
    assert time.time() - started < 20
    assert s3.objects(BUCKET) == []
    assert os.listdir(env["TMPDIR"]) == []


def test_a_busy_store_is_waited_out(l1c, clean, tmp_path):
    s3 = clean
    # More 503s than GDAL retries one request: the upload itself is tried
    # again after a pause.
    s3.fail("PUT", 503, times=6)
    done = run_s2eq("equalize", l1c, "-o",
                    "s3://{}/busy.tif".format(BUCKET), env=s3_env(s3,
                                                                  tmp_path))
    assert done.returncode == 0, done.stderr
    assert s3.faults[0][2] == 0          # every 503 was sent
    assert "trying again" in done.stderr
    assert s3.objects(BUCKET) == ["busy.tif"]


def test_a_run_killed_mid_upload_leaves_no_object(l1c, clean, tmp_path):
    s3 = clean
    s3.stall_uploads(after=4096)
    env = s3_env(s3, tmp_path)
    run = subprocess.Popen(
        command("equalize", l1c, "-o", "s3://{}/killed.tif".format(BUCKET)),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env)
    try:
        assert s3.stalled.wait(TIMEOUT), "the upload never started"
        run.send_signal(signal.SIGKILL)
        run.wait(TIMEOUT)
    finally:
        if run.poll() is None:
            run.kill()
        run.communicate()
    s3.stall_after = None
    assert s3.objects(BUCKET) == [] and s3.puts == 0
    # Its local copy is left, locked no more; the next run for the same
    # object removes it, and writes the object.
    assert len(os.listdir(env["TMPDIR"])) == 1
    again = run_s2eq("equalize", l1c, "-o",
                     "s3://{}/killed.tif".format(BUCKET), env=env)
    assert again.returncode == 0, again.stderr
    assert s3.objects(BUCKET) == ["killed.tif"]
    assert os.listdir(env["TMPDIR"]) == []


def test_an_object_there_stays_whole_when_a_run_fails(l1c, clean, tmp_path):
    s3 = clean
    env = s3_env(s3, tmp_path)
    target = "s3://{}/kept.tif".format(BUCKET)
    assert run_s2eq("equalize", l1c, "-o", target, env=env).returncode == 0
    with open(object_file(s3, "kept.tif"), "rb") as handle:
        before = handle.read()
    s3.fail("PUT", 403, times=99)
    done = run_s2eq("equalize", l1c, "--bands", "B08,B04,B03", "-o", target,
                    env=env)
    assert done.returncode == 1
    with open(object_file(s3, "kept.tif"), "rb") as handle:
        assert handle.read() == before


def test_a_cancelled_run_leaves_no_object(l1c, clean, tmp_path,
                                          monkeypatch):
    from sentinel2_equalizer import api
    from sentinel2_equalizer.core.errors import Cancelled
    s3 = clean
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in s3.environment().items():
        monkeypatch.setenv(key, value)
    notes = []
    # Cancelled once the file is written, just before it would be sent.
    with pytest.raises(Cancelled):
        api.equalize(str(l1c), "s3://{}/cancelled.tif".format(BUCKET),
                     scratch_dir=str(tmp_path), log=notes.append,
                     is_cancelled=lambda: any(
                         n.startswith("Writing the Cloud") for n in notes))
    assert s3.objects(BUCKET) == [] and s3.puts == 0
    assert os.listdir(str(tmp_path)) == []
