"""``python3 -m sentinel2_equalizer.cli``: the ``s2eq`` command."""

import sys

from .main import main

# The guard matters: the workers of an embedded Dask cluster are started
# by multiprocessing's spawn, which imports this module again.
if __name__ == "__main__":
    sys.exit(main())
