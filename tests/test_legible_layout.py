"""Legible at every width, in a real Chromium against the real server: the network of the 76 demo
people (no two nodes or names overlap, nothing outside the picture, zoom and names on hover and
focus) and, at 390 px, the chat's profile card and the dashboard's charts with labels stacked over
their values and no word split over two lines (at desktop width: label and value side by side)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import Server, chromium, require_chromium, running_server

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Every word of every matching element: a word whose text makes more than one line box is split.
SPLIT_WORDS = """(selector) => {
  const split = [];
  for (const element of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // A line may end after a hyphen ("Zuid-" / "Holland"): only a break inside a part counts.
      for (const match of node.data.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
          .map((r) => Math.round(r.top)));
        if (tops.size > 1) split.push(match[0]);
      }
    }
    if (element.scrollWidth > element.clientWidth + 1) split.push("wider: " + element.textContent);
  }
  return split;
}"""

# Label beside its value (desktop) or above it (phone), for each pair of elements.
ARRANGEMENT = """([labels, values]) => {
  const ls = [...document.querySelectorAll(labels)];
  const vs = [...document.querySelectorAll(values)];
  return ls.map((l, i) => {
    const a = l.getBoundingClientRect(), b = vs[i].getBoundingClientRect();
    if (a.right <= b.left + 1 && a.top < b.bottom && b.top < a.bottom) return "beside";
    if (a.bottom <= b.top + 1) return "above";
    return "overlap";
  });
}"""

NETWORK_BOXES = """() => {
  const svg = document.getElementById("network");
  const [vx, vy, vw, vh] = svg.getAttribute("viewBox").split(" ").map(Number);
  const boxes = [];
  for (const node of svg.querySelectorAll(".node")) {
    const c = node.querySelector("circle").getBBox(), t = node.querySelector("text").getBBox();
    boxes.push({id: node.id, circle: [c.x, c.y, c.x + c.width, c.y + c.height],
                label: [t.x, t.y, t.x + t.width, t.y + t.height]});
  }
  return {view: [vx, vy, vx + vw, vy + vh], boxes};
}"""


def overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box: list[float], view: list[float]) -> bool:
    return view[0] <= box[0] and view[1] <= box[1] and box[2] <= view[2] and box[3] <= view[3]


def check_network(page: Page, url: str, people: int) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/dashboard/network")
    expect(page.locator("#network-table tbody tr")).to_have_count(people)
    found: dict[str, Any] = page.evaluate(NETWORK_BOXES)
    view, boxes = found["view"], found["boxes"]
    assert len(boxes) == people
    outside = [
        b["id"] for b in boxes if not (inside(b["circle"], view) and inside(b["label"], view))
    ]
    assert not outside, f"outside the picture: {outside}"
    clashes = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            for one, other in (
                (a["circle"], b["circle"]),
                (a["label"], b["label"]),
                (a["label"], b["circle"]),
                (a["circle"], b["label"]),
            ):
                if overlaps(one, other):
                    clashes.append((a["id"], b["id"]))
    assert not clashes, f"{len(clashes)} overlaps, e.g. {clashes[:5]}"
    # The picture is drawn big enough to read: a node at least 14 px across on a desktop.
    assert page.locator("#network circle").first.bounding_box()["width"] >= 14  # type: ignore[index]

    first = page.locator("#network .node").first
    label = first.locator("text")
    expect(label).to_be_hidden()
    first.locator("circle").hover()
    expect(label).to_be_visible()
    page.mouse.move(0, 0)
    expect(label).to_be_hidden()
    page.locator("#network-filter button[type=submit]").focus()
    for _ in range(4):  # the zoom buttons, then the first node
        page.keyboard.press("Tab")
    expect(first).to_be_focused()
    expect(label).to_be_visible()
    page.keyboard.press("ArrowRight")
    second = page.locator("#network .node").nth(1)
    expect(second).to_be_focused()
    expect(second.locator("text")).to_be_visible()
    expect(label).to_be_hidden()
    page.keyboard.press("Tab")  # one stop for the picture: on to the table
    expect(page.locator("#network-table")).to_be_focused()

    def view_box() -> list[float]:
        return [float(v) for v in (page.locator("#network").get_attribute("viewBox") or "").split()]

    before = view_box()
    page.get_by_role("button", name="Inzoomen").click()
    assert view_box()[2] < before[2], "zoomed in"
    page.get_by_role("button", name="Alles in beeld").click()
    assert view_box() == before


def check_widths(page: Page, where: str, labels: str, values: str) -> None:
    page.set_viewport_size(PHONE)
    assert page.evaluate(SPLIT_WORDS, f"{labels}, {values}") == [], f"{where} at 390 px"
    assert set(page.evaluate(ARRANGEMENT, [labels, values])) == {"above"}, f"{where} at 390 px"
    page.set_viewport_size(DESKTOP)
    assert page.evaluate(SPLIT_WORDS, f"{labels}, {values}") == [], f"{where} on a desktop"
    assert set(page.evaluate(ARRANGEMENT, [labels, values])) == {"beside"}, f"{where} on a desktop"


def dashboard_login(page: Page, url: str) -> None:
    page.goto(f"{url}/dashboard/login")
    page.fill("#username", "tessa")
    page.fill("#password", "een lang wachtwoord")
    page.click("form.stack button[type=submit]")
    expect(page.locator("#stat-total")).to_be_visible()


def profile_card(browser: Browser, server: Server) -> None:
    page = browser.new_page(locale="en-GB", viewport=PHONE)
    page.goto(f"{server.url}/?lang=en")
    page.fill("#signin-name", "Sam")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#transcript .from-bot").first).to_be_visible()
    page.fill("#message", "profile")
    page.click("#send")
    expect(page.locator("#transcript .card dl").last).to_be_visible()
    check_widths(page, "the profile card", "#transcript .card dt", "#transcript .card dd")
    page.close()


def complete_profile(server: Server, name: str) -> None:
    """A web chat account with every answer given, in long Dutch and English words."""
    from bot.core.conversation import MATCHING
    from bot.core.messages import local_account_id
    from storage import consents, people
    from storage.db import make_engine, session_scope

    engine = make_engine(f"sqlite:///{server.data_dir / 'maatjes.db'}")
    answers = {
        "name": name,
        "organisation": "Rijkswaterstaat Programmadirectie Circulaire Infrastructuur",
        "organisation_kind": "rijk",
        "group": "rijk",
        "region": "noord-brabant",
        "themes": ["consumptiegoederen", "biomassa-voedsel", "kunststoffen", "maakindustrie"],
        "phase": "experimenteren",
        "works_on": "Knowledge sharing about circular procurement of consumer goods.",
        "seeks": "Ketensamenwerking in de consumptiegoederenindustrie.",
        "offers": "Aanbestedingsdocumenten en marktconsultaties.",
        "ongemak": "Verantwoordelijkheidsverdeling tussen overheidsorganisaties.",
        "rhythm": "maandelijks",
        "language": "en",
    }
    with session_scope(engine) as session:
        person = people.get_or_create_person(
            session, platform="local", platform_user_id=local_account_id(name), language="en"
        )
        assert person.id is not None
        consents.record_consent(
            session, person_id=person.id, purpose=MATCHING, policy_version="t", given=True
        )
        for field, value in answers.items():
            people.save_draft_answer(session, person_id=person.id, field=field, value=value)
        people.commit_profile(session, person=person)
    engine.dispose()


def test_the_network_and_narrow_screens_stay_legible(tmp_path: Path) -> None:
    require_chromium()
    env = {"MAATJES_COORDINATORS": "local:tessa", "MAATJES_EMBEDDER": "tfidf"}
    with running_server(tmp_path / "data", env) as server, chromium() as browser:
        assert server.cli("demo").returncode == 0
        done = server.cli(
            "coordinator", "password", "tessa", "--password-stdin", stdin="een lang wachtwoord\n"
        )
        assert done.returncode == 0, done.stderr
        proposed = server.cli("round", "propose", "--kind", "clubs", "--json")
        assert proposed.returncode == 0, proposed.stderr
        made = json.loads(proposed.stdout)
        assert server.cli("round", "approve", str(made["id"])).returncode == 0
        people = sum(len(g["members"]) for g in made["groups"])
        assert people >= 70
        complete_profile(server, "Sam")

        page = browser.new_page(locale="nl-NL", viewport=DESKTOP)
        dashboard_login(page, server.url)
        check_network(page, server.url, people)
        page.goto(f"{server.url}/dashboard")
        check_widths(page, "the charts", ".bars th", ".bars .bar")
        for width in (760, 1280):  # two and three charts side by side: none wider than its card
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate(SPLIT_WORDS, ".chart") == [], f"the charts at {width} px"
        page.set_viewport_size(PHONE)
        for path in ("", "/network", "/rounds", f"/rounds/{made['id']}", "/audit", "/invitations"):
            page.goto(f"{server.url}/dashboard{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"/dashboard{path} is {width} px wide at 390 px"
        page.close()
        profile_card(browser, server)
