"""s2eq batch and the cluster it runs on: the embedded cluster listens on
the loopback interface only, a scheduler behind TLS takes the certificate
flags, a worker whose Python lacks the package stops the batch once with
a message naming the Python to run, and a shared curve is made of every
product or not at all, with a summary line either way."""

import os
import subprocess
import sys
import time

import psutil
import pytest

from dask_processes import DaskProcesses, free_port
from s2eq_runner import TIMEOUT, command, environment, run_json, run_s2eq

#: How often the tests look at the sockets of a run, in seconds.
POLL = 0.02
LOOPBACK = ("127.0.0.1", "::1")


def listening(pid):
    """{(process id, address, port)} of the sockets the process ``pid``
    and its children listen on, now."""
    found = set()
    try:
        root = psutil.Process(pid)
        processes = [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return found
    for process in processes:
        try:
            connections = process.connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found |= {(process.pid,) + tuple(c.laddr) for c in connections
                  if c.status == psutil.CONN_LISTEN}
    return found


@pytest.mark.parametrize("flags", [[], ["--dashboard"]],
                         ids=["plain", "dashboard"])
def test_the_embedded_cluster_listens_on_loopback_only(dates, tmp_path,
                                                         flags):
    batch = subprocess.Popen(
        command("batch", *dates, "--out-dir", tmp_path / "out", "--workers",
                "2", *flags), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, env=environment())
    seen = set()
    try:
        deadline = time.time() + TIMEOUT
        while batch.poll() is None:
            assert time.time() < deadline
            seen |= listening(batch.pid)
            time.sleep(POLL)
        stdout, stderr = batch.communicate(timeout=TIMEOUT)
    finally:
        batch.kill()
    assert batch.returncode == 0, stderr
    # the scheduler and the nannies in the command's process, a process
    # per worker
    assert len({pid for pid, _, _ in seen}) == 3, seen
    assert {address for _, address, _ in seen} <= set(LOOPBACK), seen
    assert "Warning" not in stderr and "8787" not in stderr.replace(
        "127.0.0.1:8787", ""), stderr
    dashboard = [line for line in stderr.splitlines()
                 if line.startswith("Dask dashboard: ")]
    if flags:
        assert len(dashboard) == 1 and dashboard[0].startswith(
            "Dask dashboard: http://127.0.0.1:"), stderr
    else:
        assert dashboard == [], stderr


def make_certificate(folder):
    """A self-signed certificate and its key (PEM), for 127.0.0.1: the
    cluster's own authority, whose certificate every party uses."""
    certificate, key = folder / "cluster.pem", folder / "cluster-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", str(key), "-out", str(certificate), "-days", "1",
         "-subj", "/CN=s2eq-test", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        timeout=60)
    return certificate, key


class TlsCluster(DaskProcesses):
    """A scheduler and a worker on 127.0.0.1 that speak TLS only."""

    WORKERS = 1

    def __init__(self, folder):
        super().__init__(folder)
        self.certificate, self.key = make_certificate(folder)
        self.address = "tls://127.0.0.1:{}".format(free_port())
        self.tls = ["--tls-ca-file", str(self.certificate), "--tls-cert",
                    str(self.certificate), "--tls-key", str(self.key)]

    def start(self):
        port = self.address.rsplit(":", 1)[1]
        self.start_process("scheduler", "scheduler", "--host", "127.0.0.1",
                           "--port", port, "--protocol", "tls",
                           "--no-dashboard", *self.tls)
        self.start_process("worker", "worker", self.address, "--host",
                           "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                           *self.tls)
        from distributed import Client
        from distributed.security import Security
        security = Security(
            tls_ca_file=str(self.certificate),
            tls_client_cert=str(self.certificate),
            tls_client_key=str(self.key), require_encryption=True)
        with Client(self.address, timeout=TIMEOUT,
                    security=security) as client:
            client.wait_for_workers(self.WORKERS, timeout=TIMEOUT)


@pytest.fixture
def tls_cluster(tmp_path):
    cluster = TlsCluster(tmp_path)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def test_a_scheduler_behind_tls_takes_the_certificate_flags(
        tls_cluster, dates, tmp_path):
    result = run_json("batch", *dates, "--out-dir", tmp_path / "out",
                      "--scheduler", tls_cluster.address, *tls_cluster.tls)
    assert result["ok"] and result["written"] == 2
    assert result["workers"]["count"] == 1
    done = run_s2eq("batch", *dates, "--out-dir", tmp_path / "out",
                    "--scheduler", tls_cluster.address)
    assert done.returncode == 1
    assert "takes TLS, and no certificate is given: give --tls-ca-file, " \
        "--tls-cert and --tls-key" in done.stderr


def test_tls_flags_go_with_a_tls_scheduler(dates, tmp_path):
    certificate, key = make_certificate(tmp_path)
    done = run_s2eq("batch", *dates, "--out-dir", tmp_path / "out",
                    "--tls-cert", certificate, "--tls-key", key)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "s2eq batch: --tls-cert and --tls-key are for --scheduler "
        "tls://ADDRESS; the cluster started here listens on 127.0.0.1 "
        "only.")
    done = run_s2eq("batch", *dates, "--out-dir", tmp_path / "out",
                    "--scheduler", "tcp://127.0.0.1:1", "--dashboard")
    assert done.returncode == 2 and "--dashboard serves the cluster " \
        "started here" in done.stderr


