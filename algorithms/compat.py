"""Enum spellings that work from QGIS 3.22 to QGIS 4.

QGIS 3.36 moved Processing enums into scoped ``Qgis`` enums; QGIS 4 drops the
old unscoped names. Each value here is looked up in the new place first.
"""

from qgis.core import (Qgis, QgsProcessing, QgsProcessingParameterDefinition,
                       QgsProcessingParameterFile,
                       QgsProcessingParameterNumber)


def _pick(scoped, member, legacy_owner, legacy_name):
    enum = getattr(Qgis, scoped, None)
    if enum is not None and hasattr(enum, member):
        return getattr(enum, member)
    return getattr(legacy_owner, legacy_name)


FLAG_ADVANCED = _pick("ProcessingParameterFlag", "Advanced",
                      QgsProcessingParameterDefinition, "FlagAdvanced")
FLAG_OPTIONAL = _pick("ProcessingParameterFlag", "Optional",
                      QgsProcessingParameterDefinition, "FlagOptional")
FILE_BEHAVIOR = _pick("ProcessingFileParameterBehavior", "File",
                      QgsProcessingParameterFile, "File")
NUMBER_DOUBLE = _pick("ProcessingNumberParameterType", "Double",
                      QgsProcessingParameterNumber, "Double")
NUMBER_INTEGER = _pick("ProcessingNumberParameterType", "Integer",
                       QgsProcessingParameterNumber, "Integer")
SOURCE_FILE = _pick("ProcessingSourceType", "File", QgsProcessing, "TypeFile")


def add_flags(parameter, *flags):
    """Add ``flags`` to a parameter's existing ones."""
    combined = parameter.flags()
    for flag in flags:
        combined |= flag
    parameter.setFlags(combined)
    return parameter
