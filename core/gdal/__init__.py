"""GDAL as the whole process shares it: its block cache and error
handlers (``env``), its Python bindings used from one thread with that
thread's settings (``thread``), long native calls run off Python's lock
while progress and cancel go on (``native``), and GDAL's and OpenJPEG's
warnings while bands decode, gathered for the run's log
(``decode_warnings``), and files over the network: remote paths in GDAL's
virtual file systems, the retries of a run and the bytes it fetched
(``network``).

Everything here is plumbing for the packages above; nothing here knows
about Sentinel-2.
"""

__all__ = ["decode_warnings", "env", "native", "network", "thread"]
