"""What a Dask worker is asked before a batch: which Python it runs, and
whether that Python can run the batch's tasks.

A task is sent to a worker as a reference to a function of this package;
a worker whose Python lacks the package (or numpy, or rasterio) fails
every task while unpacking it. cluster.py sends ``python`` by value (its
code, not a reference to this module), so that any worker can answer, and
the batch stops once, with a message naming the Python to run.
"""

import importlib

#: The modules a worker imports to run the tasks: numpy and rasterio for
#: the core, and the tasks themselves (this package).
NEEDED = ("numpy", "rasterio", __name__.rsplit(".", 1)[0] + ".tasks")


def python():
    """(this Python's executable, None or why it cannot run the tasks)."""
    import sys
    for name in NEEDED:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            return sys.executable, "{}: {}".format(type(exc).__name__, exc)
    return sys.executable, None
