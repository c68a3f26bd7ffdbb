"""How s2eq algorithms declare their parameters.

A saved model, a batch file or a script names only the parameters that
existed when it was made. processing.run and qgis_process fill an omitted
parameter with its default, but the model designer reports a child
algorithm as invalid when a mandatory parameter has no value, even one with
a default. So every parameter beyond the product(s) and the output is
optional in the Processing sense and carries the default that gives the
behaviour users had before it existed. ``optional()`` is the one way to
declare such a parameter; the test suite holds every algorithm of the
provider to the rule.
"""

from .compat import FLAG_ADVANCED, FLAG_OPTIONAL, add_flags

#: Parameters a run cannot do without: the product (or the products of a
#: multi-product algorithm). Destination parameters are required as well.
REQUIRED = ("INPUT", "INPUTS")


def optional(parameter, advanced=False):
    """``parameter`` flagged optional (and advanced if asked), so that a
    model or script omitting it gets its default. Raises ValueError for a
    parameter without a default: a run omitting it would have no value."""
    if parameter.defaultValue() is None:
        raise ValueError("Optional parameter {} needs a default value".format(
            parameter.name()))
    add_flags(parameter, FLAG_OPTIONAL)
    if advanced:
        add_flags(parameter, FLAG_ADVANCED)
    return parameter

