"""What the s2eq algorithms say beside their results: a core error's
message, led by the parameter it is about where the core names a setting
(or naming the parameter or option that gets round it), and the method a
run maps values with, in the log."""

from ..core.curves.modes import ADAPTIVE, EQUALIZE
from ..core.errors import ScratchError, SettingError, UnverifiedError
from .encoding import COMPRESSION, JPEG_QUALITY
from .shared_parameters import ParameterNames


class Messages:
    """Core errors and the method, as an algorithm reports them."""

    #: The parameter of each setting a core SettingError may name.
    SETTINGS = {"method": ParameterNames.METHOD,
                "colour": ParameterNames.COLOUR,
                "clip limit": ParameterNames.CLIP_LIMIT,
                "tile size": ParameterNames.TILE_SIZE,
                "compression": COMPRESSION, "jpeg quality": JPEG_QUALITY,
                "utm zone": "UTM_ZONE"}

    def error_message(self, exc):
        """The message of a core error, for a QgsProcessingException."""
        if isinstance(exc, SettingError):
            return self.setting_message(exc)
        if isinstance(exc, UnverifiedError):
            return exc.worded(self.tr("switch {} off").format(
                ParameterNames.VERIFY))
        if isinstance(exc, ScratchError):
            return exc.worded(self.tr(
                "choose another in Settings > Options > Processing > "
                "General > Override temporary output folder path"))
        return str(exc)

    def setting_message(self, exc):
        """A core SettingError's message, led by the parameter it is
        about."""
        name = self.SETTINGS.get(exc.setting)
        return "{}: {}".format(name, exc) if name else str(exc)

    def method_log(self, method, feedback):
        """Say in the log how the run maps values, where it is not the
        default."""
        if method.is_default:
            return
        feedback.pushInfo(self.tr("Method: {}, colour: {}{}.").format(
            method.name, method.colour,
            self.tr(", clip limit {:g}").format(method.limit)
            if method.name != EQUALIZE else "") + (
                self.tr(" Tiles of {:g} m.").format(method.tile_size)
                if method.name == ADAPTIVE else ""))
