"""Dialog widgets for the algorithms' parameters.

Processing imports these modules by the path named in a parameter's
metadata, and only when it builds a dialog or a batch panel; qgis_process
and scripts never load them.
"""
