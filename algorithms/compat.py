"""Enum spellings that work from QGIS 3.22 to QGIS 4.

QGIS 3.36 moved Processing enums into scoped ``Qgis`` enums; QGIS 4 drops the
old unscoped names. Each value here is looked up in the new place first.
"""

from qgis.core import (Qgis, QgsProcessing, QgsProcessingParameterDefinition,
                       QgsProcessingParameterFile,
                       QgsProcessingParameterNumber)


def pick(scoped, member, legacy_owner, legacy_name):
    """``Qgis.<scoped>.<member>`` where this QGIS has it (3.36 and later,
    QGIS 4), else ``<legacy_owner>.<legacy_name>`` (3.22-3.34)."""
    enum = getattr(Qgis, scoped, None)
    if enum is not None and hasattr(enum, member):
        return getattr(enum, member)
    return getattr(legacy_owner, legacy_name)


FLAG_ADVANCED = pick("ProcessingParameterFlag", "Advanced",
                      QgsProcessingParameterDefinition, "FlagAdvanced")
FLAG_OPTIONAL = pick("ProcessingParameterFlag", "Optional",
                      QgsProcessingParameterDefinition, "FlagOptional")
FILE_BEHAVIOR = pick("ProcessingFileParameterBehavior", "File",
                      QgsProcessingParameterFile, "File")
NUMBER_DOUBLE = pick("ProcessingNumberParameterType", "Double",
                      QgsProcessingParameterNumber, "Double")
NUMBER_INTEGER = pick("ProcessingNumberParameterType", "Integer",
                       QgsProcessingParameterNumber, "Integer")
SOURCE_FILE = pick("ProcessingSourceType", "File", QgsProcessing, "TypeFile")
SOURCE_POLYGONS = pick("ProcessingSourceType", "VectorPolygon", QgsProcessing,
                       "TypeVectorPolygon")


def add_flags(parameter, *flags):
    """Add ``flags`` to a parameter's existing ones."""
    combined = parameter.flags()
    for flag in flags:
        combined |= flag
    parameter.setFlags(combined)
    return parameter
