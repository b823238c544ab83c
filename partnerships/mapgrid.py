"""The fixed fine grid that the map's clusters are built from.

Every located entry falls in one fine cell a fifth of a degree square (about 22 x 13 km in the
UK). An index on the fine cells lets the database add up each cell's entries in index order
instead of sorting every row, which is what a GROUP BY costs on SQLite; the map then merges fine
cells into its coarser, zoom-dependent cells in Python (see `directory.mapdata`).
"""

from django.db.models import FloatField, Func

CELLS_PER_DEGREE = 5


class FineCell(Func):
    """The fine grid row of a latitude, or column of a longitude. The constant is written into the
    SQL rather than passed as a parameter, so that a query's expression matches the index's."""

    template = f"FLOOR(%(expressions)s * {CELLS_PER_DEGREE})"
    output_field = FloatField()
