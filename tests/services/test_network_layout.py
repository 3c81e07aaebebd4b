"""The network's layout at the size of a large community: 500 people in clubs, and one group joined
over several rounds. No two nodes (or, for small groups, names) overlap, nothing falls outside
the picture, and the same introductions give the same picture."""

from __future__ import annotations

import random

from bot.services.network import (
    LABEL_GAP,
    LABEL_HEIGHT,
    NODE_RADIUS,
    label_width,
    layout,
)


def clubs_of(people: list[int], size: int) -> list[tuple[int, int]]:
    groups = [people[i : i + size] for i in range(0, len(people), size)]
    return [(a, b) for g in groups for n, a in enumerate(g) for b in g[n + 1 :]]


def boxes(placed: dict[int, tuple[float, float, str]], names: dict[int, str | None]) -> list:
    found = []
    for pid, (x, y, anchor) in placed.items():
        found.append((pid, (x - NODE_RADIUS, y - NODE_RADIUS, x + NODE_RADIUS, y + NODE_RADIUS)))
        width = label_width(names[pid])
        start = x + NODE_RADIUS + LABEL_GAP if anchor == "start" else x - NODE_RADIUS - LABEL_GAP
        left, right = (start, start + width) if anchor == "start" else (start - width, start)
        found.append((pid, (left, y - LABEL_HEIGHT / 2, right, y + LABEL_HEIGHT / 2)))
    return found


def clashes(found: list) -> list[tuple[int, int]]:
    found = sorted(found, key=lambda item: item[1][0])
    hits = []
    for i, (a, p) in enumerate(found):
        for b, q in found[i + 1 :]:
            if q[0] >= p[2]:
                break
            if a != b and p[1] < q[3] and q[1] < p[3]:
                hits.append((a, b))
    return hits


def test_500_people_in_clubs_never_overlap_and_fit_the_picture() -> None:
    people = list(range(1, 501))
    names: dict[int, str | None] = {p: f"Voornaam Achternaam-{p}" for p in people}
    edges = clubs_of(people, 5)
    placed, width, height = layout(people, edges, names)
    assert sorted(placed) == people
    found = boxes(placed, names)
    assert clashes(found) == []
    assert all(b[0] >= 0 and b[1] >= 0 and b[2] <= width and b[3] <= height for _, b in found)
    assert width / height < 2.5 and height / width < 2.5, "roughly the shape of a screen"
    assert layout(people, edges, names) == (placed, width, height), "the same picture again"


def test_clubs_joined_over_rounds_form_one_group_whose_nodes_stay_apart() -> None:
    people = list(range(1, 121))
    names: dict[int, str | None] = {p: None for p in people}
    edges = clubs_of(people, 4)
    shuffled = people[:]
    random.Random(3).shuffle(shuffled)
    edges += clubs_of(shuffled, 4)
    placed, width, height = layout(people, edges, names)
    points = list(placed.values())
    assert all(NODE_RADIUS <= x <= width - NODE_RADIUS for x, _, _ in points)
    assert all(NODE_RADIUS <= y <= height - NODE_RADIUS for _, y, _ in points)
    for i, (x, y, _) in enumerate(points):
        for u, v, _ in points[i + 1 :]:
            assert (x - u) ** 2 + (y - v) ** 2 >= (2 * NODE_RADIUS) ** 2
