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

The dialog widgets are named here by module path, not imported: Processing
imports them when it builds a dialog, so qgis_process and scripts never load
any GUI code.
"""

from qgis.core import QgsProcessingParameterEnum

from .compat import FLAG_ADVANCED, FLAG_OPTIONAL, add_flags

#: Parameters a run cannot do without: the product (or the products of a
#: multi-product algorithm). Destination parameters are required as well.
REQUIRED = ("INPUT", "INPUTS")

#: The module holding this plugin's dialog widget wrappers.
WIDGETS_MODULE = __name__.rsplit(".", 1)[0] + ".widgets"
#: The drop-down of a choice of words, without QGIS's blank entry.
CHOICE = "choice.ChoiceWrapper"


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


def widget(parameter, wrapper=None, **options):
    """``parameter`` with dialog widget settings in its metadata.

    ``wrapper``: the name of a widget wrapper class in WIDGETS_MODULE, or
    None to keep QGIS's own widget. ``options`` go to the widget: QGIS's
    own widgets read some (``decimals`` for numbers); ours take theirs as
    keyword arguments.
    """
    metadata = parameter.metadata()
    settings = dict(metadata.get("widget_wrapper") or {})
    if wrapper is not None:
        settings["class"] = "{}.{}".format(WIDGETS_MODULE, wrapper)
    settings.update(options)
    metadata["widget_wrapper"] = settings
    parameter.setMetadata(metadata)
    return parameter


def advanced_choice(name, label, options, default, help_text):
    """An optional, advanced choice among the words ``options`` (the value
    is the word itself), ``default`` chosen, with ``help_text`` and the
    CHOICE drop-down."""
    parameter = QgsProcessingParameterEnum(
        name, label, options=list(options), defaultValue=default,
        usesStaticStrings=True)
    parameter.setHelp(help_text)
    return widget(optional(parameter, advanced=True), CHOICE)
