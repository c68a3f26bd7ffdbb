"""The core, loaded on first use.

QGIS starts without importing numpy and rasterio, and the plugin still
loads where they are missing: an algorithm then says in ``canExecute`` what
to install, instead of the provider failing to register.
"""

import importlib

from qgis.core import QgsProcessingException

#: The modules the core needs beyond Python itself.
NEEDED_MODULES = ("numpy", "rasterio")


def load_core(name):
    """The core module ``name`` (e.g. "render", "curves.curve"), imported
    on first use so
    that QGIS starts without loading numpy and rasterio, and so that the
    plugin still loads where they are missing. Returns (module, None), or
    (None, the missing module's name) when numpy or rasterio is missing;
    any other import error is a bug and is raised."""
    try:
        return importlib.import_module("..core." + name, __package__), None
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing in NEEDED_MODULES:
            return None, missing
        raise


class CoreLoading:
    """An algorithm's way to the core: ``canExecute`` for a missing numpy
    or rasterio, and ``core(name)`` for a core module."""

    def canExecute(self):  # noqa: N802 (QGIS API)
        missing = load_core("render")[1]
        if missing is None:
            return True, ""
        return False, self.tr(
            "This algorithm needs the Python modules numpy and rasterio, and "
            "'{}' cannot be imported. Install it, then restart QGIS. "
            "Windows (OSGeo4W): run the OSGeo4W setup, choose Advanced "
            "install and add the package python3-rasterio. macOS (QGIS.org "
            "build): /Applications/QGIS.app/Contents/MacOS/bin/pip3 install "
            "rasterio. Linux: install your distribution's python3-rasterio "
            "(Debian/Ubuntu: sudo apt install python3-rasterio; Fedora: sudo "
            "dnf install python3-rasterio).").format(missing)

    def core(self, name):
        """The core module ``name``; QgsProcessingException if numpy or
        rasterio is missing."""
        module = load_core(name)[0]
        if module is None:
            raise QgsProcessingException(self.canExecute()[1])
        return module
