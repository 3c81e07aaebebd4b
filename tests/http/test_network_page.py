"""The network page on the real app: every introduced person in the picture and in the table,
filtered by round, group and theme through the query string; bad filters are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import create_app
from bot.services.accounts import Accounts
from bot.settings import Settings
from storage import rounds
from storage.db import session_scope
from storage.models import Person
from tests.support.community import community
from tests.support.dashboard import csrf_token, login


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", coordinators="local:tessa", scheduler=False
    )  # type: ignore[call-arg]
    app = create_app(settings)
    Accounts(app.state.maatjes.engine).set_password("tessa", "een lang wachtwoord")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def introduce(client: TestClient, groups: list[list[int]]) -> int:
    """A round of these groups, each approved (and so introduced) in the dashboard."""
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        made = rounds.create_round(
            session,
            kind="clubs",
            origin="cli",
            proposed_by="cli:operator",
            embedder="test",
            weights={},
            groups=[rounds.NewGroup(g, 0.5, {"themes": []}) for g in groups],
        )
        assert made.id is not None
        round_id = made.id
    token = csrf_token(client, f"/dashboard/rounds/{round_id}")
    for position in range(1, len(groups) + 1):
        done = client.post(
            f"/dashboard/rounds/{round_id}/approve",
            data={"csrf": token, "group": str(position)},
            follow_redirects=False,
        )
        assert done.status_code == 303
    return round_id


def rows(html: str) -> dict[str, list[str]]:
    """The table: each person's name and their cells."""
    table = html.split('id="network-table"', 1)[1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r'<tr id="person-\d+">(.*?)</tr>', table, re.S):
        name = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        assert name
        found[name.group(1)] = [c.strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    return found


def nodes(html: str) -> list[tuple[float, float]]:
    return [
        (float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', html)
    ]


def test_the_network_as_picture_and_table_with_filters(client: TestClient) -> None:
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    anna, bram, chris, dewi, eva = community(engine)
    with Session(engine) as session:
        for pid in (chris, dewi):
            person = session.get(Person, pid)
            assert person is not None
            person.themes = ["kunststoffen"]
            session.add(person)
        session.commit()
    assert login(client) == 303
    first = introduce(client, [[anna, bram], [chris, dewi, eva]])
    second = introduce(client, [[anna, eva]])

    page = client.get("/dashboard/network")
    assert page.status_code == 200
    table = rows(page.text)
    assert sorted(table) == ["Anna", "Bram", "Chris", "Dewi", "Eva"]
    assert table["Anna"] == ["Regionale ambtenaar", "Bouw", "Bram, Eva", f"{first}, {second}"]
    assert table["Dewi"][2:] == ["Chris, Eva", f"{first}"]
    assert 'aria-labelledby="network-table-title"' in page.text, (
        "the table is announced by its title"
    )
    assert len(nodes(page.text)) == 5 and page.text.count("<line") == 5
    box = re.search(r'<svg id="network" class="network" viewBox="0 0 ([\d.]+) ([\d.]+)"', page.text)
    assert box
    width, height = float(box.group(1)), float(box.group(2))
    assert all(9 <= x <= width - 9 and 9 <= y <= height - 9 for x, y in nodes(page.text))

    by_round = client.get(f"/dashboard/network?round={second}&group=&theme=")
    assert sorted(rows(by_round.text)) == ["Anna", "Eva"]
    assert f'<option value="{second}" selected>' in by_round.text, "the filter shows its choice"
    assert by_round.text.count("<line") == 1

    regional = client.get("/dashboard/network?group=regionaal")
    assert sorted(rows(regional.text)) == ["Anna", "Chris", "Eva"]
    assert rows(regional.text)["Eva"][2] == "Anna, Chris"

    theme = client.get(f"/dashboard/network?theme=kunststoffen&round={first}")
    assert sorted(rows(theme.text)) == ["Chris", "Dewi"]

    nothing = client.get(f"/dashboard/network?round={second}&group=rijk")
    assert rows(nothing.text) == {} and 'id="network-empty"' in nothing.text

    for bad, status in [
        ("round=abc", 422),
        ("round=-1", 422),
        ("round=99999999999", 422),
        ("round=9999999999", 400),
        ("group=koning", 400),
        ("theme=<b>", 422),
        ("theme=ruimtevaart", 400),
    ]:
        assert client.get(f"/dashboard/network?{bad}").status_code == status, bad
