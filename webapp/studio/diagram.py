"""A BPMN diagram drawn as inline SVG on the server, from the diagram's own layout (BPMN DI).

Used where a picture of the process helps without loading the modeler: the studio's test run
marks the steps already taken and those waiting now. It needs no JavaScript and weighs a few
kilobytes; shapes are simplified (rectangles, circles, diamonds), which is enough to follow a path.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from markupsafe import Markup, escape

from engine.xmlsafe import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

_EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
_CONTAINERS = {"participant", "lane"}


@dataclass(frozen=True)
class Shape:
    element_id: str
    kind: str  # the BPMN tag without namespace: userTask, startEvent, lane, ...
    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Edge:
    element_id: str
    points: tuple[tuple[float, float], ...]


def read_layout(bpmn_xml: bytes) -> tuple[list[Shape], list[Edge]]:
    """Shapes and edges of the first diagram, each tied to its semantic element's kind and name."""
    root = parse_xml(bpmn_xml).getroot()
    semantic = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    shapes: list[Shape] = []
    for node in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        target = semantic.get(node.get("bpmnElement"))
        bounds = node.find(f"{{{DC}}}Bounds")
        if target is None or bounds is None:
            continue
        kind = target.tag.split("}", 1)[-1]
        shapes.append(Shape(target.get("id"), kind, target.get("name") or "",
                            *(float(bounds.get(a, 0)) for a in ("x", "y", "width", "height"))))
    edges = [
        Edge(node.get("bpmnElement") or "",
             tuple((float(p.get("x", 0)), float(p.get("y", 0))) for p in node.iter(f"{{{DI}}}waypoint")))
        for node in root.iter(f"{{{BPMNDI}}}BPMNEdge")
    ]
    return shapes, [e for e in edges if len(e.points) >= 2]


def _label(text: str, cx: float, cy: float, width: float) -> str:
    lines = textwrap.wrap(text, width=max(8, int(width / 7))) or [""]
    first = cy - (len(lines) - 1) * 7
    spans = "".join(f'<tspan x="{cx:.0f}" y="{first + i * 14:.0f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text text-anchor="middle" dominant-baseline="middle">{spans}</text>'


def _shape_svg(shape: Shape, css: str) -> str:
    x, y, w, h = shape.x, shape.y, shape.width, shape.height
    cx, cy = x + w / 2, y + h / 2
    if shape.kind in _CONTAINERS:
        name = escape(shape.name)
        return (f'<g class="bpmn-{shape.kind}"><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}"/>'
                f'<text x="{x + 15:.0f}" y="{cy:.0f}" transform="rotate(-90 {x + 15:.0f} {cy:.0f})" '
                f'text-anchor="middle">{name}</text></g>')
    if shape.kind in _EVENTS:
        body = f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{min(w, h) / 2:.0f}"/>'
        label = _label(shape.name, cx, y + h + 16, 100) if shape.name else ""
    elif shape.kind in _GATEWAYS:
        body = f'<polygon points="{cx:.0f},{y:.0f} {x + w:.0f},{cy:.0f} {cx:.0f},{y + h:.0f} {x:.0f},{cy:.0f}"/>'
        label = _label(shape.name, cx, y - 14, 120) if shape.name else ""
    else:
        body = f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="8"/>'
        label = _label(shape.name, cx, cy, w)
    title = f"<title>{escape(shape.name or shape.element_id)}</title>"
    return f'<g class="bpmn-node {css}" data-element-id="{escape(shape.element_id)}">{title}{body}{label}</g>'


def diagram_svg(bpmn_xml: bytes, *, done: frozenset[str] = frozenset(), current: frozenset[str] = frozenset(),
                title: str = "") -> Markup:
    """The diagram as one ``<svg>``; elements in ``done`` and ``current`` get their own classes."""
    shapes, edges = read_layout(bpmn_xml)
    if not shapes:
        return Markup("")
    left = min(s.x for s in shapes) - 10
    top = min(s.y for s in shapes) - 30
    right = max(s.x + s.width for s in shapes) + 10
    bottom = max(s.y + s.height for s in shapes) + 40
    parts = [f'<svg class="bpmn-diagram" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="{left:.0f} {top:.0f} {right - left:.0f} {bottom - top:.0f}">',
             f"<title>{escape(title)}</title>" if title else "",
             '<defs><marker id="bpmn-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>']
    parts += [_shape_svg(s, "") for s in shapes if s.kind in _CONTAINERS]
    for edge in edges:
        points = " ".join(f"{x:.0f},{y:.0f}" for x, y in edge.points)
        parts.append(f'<polyline class="bpmn-flow" points="{points}" marker-end="url(#bpmn-arrow)"/>')
    for shape in shapes:
        if shape.kind not in _CONTAINERS:
            css = "is-current" if shape.element_id in current else ("is-done" if shape.element_id in done else "")
            parts.append(_shape_svg(shape, css))
    parts.append("</svg>")
    return Markup("".join(parts))
