"""Domain-language helpers for tests: a movable clock, the people, and steps that drive a decision."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine

from config.runtime import delivery_policy
from config.settings import load_settings
from workflow.service import Juece

CST = dt.timezone(dt.timedelta(hours=8))
#: The outbox's lease, back-off and attempts as shipped (the defaults on ``Settings``).
DELIVERY = delivery_policy(load_settings({}))


def lease_end() -> float:
    """The monotonic instant a delivery claimed now would lose its lease (as shipped): a direct send's deadline."""
    return time.monotonic() + DELIVERY.lease.total_seconds()
#: Everyone's own password in the tests: it signs them in and opens their signing key.
PASSWORD = "correct-horse-battery"

#: (name, roles, unit, office). 外街道 is another office, to test that offices cannot see each other.
PEOPLE: list[tuple[str, list[str], str, str]] = [
    ("owner", ["owner"], "城建办", "古塘街道"),
    ("owner2", ["owner"], "城建办", "古塘街道"),
    ("reviewer", ["legal_reviewer"], "司法所", "古塘街道"),
    ("adviser", ["legal_adviser"], "律师事务所", "古塘街道"),
    ("expert1", ["expert"], "宁波大学", "古塘街道"),
    ("expert2", ["expert"], "规划院", "古塘街道"),
    ("chief", ["chief_executive"], "街道办事处", "古塘街道"),
    ("member1", ["secretary"], "党政综合办", "古塘街道"),
    ("secretary", ["secretary"], "党政综合办", "古塘街道"),
    ("publisher", ["publisher"], "党政综合办", "古塘街道"),
    ("executor", ["executor"], "界牌村", "古塘街道"),
    ("evaluator", ["evaluator"], "第三方评估机构", "古塘街道"),
    ("assessor_evaluator", ["evaluator"], "风险评估中心", "古塘街道"),
    ("citizen1", ["public"], "", "古塘街道"),
    ("citizen2", ["public"], "", "古塘街道"),
    ("outsider", ["owner", "legal_reviewer", "chief_executive"], "城建办", "外街道"),
]


class Clock:
    """A clock the test sets and moves; the core reads it for every action."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by a ``timedelta(**delta)``."""
        self.now += dt.timedelta(**delta)
        return self.now

    def set(self, local: str) -> None:
        """Set to a Shanghai local time 'YYYY-MM-DDTHH:MM'."""
        self.now = dt.datetime.fromisoformat(local).replace(tzinfo=CST).astimezone(dt.UTC)


def local_iso(moment: dt.datetime) -> str:
    """An instant as a Shanghai ISO string with offset (how a form would send it)."""
    return moment.astimezone(CST).isoformat()


MEETING = {
    "held_at": "2026-05-06T09:00:00+08:00",
    "attendees": ["chief", "member1", "secretary"],
    "views": [{"member": "member1", "view": "for"}, {"member": "secretary", "view": "against", "remarks": "资金不足"},
              {"member": "chief", "view": "for"}],
}


def new_decision(core: Juece, flags: list[str] | None = None, procedure: str = "cn-713") -> int:
    """A proposed decision owned by ``owner``."""
    return core.create_decision(procedure, "界牌新潮塘未来社区建设", "owner", flags or [])


def to_consultation(core: Juece, did: int, flags: list[str] | None = None) -> None:
    """proposed → drafting → consultation, with a draft and legal bases."""
    core.act(did, "initiate", "owner", {"owner_unit": "城建办", "flags": flags or []})
    core.act(did, "upload_draft", "owner", {"content": "草案第一稿"})
    core.act(did, "start_consultation", "owner", {"legal_bases": ["《城乡规划法》"]})


def run_public_comment(core: Juece, clock: Clock, did: int, comments: int = 1) -> None:
    """A 30-day window with comments, then time moves past its close."""
    opens = clock.now
    core.act(did, "open_public_comment", "owner", {
        "opens_at": local_iso(opens), "closes_at": local_iso(opens + dt.timedelta(days=32))})
    clock.advance(days=1)
    for i in range(comments):
        core.act(did, "submit_comment", f"citizen{i % 2 + 1}", {"text": f"意见{i + 1}"})
    clock.advance(days=33)


def adopt_all(core: Juece, did: int, refs: list[str]) -> None:
    """An adoption report answering every input."""
    core.act(did, "record_adoption_report", "owner",
             {"entries": {r: {"adoption": "adopted"} for r in refs}, "summary": "全部采纳"})


def to_legality_review(core: Juece, clock: Clock, did: int, flags: list[str] | None = None) -> None:
    """Through consultation with public comment (and expert review if ``technical``)."""
    to_consultation(core, did, flags)
    run_public_comment(core, clock, did)
    refs = ["comment:1"]
    if flags and "technical" in flags:
        core.act(did, "submit_expert_opinion", "expert1", {"opinion": "可行"}, password=PASSWORD)
        refs.append("expert:1")
    for task in ("group_consultation",) if flags and "affects_specific_group" in flags else ():
        core.act(did, f"record_{task}", "owner", {"record": "座谈会记录"})
    adopt_all(core, did, refs)
    core.act(did, "submit_legality_review", "owner", {})


def to_collective_discussion(core: Juece, clock: Clock, did: int, flags: list[str] | None = None) -> None:
    """Through a lawful, signed legality opinion."""
    to_legality_review(core, clock, did, flags)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "经审查合法"}, password=PASSWORD)
    at_least(clock, "2026-05-06T10:00")  # the story's meeting (MEETING) is held on 05-06 09:00, after the opinion


