"""Who has been introduced to whom, as a picture a coordinator can read and as a table.

Each group of people linked by introductions (a pair, a club, or clubs joined by people who were
in both) is laid out on its own: a small one on a circle with every name outside it, a large one
by a force layout. The groups are then packed in rows like words on a page, so nothing overlaps
and nothing falls off the edge; the picture's size follows from what it holds. Deterministic, so
the same community gives the same picture.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage import rounds
from storage.models import MatchGroup, Person

NODE_RADIUS = 9.0
LABEL_GAP = 4.0  # between a node's circle and its name
LABEL_HEIGHT = 14.0
CHAR_WIDTH = 6.6  # a generous average for 11 px sans-serif, so a name's box is never too small
MARGIN = 24.0  # around the picture and between groups
MIN_WIDTH = 960.0
SMALL = 12  # up to this many people a group is a circle


@dataclass(frozen=True)
class NetworkFilter:
    """Which introductions to show: of one round, between people of one group or theme."""

    round_id: int | None = None
    group: str | None = None
    theme: str | None = None


@dataclass(frozen=True)
class NetworkNode:
    id: int
    name: str | None
    group: str
    themes: tuple[str, ...]
    x: float  # in the picture's units
    y: float
    anchor: str  # "start": the name to the right of the node; "end": to the left
    partners: tuple[str, ...]  # who they were introduced to, by name
    rounds: tuple[int, ...]  # the rounds of those introductions


@dataclass(frozen=True)
class NetworkLink:
    source: int
    target: int
    round_id: int
    at: str  # ISO 8601: when they were introduced


@dataclass(frozen=True)
class Network:
    """The picture (nodes and links in a ``width`` × ``height`` box) and what it can be
    filtered by."""

    nodes: tuple[NetworkNode, ...]
    links: tuple[NetworkLink, ...]
    width: float
    height: float
    shown: NetworkFilter
    rounds: tuple[int, ...]  # rounds with introductions
    themes: tuple[str, ...]  # themes of the people introduced


def label_width(name: str | None) -> float:
    return max(len(name or "—"), 1) * CHAR_WIDTH


def network(session: Session, shown: NetworkFilter | None = None) -> Network:
    shown = shown or NetworkFilter()
    introduced = session.exec(
        select(MatchGroup.id, MatchGroup.round_id, MatchGroup.introduced_at).where(
            col(MatchGroup.introduced_at).is_not(None)
        )
    ).all()
    groups = {gid: (rid, at) for gid, rid, at in introduced if gid is not None and at is not None}
    members = rounds.members_of(session, group_ids=sorted(groups))
    everyone = {i for ids in members.values() for i in ids}
    persons = {
        p.id: p
        for p in session.exec(select(Person).where(col(Person.id).in_(everyone))).all()
        if p.id is not None
    }

    def wanted(pid: int) -> bool:
        person = persons.get(pid)
        if person is None:
            return False
        if shown.group and (person.group or "anders") != shown.group:
            return False
        return not (shown.theme and shown.theme not in (person.themes or []))

    edges: list[tuple[int, int, int, datetime]] = []
    for gid, ids in sorted(members.items()):
        round_id, at = groups[gid]
        if shown.round_id is not None and round_id != shown.round_id:
            continue
        kept = [i for i in ids if wanted(i)]
        edges += [(a, b, round_id, at) for n, a in enumerate(kept) for b in kept[n + 1 :]]
    ids = sorted({a for a, *_ in edges} | {b for _, b, *_ in edges})
    names = {pid: persons[pid].name for pid in ids}
    partners: dict[int, set[int]] = {pid: set() for pid in ids}
    their_rounds: dict[int, set[int]] = {pid: set() for pid in ids}
    for a, b, round_id, _ in edges:
        partners[a].add(b)
        partners[b].add(a)
        their_rounds[a].add(round_id)
        their_rounds[b].add(round_id)
    placed, width, height = layout(ids, [(a, b) for a, b, *_ in edges], names)
    nodes = tuple(
        NetworkNode(
            id=pid,
            name=names[pid],
            group=persons[pid].group or "anders",
            themes=tuple(persons[pid].themes or ()),
            x=placed[pid][0],
            y=placed[pid][1],
            anchor=placed[pid][2],
            partners=tuple(sorted(str(names[o] or "—") for o in partners[pid])),
            rounds=tuple(sorted(their_rounds[pid])),
        )
        for pid in sorted(ids, key=lambda i: ((names[i] or "").casefold(), i))
    )
    links = tuple(
        NetworkLink(source=a, target=b, round_id=r, at=at.isoformat()) for a, b, r, at in edges
    )
    every_theme = {t for p in persons.values() for t in (p.themes or [])}
    return Network(
        nodes=nodes,
        links=links,
        width=width,
        height=height,
        shown=shown,
        rounds=tuple(sorted({rid for rid, _ in groups.values()})),
        themes=tuple(sorted(every_theme)),
    )


Placed = dict[int, tuple[float, float, str]]


def layout(
    ids: Sequence[int], edges: Sequence[tuple[int, int]], names: dict[int, str | None]
) -> tuple[Placed, float, float]:
    """Positions (x, y, label side) of every node, and the picture's width and height."""
    parts = components(ids, edges)
    shapes = [shape(part, edges, names) for part in parts]
    area = sum((w + MARGIN) * (h + MARGIN) for _, w, h in shapes)
    widest = max((w for _, w, _ in shapes), default=0.0)
    row_width = max(MIN_WIDTH - 2 * MARGIN, widest, math.sqrt(area * 1.6))
    placed: Placed = {}
    x = y = MARGIN
    row_height = 0.0
    right = 0.0
    for local, w, h in shapes:
        if x > MARGIN and x + w > MARGIN + row_width:
            x, y = MARGIN, y + row_height + MARGIN
            row_height = 0.0
        for pid, (px, py, anchor) in local.items():
            placed[pid] = (round(x + px, 1), round(y + py, 1), anchor)
        x += w + MARGIN
        right = max(right, x)
        row_height = max(row_height, h)
    width = max(MIN_WIDTH, right)
    height = max(y + row_height + MARGIN, 2 * MARGIN + 2 * NODE_RADIUS)
    return placed, round(width, 1), round(height, 1)


