"""Cursors page through every item and every version exactly once."""

from __future__ import annotations

from .helpers import Api


def test_item_pages_cover_every_item_once(api: Api) -> None:
    ids = sorted(api.create({"n": n}).json()["id"] for n in range(23))

    seen: list[str] = []
    sizes: list[int] = []
    query = {"limit": "5"}
    while True:
        page = api.request("GET", "/items", query=query).json()
        seen += [item["id"] for item in page["items"]]
        sizes.append(len(page["items"]))
        if page["next_cursor"] is None:
            break
        query["cursor"] = page["next_cursor"]

    assert seen == ids
    assert sizes == [5, 5, 5, 5, 3]


def test_items_written_between_pages_keep_their_place(api: Api) -> None:
    ids = sorted(api.create({"n": n}).json()["id"] for n in range(4))
    first = api.request("GET", "/items", query={"limit": "2"}).json()
    # Updating an item already listed does not list it again.
    api.request("PUT", f"/items/{ids[0]}", {"n": "updated"})

    rest = api.request(
        "GET", "/items", query={"limit": "10", "cursor": first["next_cursor"]}
    ).json()

    assert [i["id"] for i in first["items"] + rest["items"]] == ids


def test_version_pages_are_newest_first_without_duplicates(api: Api) -> None:
    item_id = api.create({"n": 0}).json()["id"]
    for n in range(1, 12):
        api.request("PUT", f"/items/{item_id}", {"n": n})

    pages: list[list[int]] = []
    query = {"limit": "5"}
    while True:
        page = api.request("GET", f"/items/{item_id}/versions", query=query).json()
        pages.append([v["data"]["n"] for v in page["versions"]])
        if page["next_cursor"] is None:
            break
        query["cursor"] = page["next_cursor"]

    assert pages == [[11, 10, 9, 8, 7], [6, 5, 4, 3, 2], [1, 0]]


def test_a_full_last_page_is_followed_by_an_empty_one(api: Api) -> None:
    item_id = api.create({"n": 0}).json()["id"]
    api.request("PUT", f"/items/{item_id}", {"n": 1})

    page = api.request("GET", f"/items/{item_id}/versions", query={"limit": "2"}).json()
    last = api.request(
        "GET",
        f"/items/{item_id}/versions",
        query={"limit": "2", "cursor": page["next_cursor"]},
    )

    assert len(page["versions"]) == 2
    assert last.status == 200
    assert last.json() == {"versions": [], "next_cursor": None}
