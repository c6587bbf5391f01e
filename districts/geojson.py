"""Checking area boundaries (GeoJSON) in plain Python: no GIS library is needed to draw them.

An Area keeps its boundary as a GeoJSON geometry, a Polygon or MultiPolygon in longitude and
latitude (RFC 7946), which Leaflet and every web map read as it is. The checks catch what goes
wrong with real files: projected coordinates (平面直角座標系, in metres), latitude and longitude
swapped, rings left open, points or lines where an area was meant.
"""

import math

from django.utils.translation import gettext as _

AREA_TYPES = ("Polygon", "MultiPolygon")
# Roughly Japan, with a margin: 与那国島 122.93°E, 南鳥島 153.99°E,
# 沖ノ鳥島 20.42°N, 択捉島 45.56°N.
JAPAN_LON = (122.0, 154.5)
JAPAN_LAT = (20.0, 46.0)
# The coordinate systems a longitude/latitude file may declare in the pre-RFC 7946 "crs" member:
# WGS 84 (CRS84, EPSG:4326) and JGD2000/JGD2011 (EPSG:4612, 6668), which differ by centimetres.
GEOGRAPHIC_CRS = ("CRS84", "4326", "4612", "6668")


class GeometryError(ValueError):
    """One problem with a geometry; `path` says where in it (e.g. "coordinates[0][3]")."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path


def crs_problem(crs: object) -> str | None:
    """Why a declared "crs" is not longitude/latitude, or None when it is (or none is declared)."""
    if crs is None:
        return None
    name = ""
    if isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
        name = str(crs["properties"].get("name", ""))
    if any(name.upper().endswith(code) for code in GEOGRAPHIC_CRS):
        return None
    return _(
        "The file declares the coordinate system 「%(crs)s」; boundaries must be in longitude and "
        "latitude (WGS 84 or JGD2011, EPSG:4326 or 6668). Export the file again in one of those."
    ) % {"crs": name or crs}


def geometry_errors(geometry: object) -> list[GeometryError]:
    """Every problem found in a geometry (at most one per ring, so a file in the wrong coordinate
    system gives one message per ring rather than one per point)."""
    if not isinstance(geometry, dict):
        return [GeometryError(_("There is no geometry (expected a Polygon or MultiPolygon)."))]
    kind = geometry.get("type")
    if kind not in AREA_TYPES:
        return [
            GeometryError(
                _(
                    "The geometry is a %(type)s; an area's boundary must be a Polygon or a "
                    "MultiPolygon."
                )
                % {"type": kind or _("(no type)")},
                "type",
            )
        ]
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return _polygon_errors(coordinates, "coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        return [GeometryError(_("A MultiPolygon needs a list of polygons."), "coordinates")]
    errors = []
    for index, polygon in enumerate(coordinates):
        errors += _polygon_errors(polygon, f"coordinates[{index}]")
    return errors


def _polygon_errors(polygon: object, path: str) -> list[GeometryError]:
    if not isinstance(polygon, list) or not polygon:
        return [GeometryError(_("A polygon needs at least one ring of positions."), path)]
    errors = []
    for index, ring in enumerate(polygon):
        error = _ring_error(ring, f"{path}[{index}]")
        if error is not None:
            errors.append(error)
    return errors


def _ring_error(ring: object, path: str) -> GeometryError | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return GeometryError(
            _("A ring needs at least four positions (three corners and the first one again)."),
            path,
        )
    for index, position in enumerate(ring):
        message = position_problem(position)
        if message is not None:
            return GeometryError(message, f"{path}[{index}]")
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return GeometryError(
            _("The ring is not closed: its last position must repeat its first."), path
        )
    return None


def position_problem(position: object) -> str | None:
    """Why a position is not a longitude/latitude pair in Japan, or None."""
    if (
        not isinstance(position, list | tuple)
        or len(position) < 2
        or not all(_is_number(value) for value in position[:3])
    ):
        return _("A position must be [longitude, latitude] in numbers, not %(value)s.") % {
            "value": _short(position)
        }
    lon, lat = position[0], position[1]
    if JAPAN_LON[0] <= lat <= JAPAN_LON[1] and JAPAN_LAT[0] <= lon <= JAPAN_LAT[1]:
        return _(
            "[%(lon)s, %(lat)s] looks like latitude and longitude swapped: GeoJSON puts "
            "longitude first."
        ) % {"lon": lon, "lat": lat}
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return _(
            "[%(lon)s, %(lat)s] is not a longitude and latitude: is the file in a projected "
            "coordinate system (metres) instead of degrees?"
        ) % {"lon": lon, "lat": lat}
    if not (JAPAN_LON[0] <= lon <= JAPAN_LON[1] and JAPAN_LAT[0] <= lat <= JAPAN_LAT[1]):
        return _("[%(lon)s, %(lat)s] is outside Japan.") % {"lon": lon, "lat": lat}
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def clean_geometry(value: object) -> dict:
    """The geometry to store: a Feature is unwrapped to its geometry, positions keep longitude and
    latitude only (heights mean nothing on a district map). Raises GeometryError (the first
    problem) when the value is not a valid boundary; call geometry_errors for all of them."""
    geometry = (
        value.get("geometry")
        if isinstance(value, dict) and value.get("type") == "Feature"
        else value
    )
    errors = geometry_errors(geometry)
    if errors:
        raise errors[0]
    if geometry["type"] == "Polygon":
        coordinates = _clean_polygon(geometry["coordinates"])
    else:
        coordinates = [_clean_polygon(polygon) for polygon in geometry["coordinates"]]
    return {"type": geometry["type"], "coordinates": coordinates}


def _clean_polygon(polygon: list) -> list:
    return [[[position[0], position[1]] for position in ring] for ring in polygon]


def bounding_box(geometry: dict) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a valid Polygon or MultiPolygon."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    lons = [p[0] for polygon in polygons for ring in polygon for p in ring]
    lats = [p[1] for polygon in polygons for ring in polygon for p in ring]
    return min(lons), min(lats), max(lons), max(lats)
