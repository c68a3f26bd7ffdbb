"""Saved models, batch files and scripts keep working as parameters are
added: every parameter beyond the product and the output is optional with
the default that reproduces the behaviour from before it existed.

The models in tests/data/ were saved as the QGIS 3.22 model designer saves
one, each when s2eq:equalize had fewer parameters than today (its help says
which): the designer stores a value for every parameter the algorithm had
then, and nothing for those added since. A new parameter must leave them
valid and their output unchanged.
"""

import glob
import os

import numpy as np
import pytest
import rasterio

from conftest import TESTS

ALGORITHM = "s2eq:equalize"
MODELS = sorted(glob.glob(os.path.join(TESTS, "data", "*.model3")))
#: Tags that differ between any two runs: when the file was written.
WHEN = ("TIFFTAG_DATETIME",)

pytestmark = pytest.mark.usefixtures("qgis_app")


def provider_algorithms():
    from qgis.core import QgsApplication
    return QgsApplication.processingRegistry().providerById(
        "s2eq").algorithms()


def load_model(path):
    from qgis.core import QgsProcessingModelAlgorithm
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(path), path
    return model


def image(path):
    """Everything a run decides about a GeoTIFF: pixels, mask, layout and
    tags (by namespace)."""
    with rasterio.open(path) as img:
        return {
            "pixels": img.read(),
            "mask": img.dataset_mask(),
            "layout": (img.crs, img.transform, img.block_shapes,
                       img.overviews(1), img.colorinterp),
            "tags": img.tags(),
            "structure": img.tags(ns="IMAGE_STRUCTURE"),
        }


def file_bytes_but_time(path):
    """The file's bytes with its TIFFTAG_DATETIME value blanked: that tag
    has a fixed length, so nothing else moves."""
    with rasterio.open(path) as img:
        stamp = img.tags()["TIFFTAG_DATETIME"].encode("ascii")
    with open(path, "rb") as handle:
        data = handle.read()
    assert stamp in data
    return data.replace(stamp, b"0" * len(stamp))


def assert_same_image(a, b, ignore_tags=WHEN):
    assert np.array_equal(a["pixels"], b["pixels"])
    assert np.array_equal(a["mask"], b["mask"])
    assert a["layout"] == b["layout"]
    assert a["structure"] == b["structure"]
    tags_a = {k: v for k, v in a["tags"].items() if k not in ignore_tags}
    tags_b = {k: v for k, v in b["tags"].items() if k not in ignore_tags}
    assert tags_a == tags_b


def test_every_parameter_but_products_and_outputs_is_optional_with_a_default():
    from sentinel2_equalizer.algorithms.compat import FLAG_OPTIONAL
    from sentinel2_equalizer.algorithms.parameters import REQUIRED
    algorithms = provider_algorithms()
    assert ALGORITHM in [a.id() for a in algorithms]
    for algorithm in algorithms:
        for parameter in algorithm.parameterDefinitions():
            if parameter.isDestination() or parameter.name() in REQUIRED:
                continue
            where = "{} {}".format(algorithm.id(), parameter.name())
            assert parameter.flags() & FLAG_OPTIONAL, where
            assert parameter.defaultValue() is not None, where
            assert parameter.checkValueIsAcceptable(
                parameter.defaultValue()), where


def test_the_old_models_are_kept_as_fixtures():
    """Each fixture leaves out parameters added since it was saved; one
    predates the band combination."""
    saved = []
    for path in MODELS:
        for child in load_model(path).childAlgorithms().values():
            given = set(child.parameterSources())
            today = {p.name() for p in child.algorithm().parameterDefinitions()
                     if not p.isDestination()}
            assert given < today, (path, given)
            saved.append(given)
    assert len(saved) >= 2
    assert any("COMBINATION" not in given for given in saved)


@pytest.mark.parametrize("path", MODELS, ids=os.path.basename)
def test_old_model_opens_valid(path):
    model = load_model(path)
    valid, issues = model.validate()
    assert valid, issues
    assert model.childAlgorithms()
    for child_id in model.childAlgorithms():
        valid, issues = model.validateChildAlgorithm(child_id)
        assert valid, (child_id, issues)


def model_run_arguments(model, product, output):
    """Model input name -> value for a model with one file input (the
    product) and one destination (the image)."""
    inputs = [p for p in model.parameterDefinitions()
              if not p.isDestination()]
    outputs = model.destinationParameterDefinitions()
    assert len(inputs) == 1 and inputs[0].type() == "file", inputs
    assert len(outputs) == 1, outputs
    return {inputs[0].name(): str(product), outputs[0].name(): str(output)}


def direct_parameters(model, product, output):
    """The parameters the model hands s2eq:equalize, as a processing.run
    call would give them: its static values, the product and the output."""
    from qgis.core import QgsProcessingModelChildParameterSource as Source
    from sentinel2_equalizer.algorithms.compat import pick
    static_value = pick("ProcessingModelChildParameterSource", "StaticValue",
                        Source, "StaticValue")
    (child,) = model.childAlgorithms().values()
    assert child.algorithmId() == ALGORITHM
    parameters = {"INPUT": str(product), "OUTPUT": str(output)}
    for name, sources in child.parameterSources().items():
        (source,) = sources
        if source.source() == static_value:
            parameters[name] = source.staticValue()
    return parameters


@pytest.mark.parametrize("path", MODELS, ids=os.path.basename)
def test_old_model_runs_headless_as_the_algorithm_does(path, l1c, tmp_path,
                                                       run_qgis_process):
    import processing
    model = load_model(path)
    through_model = tmp_path / "model.tif"
    arguments = model_run_arguments(model, l1c, through_model)
    run_qgis_process("run", path, "--", *("{}={}".format(k, v)
                                           for k, v in arguments.items()))
    direct = tmp_path / "direct.tif"
    parameters = direct_parameters(model, l1c, direct)
    processing.run(ALGORITHM, parameters)
    assert_same_image(image(str(through_model)), image(str(direct)))


def test_omitted_parameters_give_the_default_run_byte_for_byte(l1c,
                                                                tmp_path):
    import processing
    from qgis.core import QgsApplication
    from sentinel2_equalizer.core import render
    algorithm = QgsApplication.processingRegistry().algorithmById(ALGORITHM)
    omitted = str(tmp_path / "omitted.tif")
    processing.run(ALGORITHM, {"INPUT": str(l1c), "OUTPUT": omitted})

    explicit = str(tmp_path / "explicit.tif")
    defaults = {p.name(): p.defaultValue()
                for p in algorithm.parameterDefinitions()
                if not p.isDestination() and p.defaultValue() is not None}
    assert len(defaults) == len(algorithm.parameterDefinitions()) - 2
    processing.run(ALGORITHM, dict(defaults, INPUT=str(l1c),
                                   OUTPUT=explicit))

    core = str(tmp_path / "core.tif")
    render.run(render.Options(str(l1c), core))

    assert_same_image(image(omitted), image(explicit))
    assert file_bytes_but_time(omitted) == file_bytes_but_time(explicit)
    # The plugin names itself and its version in the software tags; the
    # core called on its own does not.
    assert_same_image(image(omitted), image(core), ignore_tags=WHEN + (
        "S2EQ_SOFTWARE", "TIFFTAG_SOFTWARE"))
