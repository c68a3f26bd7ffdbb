"""``python3 tests/s2products OUTDIR [options]``: write one product and
print its path (the options are listed in __init__ and by ``--help``).

Run that way, this file's own folder is sys.path[0]; the package itself and
the s2files module it uses are found in the folder above, which takes its
place.
"""

import os
import sys

if not __package__:
    _HERE = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0]) == _HERE:
        del sys.path[0]
    sys.path.insert(0, os.path.dirname(_HERE))

from s2products.cli import main  # noqa: E402

sys.exit(main())
