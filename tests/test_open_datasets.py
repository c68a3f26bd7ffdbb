"""The reader keeps one open dataset per band file and decoding thread for
a whole run, instead of one per block, and closes them all at its end:
after a run, a failed one and a cancelled one."""

import time

import pytest

from sentinel2_equalizer import api
from sentinel2_equalizer.core.errors import Cancelled
from sentinel2_equalizer.core.pixels import reading

BANDS = "B04,B03,B02"


@pytest.fixture
def opened(monkeypatch):
    """Every dataset the decoding threads open, as (path, dataset)."""
    seen = []
    real = reading.ThreadDatasets.open

    def record(self):
        dataset = real(self)
        seen.append((self.path, dataset))
        return dataset

    monkeypatch.setattr(reading.ThreadDatasets, "open", record)
    return seen


@pytest.mark.parametrize("curve", [False, True])
def test_one_dataset_per_band_and_thread_all_closed_at_the_end(
        curve, l1c, opened, tmp_path):
    given = None
    if curve:
        made = api.equalize(str(l1c), str(tmp_path / "own.tif"), bands=BANDS)
        from sentinel2_equalizer.core.curves import curve as curves
        given = str(tmp_path / "c.json")
        curves.save(made.curve, given)
        del opened[:]
    api.equalize(str(l1c), str(tmp_path / "rgb.tif"), bands=BANDS,
                 curve=given)
    paths = {path for path, _ in opened}
    assert len(paths) == 3
    # 9 JPEG2000 tiles a band, each once, from at most DECODE_WORKERS
    # datasets of its file.
    for path in paths:
        count = sum(1 for p, _ in opened if p == path)
        assert 1 <= count <= reading.DECODE_WORKERS
    assert all(dataset.closed for _, dataset in opened)


def test_datasets_are_closed_after_a_cancel(l1c, opened, tmp_path):
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 3
    with pytest.raises(Cancelled):
        api.equalize(str(l1c), str(tmp_path / "rgb.tif"), bands=BANDS,
                     is_cancelled=cancel)
    assert opened
    # A read running at the cancel closes its own dataset when it ends.
    deadline = time.time() + 10
    while time.time() < deadline and not all(d.closed for _, d in opened):
        time.sleep(0.05)
    assert all(dataset.closed for _, dataset in opened)


def test_thread_datasets_close_while_one_is_in_use(l1c):
    """close() from another thread leaves a dataset in use to its reader,
    which closes it when its read ends."""
    import threading
    band = next(iter(sorted(l1c.glob("GRANULE/*/IMG_DATA/*B04.jp2"))))
    datasets = reading.ThreadDatasets(str(band), "B04")
    started, release = threading.Event(), threading.Event()
    held = []

    def slow(dataset):
        held.append(dataset)
        started.set()
        release.wait(10)
        return dataset.width

    reader = threading.Thread(target=datasets.read, args=(slow,))
    reader.start()
    started.wait(10)
    datasets.close()                  # does not wait for the read
    assert not held[0].closed
    release.set()
    reader.join(10)
    assert held[0].closed
