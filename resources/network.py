"""The network of an area: ties among the organisations located in or serving it, laid out for a
server-side SVG drawing, with the same information as a plain list.

Who is drawn: every organisation present in the area or an area under it (as
selectors.organisations_present_in decides: a location there, its home there, or serving it)
that has at least one tie with another organisation, and the organisations outside the area
that those ties reach (drawn apart, with a dashed outline, so a district sees its links to the
region's こども家庭センター or the ward's 社協). Ties between two outside organisations are not
drawn. Organisations present without any tie are counted, not drawn.

Layout: a circle, deterministic: organisations inside the area first, grouped by kind (in the
order of Organisation.Kind) and in 五十音 order within a kind, then those outside. Ties are
curves bent towards the centre; each kind has its own line style (solid, dashed with an arrow,
dotted), so the drawing never relies on colour alone.

Three queries whatever the size of the network: the sub-areas, the organisations present, the
ties with both of their organisations.
"""

import dataclasses
import math

from django.db.models import Q

from districts.models import Area
from resources import selectors
from resources.models import Organisation, Tie

NODE_RADIUS = 11
MIN_RADIUS = 170  # of the circle, in SVG units
NODE_SPACING = 26  # along the circle, so numbers and labels do not overlap
LABEL_ROOM = 175  # around the circle, for the names
LABEL_CHARACTERS = 12
# How far each kind of tie bends towards the centre: two kinds between the same pair stay apart.
BEND = {Tie.Kind.COLLABORATES: 0.25, Tie.Kind.REFERS: 0.45, Tie.Kind.SHARES_VENUE: 0.65}
KIND_ORDER = {kind: index for index, kind in enumerate(Organisation.Kind.values)}


@dataclasses.dataclass
class Node:
    organisation: Organisation
    number: int
    inside: bool
    x: float = 0.0
    y: float = 0.0
    label: str = ""
    label_x: float = 0.0
    label_y: float = 0.0
    label_rotation: float = 0.0
    label_anchor: str = "start"
    # (kind, direction, other node, tie) for the list: direction is "out", "in" or "both".
    links: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Edge:
    tie: Tie
    source: Node
    target: Node
    path: str = ""


@dataclasses.dataclass
class Network:
    area: Area
    nodes: list[Node]
    edges: list[Edge]
    untied: int  # organisations present in the area without any tie
    size: float  # of the square SVG drawing

    @property
    def centre(self) -> float:
        return self.size / 2

    def kinds_used(self) -> list[tuple[str, str]]:
        used = {edge.tie.kind for edge in self.edges}
        return [(value, label) for value, label in Tie.Kind.choices if value in used]


def area_ids_under(area: Area) -> list[int]:
    """The area and every area under it (the tree is at most three levels deep): one query."""
    return list(
        Area.objects.filter(Q(pk=area.pk) | Q(parent=area) | Q(parent__parent=area)).values_list(
            "pk", flat=True
        )
    )


def area_network(*, area: Area) -> Network:
    area_ids = area_ids_under(area)
    present_query = selectors.organisations_present_in(area_ids=area_ids).values("pk")
    present = set(present_query.values_list("pk", flat=True))
    # A subquery rather than the ids: a big area would pass thousands of parameters.
    ties = list(
        Tie.objects.filter(Q(source_id__in=present_query) | Q(target_id__in=present_query))
        .select_related("source", "target")
        .order_by("pk")
    )
    organisations: dict[int, Organisation] = {}
    for tie in ties:
        organisations[tie.source_id] = tie.source
        organisations[tie.target_id] = tie.target

    def order(organisation: Organisation):
        return (
            organisation.pk not in present,
            KIND_ORDER.get(organisation.kind, len(KIND_ORDER)),
            organisation.reading or organisation.name,
            organisation.name,
            organisation.pk,
        )

    nodes = [
        Node(organisation=organisation, number=number, inside=organisation.pk in present)
        for number, organisation in enumerate(sorted(organisations.values(), key=order), start=1)
    ]
    by_pk = {node.organisation.pk: node for node in nodes}
    edges = [
        Edge(tie=tie, source=by_pk[tie.source_id], target=by_pk[tie.target_id]) for tie in ties
    ]
    size = _layout(nodes, edges)
    for edge in edges:
        kind = edge.tie.kind
        if kind == Tie.Kind.REFERS:
            edge.source.links.append((kind, "out", edge.target, edge.tie))
            edge.target.links.append((kind, "in", edge.source, edge.tie))
        else:
            edge.source.links.append((kind, "both", edge.target, edge.tie))
            edge.target.links.append((kind, "both", edge.source, edge.tie))
    kind_rank = {kind: index for index, kind in enumerate(Tie.Kind.values)}
    for node in nodes:
        node.links.sort(key=lambda link: (kind_rank[link[0]], link[1] == "in", link[2].number))
    tied_inside = sum(1 for node in nodes if node.inside)
    return Network(
        area=area, nodes=nodes, edges=edges, untied=len(present) - tied_inside, size=size
    )


def _layout(nodes: list[Node], edges: list[Edge]) -> float:
    """Places the nodes on a circle and draws the edges; returns the size of the drawing."""
    count = len(nodes)
    radius = max(MIN_RADIUS, count * NODE_SPACING / (2 * math.pi))
    size = round(2 * (radius + LABEL_ROOM))
    centre = size / 2
    for index, node in enumerate(nodes):
        # Clockwise from the top.
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        cos, sin = math.cos(angle), math.sin(angle)
        node.x = round(centre + radius * cos, 1)
        node.y = round(centre + radius * sin, 1)
        degrees = math.degrees(angle)
        name = node.organisation.name
        node.label = name if len(name) <= LABEL_CHARACTERS else name[: LABEL_CHARACTERS - 1] + "…"
        node.label_x = round(centre + (radius + NODE_RADIUS + 6) * cos, 1)
        node.label_y = round(centre + (radius + NODE_RADIUS + 6) * sin, 1)
        # Names read outwards, never upside down: the left half is turned round.
        if cos >= -1e-9:
            node.label_rotation, node.label_anchor = round(degrees, 1), "start"
        else:
            node.label_rotation, node.label_anchor = round(degrees + 180, 1), "end"
    for edge in edges:
        edge.path = _curve(edge, centre)
    return size


def _curve(edge: Edge, centre: float) -> str:
    """A quadratic curve bent towards the centre, its ends drawn back to the nodes' rims (so an
    arrow head shows)."""
    (x1, y1), (x2, y2) = (edge.source.x, edge.source.y), (edge.target.x, edge.target.y)
    bend = BEND.get(edge.tie.kind, 0.3)
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    cx, cy = mx + (centre - mx) * bend, my + (centre - my) * bend
    start = _towards((x1, y1), (cx, cy), NODE_RADIUS + 1)
    end = _towards((x2, y2), (cx, cy), NODE_RADIUS + 3)
    return f"M {start[0]:.1f} {start[1]:.1f} Q {cx:.1f} {cy:.1f} {end[0]:.1f} {end[1]:.1f}"


def _towards(point, control, distance: float) -> tuple[float, float]:
    dx, dy = control[0] - point[0], control[1] - point[1]
    length = math.hypot(dx, dy) or 1.0
    return point[0] + dx / length * distance, point[1] + dy / length * distance
