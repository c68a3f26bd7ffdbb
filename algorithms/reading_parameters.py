"""The shared parameters read back: their checks before a run, with
messages naming the parameter, and their values as the core takes them
(band names, sample fraction, pixel size, curve file, method)."""

from ..core.curves.modes import COLOURS, EQUALIZE, METHODS, PER_BAND, Method
from ..core.errors import SettingError
from ..core.product.bands import BAND_NAMES, combination
from .core_loader import load_core
from .messages import Messages
from ..core.product.masks import CLOUD_WORDS
from .shared_parameters import (COMPOSITE_CHOICES, CUSTOM, FINEST,
                                ORDER_CHOICES, ParameterNames)


class ReadingParameters(ParameterNames, Messages):
    """Checks (``check_*``: (ok, message)) and values of the shared
    parameters."""

    def products(self, parameters, context):
        """The product paths in INPUTS, blanks left out, each STAC
        ItemCollection file among them replaced by its items."""
        paths = [path for path in self.parameterAsFileList(
            parameters, self.INPUTS, context) if path.strip()]
        discovery = load_core("product.discovery")[0]
        return discovery.expand_products(paths) if discovery else paths

    def check_products(self, parameters, context):
        """(False, message) when INPUTS is empty, else (True, "")."""
        if not self.products(parameters, context):
            return False, self.tr(
                "INPUTS is empty. Add one or more Sentinel-2 products: their "
                ".zip, MTD_MSIL1C.xml / MTD_MSIL2A.xml, or .SAFE folders, "
                "STAC items, or a STAC ItemCollection file.")
        return True, ""

    def check_bands_and_sample(self, parameters, context):
        """(False, message) for a band name or sample out of range, else
        (True, "")."""
        for name in (self.RED, self.GREEN, self.BLUE):
            value = parameters.get(name)
            if isinstance(value, str) and value not in BAND_NAMES:
                return False, self.tr(
                    "{}: '{}' is not a Sentinel-2 band name. Use one of "
                    "{}.").format(name, value, ", ".join(BAND_NAMES))
        percent = self.parameterAsDouble(parameters, self.SAMPLE_PERCENT,
                                         context)
        if not 0.0 < percent <= 100.0:
            return False, self.tr(
                "SAMPLE_PERCENT must be above 0 and at most 100 (got {}). Use "
                "1 for a quick histogram, 100 for the exact one.").format(
                    parameters.get(self.SAMPLE_PERCENT))
        return True, ""

    def method(self, parameters, context):
        """The modes.Method the parameters ask for (the defaults where an
        algorithm lacks these parameters)."""
        names = [p.name() for p in self.parameterDefinitions()]
        if self.METHOD not in names:
            return Method()
        return Method(
            self.parameterAsEnumString(parameters, self.METHOD, context)
            or EQUALIZE,
            self.parameterAsEnumString(parameters, self.COLOUR, context)
            or PER_BAND,
            self.parameterAsDouble(parameters, self.CLIP_LIMIT, context),
            self.parameterAsDouble(parameters, self.TILE_SIZE, context))

    def check_method(self, parameters, context):
        """(False, message naming the parameter) for a method, colour mode,
        clip limit or tile size out of range, else (True, ""). The tile
        size is checked against the product's grid by the run itself."""
        for name, options in ((self.METHOD, METHODS),
                              (self.COLOUR, COLOURS)):
            value = parameters.get(name)
            if isinstance(value, str) and value and value not in options:
                return False, self.tr("{}: '{}' is not one of {}.").format(
                    name, value, ", ".join(options))
        try:
            self.method(parameters, context).check()
        except SettingError as exc:
            return False, self.setting_message(exc)
        return True, ""

    def bands(self, parameters, context):
        """The (red, green, blue) band names the run uses, and the named
        combination they come from (None with 'Custom bands')."""
        choice = self.parameterAsEnumString(parameters, self.COMBINATION,
                                            context)
        if choice and choice != CUSTOM:
            return combination(choice).bands, choice
        return tuple(self.parameterAsEnumString(parameters, name, context)
                     for name in (self.RED, self.GREEN, self.BLUE)), None

    def read_bands(self, parameters, context, feedback):
        """The (red, green, blue) bands, said in the log: the parameters
        Processing logs list RED/GREEN/BLUE even where a named combination
        overrides them."""
        bands, named = self.bands(parameters, context)
        if named:
            feedback.pushInfo(self.tr(
                "Bands: {} (red), {} (green), {} (blue), from the band "
                "combination '{}'; the red, green and blue band fields do "
                "not apply.").format(*bands, named))
        else:
            feedback.pushInfo(self.tr(
                "Bands: {} (red), {} (green), {} (blue).").format(*bands))
        return bands

    def sample_fraction(self, parameters, context):
        return self.parameterAsDouble(parameters, self.SAMPLE_PERCENT,
                                      context) / 100.0

    def resolution(self, parameters, context):
        """10, 20 or 60 (m), or None for the finest of the bands."""
        value = self.parameterAsEnumString(parameters, self.RESOLUTION,
                                           context)
        return None if value in ("", FINEST) else int(value)

    def curve_path(self, parameters, context):
        """The curve file given, or None."""
        if self.CURVE not in [p.name() for p in self.parameterDefinitions()]:
            return None
        path = self.parameterAsFile(parameters, self.CURVE, context)
        return path.strip() or None if path else None

    def area(self, parameters, context, feedback=None):
        """The core's pixels.area.Area of EXTENT and MASK, or None where
        both are empty (or the algorithm lacks them). The mask reaches the
        core as a file GDAL reads: the layer's own file where it is one,
        else a temporary GeoPackage of its features."""
        names = [p.name() for p in self.parameterDefinitions()]
        if self.EXTENT not in names:
            return None
        extent = None
        if parameters.get(self.EXTENT) not in (None, ""):
            rectangle = self.parameterAsExtent(parameters, self.EXTENT,
                                               context)
            if not rectangle.isNull() and not rectangle.isEmpty():
                crs = self.parameterAsExtentCrs(parameters, self.EXTENT,
                                                context)
                extent = [rectangle.xMinimum(), rectangle.yMinimum(),
                          rectangle.xMaximum(), rectangle.yMaximum()]
                if crs.isValid():
                    extent.append(crs.authid() or crs.toWkt())
        mask = None
        if parameters.get(self.MASK) not in (None, ""):
            compatible = self.parameterAsCompatibleSourceLayerPathAndLayerName
            path, layer = compatible(
                parameters, self.MASK, context, ["gpkg", "shp", "geojson"],
                "gpkg", feedback)
            if path:
                mask = path + ("|layername=" + layer if layer else "")
        return self.core("pixels.area").make_area(extent, mask)

    def clouds(self, parameters, context):
        """The core's pixels.clouds.Clouds of CLOUDS, CLOUD_BUFFER and
        CLOUD_CLASSES, or None where the algorithm lacks them."""
        names = [p.name() for p in self.parameterDefinitions()]
        if self.CLOUDS not in names:
            return None
        mode = self.parameterAsEnumString(parameters, self.CLOUDS, context)
        classes = self.parameterAsEnumStrings(parameters, self.CLOUD_CLASSES,
                                              context)
        return self.core("pixels.clouds").make_clouds(
            mode or CLOUD_WORDS[0],
            self.parameterAsDouble(parameters, self.CLOUD_BUFFER, context),
            classes or None)

    def check_clouds(self, parameters, context):
        """(False, message naming the parameter) for a CLOUDS, COMPOSITE
        or ORDER choice that is none of theirs, else (True, "")."""
        for name, choices in ((self.CLOUDS, CLOUD_WORDS),
                              (self.COMPOSITE, COMPOSITE_CHOICES),
                              (self.ORDER, ORDER_CHOICES)):
            value = parameters.get(name)
            if isinstance(value, str) and value and value not in choices:
                return False, self.tr("{}: '{}' is not one of {}.").format(
                    name, value, ", ".join(choices))
        return True, ""

    def composite(self, parameters, context):
        """(composite, order) as the core's mosaic takes them."""
        composite = self.parameterAsEnumString(parameters, self.COMPOSITE,
                                               context) or "first valid"
        order = self.parameterAsEnumString(parameters, self.ORDER,
                                           context) or "as given"
        return (COMPOSITE_CHOICES.get(composite, composite),
                ORDER_CHOICES.get(order, order))
