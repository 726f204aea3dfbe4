"""Demo data: the 古塘街道 office, its people, and the 界牌新潮塘未来社区建设 decision in progress.

The story follows the 2022 Gutang report (docs/procedure/cn-713.md, "Worked example"): flags ``technical`` and
``affects_specific_group``, risk assessment waived with a stated reason, 30+ days of public comment,
two signed expert opinions, a signed legality opinion; it stops at the collective discussion. It
runs on a fixed timeline in spring 2026 so it loads the same on any day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from workflow.admin import offices as admin
from workflow.admin import people
from workflow.packs.cn_713_2019_09_01 import demo as story
from workflow.persistence.store import ORG, D, U
from workflow.record import keys
from workflow.service import Juece
from workflow.timing.calendar import SHANGHAI

OFFICE = "古塘街道"
TITLE = "界牌新潮塘未来社区建设"
#: Every demo person signs in and signs with this password (demo data only; never use it for real people).
#: The demo sets it as each person's own password, so each gets a key only that password opens.
DEMO_PASSWORD = "gutang-demo-2026"
CST = SHANGHAI

PEOPLE: list[tuple[str, list[str], str]] = [
    ("王建国", ["owner"], "城建办"),
    ("李明华", ["legal_reviewer"], "司法所"),
    ("张晓燕", ["legal_adviser"], "法律顾问（浙江某律师事务所）"),
    ("陈志强", ["expert"], "宁波大学建筑工程与环境学院"),
    ("刘芳", ["expert"], "慈溪市规划设计研究院"),
    ("孙海峰", ["chief_executive"], "街道办事处"),
    ("周敏", ["secretary"], "党政综合办"),
    ("吴霞", ["publisher"], "党政综合办"),
    ("郑涛", ["executor"], "界牌村"),
    ("冯宁", ["evaluator"], "第三方评估机构"),
    ("黄磊", ["admin"], "党政综合办"),
    ("居民甲", ["public"], ""),
    ("居民乙", ["public"], ""),
]


def _clock(start: dt.datetime) -> Iterator[dt.datetime]:
    moment = start
    while True:
        yield moment
        moment += dt.timedelta(minutes=7)


def load_demo(core: Juece) -> int:
    """Load the demo office, people and decision; returns the decision id (existing one if loaded)."""
    with core.db.read() as conn:
        existing = conn.execute(select(D.c.id).join(ORG, ORG.c.id == D.c.org_id)
                                .where(ORG.c.name == OFFICE, D.c.title == TITLE)).first()
    if existing:
        return int(existing.id)
    moments = {"now": dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)}
    ticks = _clock(moments["now"])

    def clock() -> dt.datetime:
        return max(next(ticks), moments["now"])

    demo = dataclasses.replace(core, clock=clock)
    org_id = admin.ensure_org(demo, OFFICE, {"collective_body": "街道党工委会议、主任办公会议",
                                    "legality_review_unit": "司法所", "supervisor": "孙海峰"})
    for name, roles, unit in PEOPLE:
        with core.db.read() as conn:
            known = people.person_id(conn, name, org_id)
        if not known:
            admin.add_user(demo, name, roles, OFFICE, unit=unit)
            keys.change_password(demo, people.Named(name, org_id), DEMO_PASSWORD)

    def at(day: str) -> None:
        moments["now"] = dt.datetime.fromisoformat(day).replace(tzinfo=CST)

    did = demo.create_decision(story.PROCEDURE, TITLE, people.Named(story.OWNER, org_id), list(story.FLAGS))
    for when, action, name, data, signed in story.STORY:
        if when is not None:
            at(when)
        kw: dict[str, Any] = {"password": DEMO_PASSWORD} if signed else {}
        demo.act(did, action, people.Named(name, org_id), data, **kw)  # these people, of this office
    return did


def demo_traces(core: Juece, everyone: bool = False) -> tuple[bool, list[str]]:
    """What the demo left behind: whether its decision exists, and the active people the demo password opens.

    Only the demo's own names are tried unless ``everyone`` (each try is a full argon2 verification).
    """
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    names = {name for name, _, _ in PEOPLE}
    with core.db.read() as conn:
        decision = conn.execute(select(D.c.id).join(ORG, ORG.c.id == D.c.org_id)
                                .where(ORG.c.name == OFFICE, D.c.title == TITLE)).first() is not None
        people = conn.execute(select(U.c.name, U.c.password_hash)
                              .where(U.c.active.is_(True), U.c.password_hash.is_not(None))).all()
    opened = []
    for person in people:
        if not everyone and person.name not in names:
            continue
        try:
            if PasswordHasher().verify(person.password_hash, DEMO_PASSWORD):
                opened.append(str(person.name))
        except (VerificationError, InvalidHashError):
            continue
    return decision, sorted(opened)
