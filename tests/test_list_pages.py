"""Lists that scale (workflow.views.paging): the inbox, notifications and catalogue a page at a time, on the
real database: never more than the limit, every item once and in order (also when rows arrive between pages),
a citizen never shown a non-public decision, and a bad cursor a clear refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers import Clock, local_iso, new_decision, to_consultation
from workflow.engine.context import Actor
from workflow.engine.errors import InvalidInput
from workflow.persistence.store import D, Store, U
from workflow.service import Juece
from workflow.views import inbox_query
from workflow.views.catalogue import CatalogueFilter, catalogue, catalogue_page, public_catalogue_page
from workflow.views.inbox import InboxItem, actions_for, actor_by_id, decision_view, inbox_page
from workflow.views.paging import Page, Window, decode, encode
from workflow.views.visibility import public_only, publicly_visible


def person(core: Juece, name: str) -> Actor:
    """The named person as the engine sees them."""
    with core.db.read() as conn:
        user_id = conn.execute(select(U.c.id).where(U.c.name == name)).scalar_one()
        found = actor_by_id(conn, int(user_id))
    assert found is not None
    return found


def open_window(core: Juece, clock: Clock, did: int, days: int) -> None:
    """Put ``did`` out for comment now, closing in ``days`` days (an owner's deadline: Art. 15)."""
    core.act(did, "open_public_comment", "owner", {
        "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=days))})


def inbox(core: Juece, who: Actor, window: Window) -> Page[InboxItem]:
    """One page of ``who``'s inbox."""
    with core.db.read() as conn:
        st = Store(conn)
        return inbox_page(conn, core.catalog, who, core.clock(), core.calendar_for(st, st.system_seq()), window)


def walk(read: Callable[[Window], Page[Any]], limit: int, between: Callable[[], None] | None = None) -> list[Any]:
    """Every item of a list, following ``next`` a page at a time (``between`` runs after each page)."""
    out: list[Any] = []
    window = Window(limit)
    for _ in range(100):
        page = read(window)
        assert len(page.items) <= limit
        out += page.items
        if page.next is None:
            return out
        if between is not None:
            between()
        window = Window(limit, after=page.next)
    raise AssertionError("the pages never ended")


def due_order(item: InboxItem) -> tuple[dt.datetime, int]:
    """An inbox item's place: its deadline (none: last), then its id."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (item.due.due_at if item.due and item.due.due_at else far, item.decision_id)


@pytest.fixture()
def desk(core: Juece, clock: Clock) -> list[int]:
    """Seven decisions of the owner: four out for comment closing in reverse order of creation, three proposed."""
    ids = [new_decision(core) for _ in range(7)]
    for n, did in enumerate(ids[:4]):
        to_consultation(core, did)
        open_window(core, clock, did, 40 - n)
    return ids


def test_the_inbox_walks_every_item_once_by_due_date_never_over_the_limit(core: Juece, desk: list[int]) -> None:
    owner = person(core, "owner")
    items = walk(lambda w: inbox(core, owner, w), 3)
    assert sorted(i.decision_id for i in items) == sorted(desk)
    assert items == sorted(items, key=due_order)
    assert [i.decision_id for i in items[:4]] == desk[:4][::-1]  # the window closing first comes first
    assert all(i.due is not None for i in items[:4]) and all(i.due is None for i in items[4:])


def test_the_inbox_walks_back_with_previous(core: Juece, desk: list[int]) -> None:
    owner = person(core, "owner")
    forward = [inbox(core, owner, Window(3))]
    while forward[-1].next:
        forward.append(inbox(core, owner, Window(3, after=forward[-1].next)))
    back = [forward[-1]]
    while back[-1].previous:
        back.append(inbox(core, owner, Window(3, before=back[-1].previous)))
    assert [[i.decision_id for i in p.items] for p in back[::-1]] == [[i.decision_id for i in p.items]
                                                                     for p in forward]


def test_rows_arriving_between_pages_are_never_shown_twice(core: Juece, clock: Clock, desk: list[int]) -> None:
    owner = person(core, "owner")
    arrived: list[int] = []

    def more() -> None:
        did = new_decision(core)
        arrived.append(did)
        to_consultation(core, did)
        open_window(core, clock, did, 31)  # due before every page already read

    seen = [i.decision_id for i in walk(lambda w: inbox(core, owner, w), 2, more)]
    assert len(seen) == len(set(seen))
    assert set(desk) <= set(seen) <= set(desk) | set(arrived)


def test_the_inbox_selects_only_rows_that_can_concern_the_person(core: Juece, desk: list[int]) -> None:
    # The reviewer acts in none of these states: no row is read for them at all.
    reviewer = person(core, "reviewer")
    keys = inbox_query.page_keys(core.catalog, reviewer, citizen=False)
    assert keys is not None
    with core.db.read() as conn:
        assert conn.execute(keys.query).all() == []
    # Another owner of the same unit may act on the unit's initiated decisions (may_act), not on proposals.
    assert {i.decision_id for i in walk(lambda w: inbox(core, person(core, "owner2"), w), 4)} == set(desk[:4])


def test_the_inbox_in_sql_agrees_with_may_act_on_every_row(core: Juece, desk: list[int]) -> None:
    with core.db.read() as conn:
        rows = conn.execute(select(D)).all()
    for name in ("owner", "owner2", "reviewer", "chief", "publisher", "citizen1", "outsider"):
        who = person(core, name)
        expected = {int(r.id) for r in rows if int(r.org_id) == who.org_id and actions_for(
            who, decision_view(r, core.catalog), include_any=False) and not public_only(who.roles)}
        if public_only(who.roles):
            expected = set(desk[:4])  # a citizen: where a comment window is open now
        assert {i.decision_id for i in walk(lambda w, who=who: inbox(core, who, w), 2)} == expected, name


def test_a_citizens_inbox_pages_show_only_open_public_windows(core: Juece, clock: Clock, desk: list[int]) -> None:
    confidential = new_decision(core, ["confidential"])
    core.act(confidential, "initiate", "owner", {"owner_unit": "城建办", "flags": ["confidential"],
                                                 "confidential_basis": "《保守国家秘密法》第九条"})
    citizen = person(core, "citizen1")
    seen = walk(lambda w: inbox(core, citizen, w), 1)
    assert sorted(i.decision_id for i in seen) == sorted(desk[:4])
    assert all(i.due is None for i in seen)  # no deadlines about others' work


def test_the_catalogue_pages_keep_filters_and_order(core: Juece, clock: Clock, desk: list[int]) -> None:
    org = person(core, "owner").org_id
    wanted = CatalogueFilter(clock.now.year, state="consultation", unit="城建办")
    with core.db.read() as conn:
        rows = walk(lambda w: catalogue_page(conn, core.catalog, org, wanted, clock.now, w), 3)
        everything = catalogue(conn, core.catalog, org, wanted, clock.now)
        assert walk(lambda w: catalogue_page(conn, core.catalog, org, CatalogueFilter(clock.now.year, text="没有"),
                                             clock.now, w), 3) == []
    assert [r.id for r in rows] == [r.id for r in everything] == desk[:4]


def test_a_citizens_catalogue_pages_never_hold_a_non_public_decision(core: Juece, clock: Clock,
                                                                     desk: list[int]) -> None:
    org = person(core, "citizen1").org_id
    with core.db.read() as conn:
        rows = walk(lambda w: public_catalogue_page(conn, core.catalog, org, CatalogueFilter(clock.now.year),
                                                    clock.now, w), 1)
        facts = {int(r.id): (str(r.procedure_id), r.facts) for r in conn.execute(select(D).where(D.c.id.in_(desk)))}
    assert [r.id for r in rows] == desk[:4]
    assert all(publicly_visible(*facts[r.id], clock.now) for r in rows)
    assert not any(publicly_visible(*facts[did], clock.now) for did in desk[4:])


@pytest.mark.parametrize("cursor", ["garbage", "W10", encode(("x", 1)), encode((1, 2)), "e30", "A" * 401,
                                    encode(("2026-01-01T00:00:00", -1))])
def test_a_bad_cursor_is_refused_as_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode(cursor, (dt.datetime, int))
    assert refused.value.code == "invalid_cursor"


def test_a_cursor_round_trips() -> None:
    key = (dt.datetime(2026, 3, 2, 1, 2, 3, 4), 17)
    assert decode(encode(key), (dt.datetime, int)) == key
    assert decode(None, (int,)) is None
