"""Products in an S3 bucket as input, against a real S3-compatible
server (rclone serve s3 on 127.0.0.1, tests/s3_server.py): a .SAFE folder
and a .zip read in place with range requests give the same pixels as the
same product on disk, with their checksums verified; an output in the
same store; wrong credentials give one clear line; no credential reaches
the output's tags or the log."""

import json
import os
import shutil

import pytest

from s2eq_runner import error_line, run_s2eq, same_pixels, tags
from s3_server import client_environment, no_secret

BUCKET = "inputs"


@pytest.fixture(scope="module")
def zipped(products):
    return products("l1c-zip", size=366, jp2_block=128, zipped=True)


@pytest.fixture(scope="module")
def in_bucket(l1c, zipped, s3):
    """{"safe": s3:// URL of the L1C .SAFE folder, "zip": of its zip}."""
    root = os.path.join(s3.folder, BUCKET)
    safe = os.path.basename(str(l1c))
    shutil.copytree(str(l1c), os.path.join(root, "safe", safe))
    os.makedirs(os.path.join(root, "zips"))
    shutil.copy(str(zipped), os.path.join(root, "zips"))
    return {"safe": "s3://{}/safe/{}".format(BUCKET, safe),
            "zip": "s3://{}/zips/{}".format(BUCKET,
                                            os.path.basename(str(zipped)))}


s3_env = client_environment


@pytest.mark.parametrize("kind", ["safe", "zip"])
def test_a_product_in_a_bucket_is_the_product_on_disk(l1c, zipped, in_bucket,
                                                      s3, tmp_path, kind):
    local_input = l1c if kind == "safe" else zipped
    local = tmp_path / "local.tif"
    done = run_s2eq("equalize", local_input, "-o", local)
    assert done.returncode == 0, done.stderr
    remote = tmp_path / "remote.tif"
    done = run_s2eq("equalize", in_bucket[kind], "-o", remote, "--verify",
                    env=s3_env(s3))
    assert done.returncode == 0, done.stderr
    assert same_pixels(local, remote)
    written = tags(remote)
    assert written["S2EQ_PRODUCT"] == tags(local)["S2EQ_PRODUCT"]
    no_secret(json.dumps(written), done.stderr, done.stdout)


def test_from_a_bucket_to_a_bucket(l1c, in_bucket, s3, tmp_path):
    local = tmp_path / "local.tif"
    assert run_s2eq("equalize", l1c, "-o", local).returncode == 0
    done = run_s2eq("equalize", in_bucket["zip"], "-o",
                    "s3://{}/out/rgb.tif".format(BUCKET), env=s3_env(s3))
    assert done.returncode == 0, done.stderr
    assert same_pixels(local, os.path.join(s3.folder, BUCKET, "out",
                                           "rgb.tif"))


def test_wrong_credentials_for_an_input_say_so(in_bucket, s3, tmp_path):
    done = run_s2eq("equalize", in_bucket["zip"], "-o", tmp_path / "x.tif",
                    env=s3_env(s3, AWS_SECRET_ACCESS_KEY="not-the-secret"))
    assert done.returncode == 1
    line = error_line(done.stderr)
    assert in_bucket["zip"] in line and "403" in line, done.stderr
    assert "not-the-secret" not in done.stderr
    assert not os.path.exists(str(tmp_path / "x.tif"))