def at_least(clock: Clock, local: str) -> None:
    """Move the clock forward to ``local`` unless it is already later (stated dates may not be in the future)."""
    target = dt.datetime.fromisoformat(local).replace(tzinfo=CST)
    if clock.now < target:
        clock.now = target.astimezone(dt.UTC)


def to_publication(core: Juece, clock: Clock, did: int, flags: list[str] | None = None) -> dt.date:
    """Through the meeting, the chief executive's decision and the Party report; returns the decision's day."""
    to_collective_discussion(core, clock, did, flags)
    # The story's meeting is held on 05-06; a story that runs later holds it the moment it is recorded.
    late = clock.now > dt.datetime(2026, 5, 6, 10, tzinfo=CST)
    core.act(did, "record_meeting", "secretary", MEETING | {"held_at": local_iso(clock.now)} if late else MEETING)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    decided_on = clock.now.astimezone(CST).date()
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    at_least(clock, "2026-05-11T09:00")  # the story publishes on 05-10 (or the day it runs, if later)
    return decided_on


def to_implementation(core: Juece, clock: Clock, did: int, flags: list[str] | None = None) -> None:
    """Published."""
    decided_on = to_publication(core, clock, did, flags)
    # The story publishes on 05-10; a story that runs later publishes the day it was decided.
    published_on = max(dt.date(2026, 5, 10), decided_on).isoformat()
    data: dict[str, Any] = {"channels": ["政府网站"], "published_on": published_on}
    if flags and {"technical", "wide_concern"} & set(flags):
        data["adoption_explanation"] = "公众意见和专家意见均已采纳"
    core.act(did, "publish", "publisher", data)


def review_requested_feb_12(core: Juece, clock: Clock, emails: dict[str, str],
                            set_time: Callable[[str], None] | None = None) -> int:
    """A legality review requested on Thu 2026-02-12 with a 7-working-day limit (due end of Sat 02-28).

    ``emails`` gives people their addresses; ``set_time`` moves the clock (and any process's clock with it).
    """
    from sqlalchemy import text

    from workflow.admin import offices as admin

    move = set_time or clock.set
    admin.update_org_settings(core, "古塘街道", {"legality_review_days": 7, "supervisor": "chief",
                                             "escalation_working_days": 2})
    with core.db.write() as conn:
        for name, address in emails.items():
            conn.execute(text("UPDATE app_user SET email = :e WHERE name = :n"), {"e": address, "n": name})
    move("2026-01-05T09:00")
    did = new_decision(core)
    to_consultation(core, did)
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    move("2026-02-12T10:00")
    core.act(did, "submit_legality_review", "owner")
    return did


#: The documents of ``public_story``, by what they are.
STORY_TEXTS = {
    "draft": "草案第一稿", "opinion": "经审查，草案第三条与上位法不一致（内部审查意见）", "adviser": "法律顾问意见：建议删除第三条",
    "internal_draft": "机关食堂外包方案（内部草案）", "contract": "界牌村安置房施工合同", "contract_opinion": "合同条款无异议",
}


@dataclass(frozen=True, slots=True)
class PublicStory:
    """Decisions a citizen meets: one reviewed after comment, one open for comment, two never public."""

    reviewed: int  # commented on by citizen1 ("意见1") and citizen2 ("意见2"), then a signed legality opinion
    window: int  # its comment window open now, no comments yet
    internal: int  # in consultation, never put before the public
    contract: int  # a contract review with its signed opinion


def public_story(core: Juece, clock: Clock) -> PublicStory:
    """The decisions of ``PublicStory`` (documents are the texts of ``STORY_TEXTS``)."""
    texts = STORY_TEXTS
    reviewed = new_decision(core)
    to_consultation(core, reviewed)
    run_public_comment(core, clock, reviewed, comments=2)
    adopt_all(core, reviewed, ["comment:1", "comment:2"])
    core.act(reviewed, "submit_legality_review", "owner", {})
    core.act(reviewed, "submit_adviser_opinion", "adviser", {"opinion": texts["adviser"]}, password=PASSWORD)
    core.act(reviewed, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": texts["opinion"]}, password=PASSWORD)
    internal = core.create_decision("cn-713", "内部事项：机关食堂外包", "owner", [])
    core.act(internal, "initiate", "owner", {"owner_unit": "城建办"})
    core.act(internal, "upload_draft", "owner", {"content": texts["internal_draft"]})
    core.act(internal, "start_consultation", "owner", {"legal_bases": ["《政府采购法》"]})
    contract = core.create_decision("contract-review", "安置房施工合同审查", "owner", [])
    core.act(contract, "upload_draft", "owner", {"content": texts["contract"]})
    core.act(contract, "accept_for_review", "reviewer")
    core.act(contract, "submit_adviser_opinion", "adviser", {"opinion": "条款合法"}, password=PASSWORD)
    core.act(contract, "sign_review_opinion", "reviewer", {"outcome": "no_objection", "opinion": texts["contract_opinion"]}, password=PASSWORD)
    opened = core.create_decision("cn-713", "古塘老街改造", "owner", [])
    to_consultation(core, opened)
    core.act(opened, "open_public_comment", "owner", {
        "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=32))})
    return PublicStory(reviewed, opened, internal, contract)


@contextmanager
def database_down(core: Juece) -> Iterator[None]:
    """While inside, ``core``'s database cannot be reached: its engine points at a port nobody listens on."""
    with socket.socket() as sock:  # a port just freed: connecting to it is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    live = core.db.engine
    dead = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/gone", pool_pre_ping=True)
    core.db.engine = dead
    try:
        yield
    finally:
        core.db.engine = live
        dead.dispose()
