"""Which NHS region a point in England falls in, without any boundary files.

GeoNames gives each British town its nation (England, Scotland, Wales, Northern Ireland) but not its
county, and this project ships no boundary polygons. Within England a town is given the NHS England
region of the nearest of these anchor towns. That is right for the great majority of towns and can
be wrong within a few miles of a regional border; curators can correct a region in the admin, and an
organisation's own region always wins over its town's.
"""

from math import cos, radians

ENGLAND_ANCHORS = {
    "north-east-and-yorkshire": [
        (54.97, -1.61),
        (54.91, -1.38),
        (54.58, -1.23),
        (54.78, -1.57),
        (54.89, -2.93),
        (54.55, -3.59),
        (54.66, -2.75),
        (53.80, -1.55),
        (53.96, -1.08),
        (53.74, -0.33),
        (53.38, -1.47),
        (53.79, -1.75),
        (54.28, -0.40),
        (53.52, -1.13),
        (53.55, -1.48),
        (53.99, -1.54),
        (54.34, -1.43),
        (55.77, -2.00),
        (54.97, -2.10),
        (53.65, -1.78),
        (53.68, -1.50),
        (54.08, -0.19),
    ],
    "north-west": [
        (53.48, -2.24),
        (53.41, -2.98),
        (53.76, -2.70),
        (54.05, -2.80),
        (54.33, -2.75),
        (53.19, -2.89),
        (53.58, -2.43),
        (53.75, -2.48),
        (53.10, -2.44),
        (53.39, -2.59),
        (54.11, -3.23),
        (53.79, -2.24),
        (53.82, -3.05),
        (53.54, -2.11),
        (53.26, -2.13),
        (53.65, -3.01),
    ],
    "midlands": [
        (52.48, -1.90),
        (52.95, -1.15),
        (52.64, -1.13),
        (52.92, -1.47),
        (53.00, -2.18),
        (52.71, -2.75),
        (52.19, -2.22),
        (52.06, -2.72),
        (53.23, -0.54),
        (52.41, -1.51),
        (52.24, -0.90),
        (53.24, -1.42),
        (53.14, -1.20),
        (53.57, -0.08),
        (52.98, -0.02),
        (52.81, -2.12),
        (52.40, -0.73),
        (53.26, -1.91),
        (52.67, -0.73),
        (52.37, -2.72),
        (52.68, -2.45),
        (53.32, -0.94),
        (52.59, -2.13),
        (52.79, -0.64),
    ],
    "east-of-england": [
        (52.63, 1.30),
        (52.21, 0.12),
        (52.06, 1.16),
        (52.57, -0.24),
        (51.74, 0.47),
        (51.89, 0.90),
        (51.88, -0.42),
        (52.14, -0.47),
        (51.90, -0.20),
        (51.66, -0.40),
        (51.54, 0.71),
        (52.75, 0.40),
        (52.61, 1.73),
        (52.25, 0.71),
        (51.77, 0.09),
        (51.58, 0.46),
        (52.33, -0.18),
        (51.75, -0.34),
    ],
    "london": [
        (51.507, -0.128),
        (51.37, -0.10),
        (51.58, -0.34),
        (51.65, -0.08),
        (51.58, 0.18),
        (51.41, -0.30),
        (51.40, 0.02),
        (51.51, -0.30),
        (51.55, -0.48),
        (51.55, 0.05),
        (51.46, 0.10),
        (51.61, -0.21),
    ],
    "south-east": [
        (50.82, -0.14),
        (51.45, -0.97),
        (51.75, -1.26),
        (50.90, -1.40),
        (50.80, -1.09),
        (51.28, 1.08),
        (51.27, 0.52),
        (51.24, -0.57),
        (52.04, -0.76),
        (51.82, -0.81),
        (51.06, -1.31),
        (50.84, -0.78),
        (50.86, 0.57),
        (51.13, 1.31),
        (50.70, -1.29),
        (51.27, -1.09),
        (51.11, -0.19),
        (52.06, -1.34),
        (51.63, -0.75),
        (51.51, -0.59),
        (51.39, 1.38),
        (51.13, 0.26),
        (50.77, 0.28),
        (51.32, -0.56),
    ],
    "south-west": [
        (51.45, -2.59),
        (50.72, -3.53),
        (50.37, -4.14),
        (50.26, -5.05),
        (51.38, -2.36),
        (51.86, -2.24),
        (51.56, -1.78),
        (51.02, -3.10),
        (50.72, -1.88),
        (50.71, -2.44),
        (51.07, -1.79),
        (51.90, -2.08),
        (51.08, -4.06),
        (50.12, -5.54),
        (50.46, -3.53),
        (50.94, -2.63),
        (51.46, -2.12),
        (51.72, -1.97),
        (50.41, -4.99),
        (51.35, -2.98),
    ],
}

NATION_REGIONS = {"SCT": "scotland", "WLS": "wales", "NIR": "northern-ireland"}


def english_region_slug(latitude, longitude):
    """The slug of the NHS England region whose nearest anchor town is closest to the point."""
    scale = cos(radians(latitude))
    best, best_d2 = None, float("inf")
    for slug, anchors in ENGLAND_ANCHORS.items():
        for lat, lon in anchors:
            d2 = (lat - latitude) ** 2 + ((lon - longitude) * scale) ** 2
            if d2 < best_d2:
                best, best_d2 = slug, d2
    return best


def region_slug_for(country_code, admin1_code, latitude, longitude):
    """The directory region of a GeoNames town, or None outside the UK."""
    if country_code != "GB":
        return None
    if admin1_code == "ENG":
        return english_region_slug(latitude, longitude)
    return NATION_REGIONS.get(admin1_code)
