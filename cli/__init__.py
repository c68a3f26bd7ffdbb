"""The ``s2eq`` command line: the equalizer without QGIS, for scripts, cron
jobs, containers, and many products on a Dask cluster (``s2eq batch``).

An entry point beside ``algorithms/``, as thin: it reads flags, calls the
api (and so the same core as QGIS) and reports. Nothing here is imported
by the QGIS plugin.
"""
