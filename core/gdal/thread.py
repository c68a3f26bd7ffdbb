"""GDAL's own Python bindings (``osgeo.gdal``) as one thread uses them:
its GDAL settings and the errors GDAL signals in it.

``osgeo.gdal`` releases Python's GIL around each native call, where
rasterio holds it through some long ones, so the core calls GDAL through it
where it is installed (every QGIS ships it). Settings and errors stay with
the thread: nothing else in the process (QGIS's own use of GDAL) sees them,
and they reach this thread's calls whether or not rasterio and osgeo.gdal
share one GDAL library (rasterio's wheels carry their own).

GDAL's Python exceptions: the core's calls run with them on, GDAL 4.0's
default, and only in the thread that makes them (``ExceptionMgr``, GDAL
3.7 and later, whose switch is per thread). The process-wide switch
(``gdal.UseExceptions()``) is never touched, since QGIS and its other
plugins share it; and choosing per thread also keeps GDAL 3.7-3.x from
printing its FutureWarning about that switch. GDAL 3.6 has no per-thread
switch: there the process's own setting holds, and GdalThread.call reads a
failure either way.
"""


def osgeo_gdal():
    """The ``osgeo.gdal`` module, or None where it is not installed."""
    try:
        from osgeo import gdal
    except ImportError:
        return None
    return gdal


def osgeo_bindings():
    """The modules of GDAL's Python bindings the core calls (gdal, osr,
    ogr): each keeps its own exception switch."""
    try:
        from osgeo import gdal, ogr, osr
    except ImportError:
        return ()
    return gdal, osr, ogr


class ExceptionsOn:
    """While active, GDAL's Python bindings raise RuntimeError on failure
    in this thread, and only in it. Nothing on GDAL before 3.7."""

    def __init__(self):
        self.managers = [module.ExceptionMgr(useExceptions=True)
                         for module in osgeo_bindings()
                         if hasattr(module, "ExceptionMgr")]

    def __enter__(self):
        for manager in self.managers:
            manager.__enter__()
        return self

    def __exit__(self, *exc_info):
        for manager in reversed(self.managers):
            manager.__exit__(*exc_info)


def config_value(value):
    """A GDAL setting's value as GDAL spells it (True -> "YES")."""
    if isinstance(value, bool):
        return "YES" if value else "NO"
    return str(value)


class GdalThread:
    """While active, ``config`` (name -> str, bool or int) holds for the
    GDAL calls of the thread that entered, and GDAL's errors there are
    collected instead of going to QGIS's log; GDAL's Python exceptions
    are on in the thread (ExceptionsOn).

    Exit in the thread that entered.
    """

    def __init__(self, gdal, config=None):
        self.gdal = gdal
        self.config = {k: config_value(v) for k, v in (config or {}).items()}
        self.errors = []
        self.exceptions = ExceptionsOn()

    def _handle(self, error_class, number, message):
        if error_class >= self.gdal.CE_Failure:
            self.errors.append(message)

    def __enter__(self):
        self.exceptions.__enter__()
        for key, value in self.config.items():
            self.gdal.SetThreadLocalConfigOption(key, value)
        self.gdal.PushErrorHandler(self._handle)
        return self

    def __exit__(self, *exc_info):
        self.gdal.PopErrorHandler()
        for key in self.config:
            self.gdal.SetThreadLocalConfigOption(key, None)
        self.exceptions.__exit__(*exc_info)

    def check(self, failed=False, what="GDAL failed"):
        """Raise OSError with GDAL's first error message, if it signalled
        one; with ``failed`` (a call's failure code), even if it did not."""
        if self.errors:
            raise OSError(self.errors[0])
        if failed:
            raise OSError(what)

    def effect(self, function, *args, **kwargs):
        """Call ``function`` for what it does; its failure, if any, reaches
        ``check()``."""
        try:
            function(*args, **kwargs)
        except RuntimeError as exc:         # exceptions on: see call()
            self.errors.append(str(exc))

    def call(self, function, *args, **kwargs):
        """``function(*args, **kwargs)``, raising OSError when it fails.

        osgeo raises RuntimeError where exceptions are on (in this thread
        from GDAL 3.7 on, else where something turned the process-wide
        switch on); otherwise it returns a failure code or None.
        """
        name = getattr(function, "__name__", "GDAL")
        result = failure = None
        try:
            result = function(*args, **kwargs)
            if result is None or (isinstance(result, int) and result != 0):
                failure = "GDAL failed in {}".format(name)
        except RuntimeError as exc:
            failure = str(exc)
        if failure is None:
            return result
        # A raised exception keeps its frames, and this one would keep the
        # dataset whose method failed open until Python's garbage
        # collector came by; let go of it first.
        del function, args, kwargs, result
        self.check(True, failure)