def components(ids: Sequence[int], edges: Sequence[tuple[int, int]]) -> list[list[int]]:
    """The connected groups, largest first (then by their first person)."""
    parent = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in edges:
        parent[root(a)] = root(b)
    found: dict[int, list[int]] = {}
    for i in sorted(ids):
        found.setdefault(root(i), []).append(i)
    return sorted(found.values(), key=lambda part: (-len(part), part[0]))


def shape(
    part: list[int], edges: Sequence[tuple[int, int]], names: dict[int, str | None]
) -> tuple[Placed, float, float]:
    """One group laid out around (0, 0), then moved so its box (names included) starts at 0."""
    n = len(part)
    if n == 1:
        points = [(0.0, 0.0)]
    elif n <= SMALL:
        # Far enough apart that neighbours' circles and names (one line each) do not touch.
        radius = max(32.0, n * (2 * NODE_RADIUS + LABEL_HEIGHT) / (2 * math.pi))
        # Start a little off the vertical so no two names sit at exactly the same height.
        start = -math.pi / 2 + math.pi / n
        points = [
            (
                radius * math.cos(start + 2 * math.pi * k / n),
                radius * math.sin(start + 2 * math.pi * k / n),
            )
            for k in range(n)
        ]
    else:
        index = {pid: k for k, pid in enumerate(part)}
        inside = [(index[a], index[b]) for a, b in edges if a in index and b in index]
        side = math.sqrt(n) * 70.0
        points = separated(
            [(px * side, py * side) for px, py in spring_layout(n, tuple(sorted(inside)))]
        )
    cx = sum(p[0] for p in points) / n
    local: Placed = {}
    boxes: list[tuple[float, float, float, float]] = []
    for pid, (px, py) in zip(part, points, strict=True):
        anchor = "end" if px < cx - 0.5 else "start"
        local[pid] = (px, py, anchor)
        boxes.append((px - NODE_RADIUS, py - NODE_RADIUS, px + NODE_RADIUS, py + NODE_RADIUS))
        width = label_width(names.get(pid))
        if anchor == "start":
            left, right = px + NODE_RADIUS + LABEL_GAP, px + NODE_RADIUS + LABEL_GAP + width
        else:
            left, right = px - NODE_RADIUS - LABEL_GAP - width, px - NODE_RADIUS - LABEL_GAP
        boxes.append((left, py - LABEL_HEIGHT / 2, right, py + LABEL_HEIGHT / 2))
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    moved = {pid: (px - x0, py - y0, a) for pid, (px, py, a) in local.items()}
    return moved, x1 - x0, y1 - y0


def separated(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Nodes pushed apart until no two circles touch (a force layout can leave a few close)."""
    import numpy as np

    pos = np.array(points, dtype=float)
    least = 2 * NODE_RADIUS + 6
    apart = ~np.eye(len(pos), dtype=bool)
    for _ in range(50):
        delta = pos[:, None, :] - pos[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=-1), 1e-6)
        close = (distance < least) & apart
        if not close.any():
            break
        push = np.where(close, (least - distance) / 2 + 0.5, 0.0) / distance
        pos += (push[..., None] * delta).sum(axis=1)
    return [(float(x), float(y)) for x, y in pos]


@functools.lru_cache(maxsize=16)
def spring_layout(n: int, edges: tuple[tuple[int, int], ...]) -> tuple[tuple[float, float], ...]:
    """A force-directed layout (Fruchterman–Reingold), deterministic, in 0..1.

    Each step weighs every pair, so large groups get fewer, bolder steps; the result is kept,
    as the same introductions give the same picture until the next round."""
    import numpy as np

    rng = np.random.default_rng(7)
    pos = rng.random((n, 2))
    if n <= 1:
        return ((0.5, 0.5),) * n
    steps, cooling = (200, 0.98) if n <= 150 else (60, 0.93)
    k = 1.0 / np.sqrt(n)
    temperature = 0.1
    pairs = np.array(edges, dtype=int).reshape(-1, 2)
    for _ in range(steps):
        delta = pos[:, None, :] - pos[None, :, :]
        squared = np.maximum(np.einsum("ijk,ijk->ij", delta, delta), 1e-6)
        move = np.einsum("ij,ijk->ik", (k * k) / squared, delta)
        if len(pairs):
            d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            length = np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-3)
            pull = d * length / k
            np.add.at(move, pairs[:, 0], -pull)
            np.add.at(move, pairs[:, 1], pull)
        size = np.maximum(np.linalg.norm(move, axis=1, keepdims=True), 1e-9)
        pos += move / size * np.minimum(size, temperature)
        temperature *= cooling
    pos -= pos.min(axis=0)
    pos /= np.maximum(pos.max(axis=0), 1e-9)
    return tuple((float(x), float(y)) for x, y in pos)
