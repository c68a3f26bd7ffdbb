"""Facts about the installed plugin: where it lives, its version, its icon."""

import configparser
import os

from qgis.PyQt.QtGui import QIcon

PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ICON_PATH = os.path.join(PLUGIN_DIR, "icons", "equalizer.svg")
#: The help page the dialog's Help button opens: plain HTML shipped in the
#: plugin, so it works offline and shows well in any browser.
HELP_PAGE = os.path.join(PLUGIN_DIR, "help", "index.html")


def plugin_version():
    """The version in metadata.txt, e.g. "0.1.0"."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(PLUGIN_DIR, "metadata.txt"), encoding="utf-8")
    return parser.get("general", "version", fallback="unknown")


def icon():
    return QIcon(ICON_PATH)