def test_a_worker_without_the_package_stops_the_batch_once(dates, tmp_path):
    """A worker started with a Python that cannot import the package (here
    without the PYTHONPATH that gives it the checkout) fails no task: the
    batch asks the workers first and says which Python to start them
    with."""
    cluster = DaskProcesses(tmp_path)
    bare = {k: v for k, v in environment().items() if k != "PYTHONPATH"}
    port = cluster.address.rsplit(":", 1)[1]
    try:
        cluster.start_process("scheduler", "scheduler", "--host",
                              "127.0.0.1", "--port", port, "--no-dashboard",
                              env=bare)
        cluster.start_process("worker", "worker", cluster.address, "--host",
                              "127.0.0.1", "--nthreads", "1",
                              "--no-dashboard", env=bare)
        from distributed import Client
        with Client(cluster.address, timeout=TIMEOUT) as client:
            client.wait_for_workers(1, timeout=TIMEOUT)
        done = run_s2eq("batch", *dates, "--out-dir", tmp_path / "out",
                        "--scheduler", cluster.address)
    finally:
        cluster.stop()
    assert done.returncode == 1, done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("s2eq batch: The Dask worker tcp://127.0.0.1:")
    assert "runs {}, which cannot run the batch's tasks (ModuleNotFound" \
        "Error: No module named 'sentinel2_equalizer')".format(
            sys.executable) in message
    assert message.endswith("{} -m dask worker {}".format(
        sys.executable, cluster.address))
    assert "Traceback" not in done.stderr
    worker_log = (tmp_path / "worker.log").read_text()
    assert "Traceback" not in worker_log.split("Stopping worker")[0]
    assert not (tmp_path / "out").exists() or not os.listdir(
        tmp_path / "out")


def damaged_copy(product, folder):
    """A copy of ``product`` with one byte of its B03 file changed: named
    by its metadata, refused when its bands are read."""
    copy = folder / product.name
    subprocess.run(["cp", "-r", str(product), str(copy)], check=True)
    band = next(copy.glob("GRANULE/*/IMG_DATA/*_B03.jp2"))
    data = bytearray(band.read_bytes())
    data[len(data) // 2] ^= 0xFF
    band.write_bytes(bytes(data))
    return copy


def test_a_shared_curve_is_not_made_without_a_failed_product(dates,
                                                               tmp_path):
    """A curve of the products that measured would differ from the curve
    of all of them, and so would every picture made with it: none is
    written, the failed product is named, and the summary says so."""
    (tmp_path / "bad").mkdir()
    bad = damaged_copy(dates[1], tmp_path / "bad")
    out = tmp_path / "out"
    done = run_s2eq("batch", dates[0], bad, "--out-dir", out,
                    "--shared-curve")
    assert done.returncode == 1
    assert done.stdout.strip() == (
        "0 written, 0 already current, 1 failed, shared curve not written; "
        "outputs in {}".format(out))
    errors = done.stderr.strip().splitlines()
    assert errors[-2].startswith("FAILED {}: Band B03 file ".format(bad))
    assert errors[-1] == (
        "The shared curve was not written, nor any output with it: it is "
        "made of every product given, and 1 product failed ({}). Fix it "
        "or leave it out, and run the command again.".format(bad))
    assert not out.exists() or os.listdir(out) == []
    assert "Report: 0 written, 0 already current, 1 failed (of 2 " \
        "products)" in errors
    result = run_json("batch", dates[0], bad, "--out-dir", out,
                      "--shared-curve", status=1)
    assert not result["ok"] and result["shared_curve"] is None
    assert result["error"] == errors[-1]
    # the report names it, with the message the log gave
    assert result["report"]["failed"] == [{
        "product": str(bad), "message": errors[-2].split(": ", 1)[1]}]
    assert result["report"]["products"] == 2
    assert result["report"]["written"] == 0
    # left out, the rest get their shared curve
    result = run_json("batch", dates[0], "--out-dir", out, "--shared-curve")
    assert result["ok"] and os.path.isfile(result["shared_curve"])


def test_a_failed_batch_prints_its_summary_and_quiet_keeps_results(
        dates, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "notes.txt").write_text("hello")
    out = tmp_path / "out"
    done = run_s2eq("batch", dates[0], photos, "--out-dir", out, "-q")
    assert done.returncode == 1
    assert done.stdout.strip() == (
        "1 written, 0 already current, 1 failed; outputs in {}".format(out))
    assert done.stderr.strip().startswith("FAILED {}: ".format(photos))
    done = run_s2eq("equalize", dates[0], "-o", tmp_path / "one.tif", "-q")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Wrote {} (".format(tmp_path / "one.tif"))

