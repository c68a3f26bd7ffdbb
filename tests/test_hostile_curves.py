"""Hostile and broken inputs, fourth: curve files are checked before use.

A curve file is data from anywhere: nested without end, counts that are
no numbers, beyond any product or not finite, lists of any size, tile
histograms that would take more memory than any machine has. Each is
refused with one line naming what is wrong, before a pixel is decoded,
and nothing is written."""

import json
import os

import pytest

from hostile import qgis_refused, refused, succeeds

DAMAGED = "^The curve file '{}' is damaged \\({}\\). Make it again.$"
NOT_JSON = "^'{}' is not a curve file: "


@pytest.fixture(scope="module")
def sound(hostile, tmp_path_factory):
    """The text of a sound curve file of the hostile product, with its
    tiles."""
    path = tmp_path_factory.mktemp("sound-curve") / "c.json"
    succeeds("curve", hostile, "-o", path)
    return path.read_text(encoding="utf-8")


def band_entry(doc):
    return doc["bands"]["B04"]


def set_in(path, value):
    """A change that puts ``value`` at ``path`` (keys) in the document."""
    def change(doc):
        entry = doc
        for key in path[:-1]:
            entry = entry[key]
        entry[path[-1]] = value
        return json.dumps(doc)
    return change


#: (id, the file's text made from the sound one's document, the message)
CASES = [
    ("nested", lambda doc: "[" * 100000 + "]" * 100000,
     NOT_JSON + "its JSON is nested far deeper than a curve's."),
    ("count-1e308", set_in(("bands", "B04", "histogram", "counts"), [1e308]),
     DAMAGED.format("{}", "band B04: counts must be a whole number from 0 "
                    "to 9007199254740992")),
    ("count-10e400", lambda doc: json.dumps(doc).replace(
        '"valid_pixels": ', '"valid_pixels": 1' + "0" * 400 + ", \"x\": ", 1),
     DAMAGED.format("{}", "band B04: valid_pixels must be a whole number "
                    "from 0 to 9007199254740992")),
    ("count-infinity", lambda doc: json.dumps(doc).replace(
        '"sampled_pixels": ', '"sampled_pixels": Infinity, "x": ', 1),
     NOT_JSON + "it is not JSON \\(Infinity is no number a curve file "
     "holds\\)."),
    ("count-negative", set_in(("bands", "B04", "histogram", "counts"), [-5]),
     DAMAGED.format("{}", "band B04: counts must be a whole number from 0 "
                    "to 9007199254740992")),
    ("lut-huge", set_in(("bands", "B04", "lut"), [10 ** 30] * 256),
     DAMAGED.format("{}", "band B04: the lut's values must be a whole "
                    "number from 0 to 65535")),
    ("tiles-huge", lambda doc: set_in(("tiles", "zones"), [dict(
        doc["tiles"]["zones"][0], shape=[100000, 100000])])(doc),
     DAMAGED.format("{}", "tiles: 100000 x 100000 tiles would take more "
                    "memory than a curve file may ask \\(2 GiB\\)")),
    ("products-nested", set_in(("products",), [[[[[]]]]]),
     DAMAGED.format("{}", "a product must be an object")),
    ("no-level", lambda doc: json.dumps({k: v for k, v in doc.items()
                                         if k != "level"}),
     DAMAGED.format("{}", 'it has no "level" entry')),
]


@pytest.mark.parametrize("make, message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_hostile_curve_file_is_refused_before_any_pixel(
        product, sound, tmp_path, out, make, message):
    bad = tmp_path / "bad.json"
    bad.write_text(make(json.loads(sound)), encoding="utf-8")
    refused("equalize", product, "-o", out / "rgb.tif", "--curve", bad,
            message=message.format(bad))
    assert os.listdir(out) == []


def test_qgis_refuses_a_hostile_curve_file(qgis_app, product, sound,
                                           tmp_path, out):
    bad = tmp_path / "bad.json"
    bad.write_text(CASES[1][1](json.loads(sound)), encoding="utf-8")
    qgis_refused({"INPUT": str(product), "CURVE": str(bad),
                  "OUTPUT": str(out / "rgb.tif")},
                 CASES[1][2].format(bad))
    nested = tmp_path / "nested.json"
    nested.write_text(CASES[0][1](None), encoding="utf-8")
    qgis_refused({"INPUT": str(product), "CURVE": str(nested),
                  "OUTPUT": str(out / "rgb.tif")},
                 CASES[0][2].format(nested))
    assert os.listdir(out) == []
