"""Offices are walls: a second office's people cannot reach the first office's documents, people or calendar.

外街道 (office B: ``outsider`` as owner and chief executive, ``admin2`` as administrator) tries every
kind of reference into 古塘街道 (office A) and gets a 404 or a refusal that says nothing of A.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from tests.api.conftest import Api, problem
from tests.helpers import Clock, adopt_all, new_decision, run_public_comment, to_consultation
from workflow.admin import offices as admin
from workflow.engine.context import DEFAULT_OFFICE_SETTINGS
from workflow.persistence.store import DL, Store
from workflow.service import Juece
from workflow.timing.calendar import WorkCalendar

SECRET = "古塘街道 机密草案：界牌新潮塘征收补偿标准每平方米 12800 元".encode()
SHA = hashlib.sha256(SECRET).hexdigest()


def _b_decision(core: Juece) -> int:
    """A decision of office B in drafting."""
    did = core.create_decision("cn-713", "外街道 旧改", "outsider", [])
    core.act(did, "initiate", "outsider", {"owner_unit": "城建办", "flags": []})
    return did


def _a_draft(api: Api, core: Juece) -> int:
    """Office A's decision with its confidential draft stored and attached through the API."""
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办", "flags": []})
    stored = api.post("documents", "owner", data=SECRET, content_type="text/plain; charset=utf-8")
    assert stored.status_code == 201 and stored.get_json()["created"] is True
    assert api.act(did, "upload_draft", "owner", {"content": {"sha256": SHA}, "filename": "草案.txt"}).status_code == 200
    return did


def test_upload_answers_the_same_whether_or_not_another_office_has_the_bytes(api: Api, core: Juece) -> None:
    _a_draft(api, core)
    # B stores the same bytes: "created", exactly as for bytes nobody has.
    same = api.post("documents", "outsider", data=SECRET, content_type="application/octet-stream")
    fresh = api.post("documents", "outsider", data=b"nobody has these bytes", content_type="application/octet-stream")
    assert same.status_code == fresh.status_code == 201
    assert same.get_json() == {"sha256": SHA, "size": len(SECRET), "media_type": "application/octet-stream",
                               "created": True}
    assert fresh.get_json()["created"] is True
    # Within an office "stored before" still holds (the uploader, and a colleague once it is on a decision).
    again = api.post("documents", "outsider", data=SECRET, content_type="application/octet-stream")
    assert again.status_code == 200 and again.get_json()["created"] is False
    colleague = api.post("documents", "owner2", data=SECRET, content_type="text/plain")
    assert colleague.status_code == 200 and colleague.get_json()["created"] is False


def test_another_offices_hash_is_refused_in_an_action_and_never_downloads(api: Api, core: Juece) -> None:
    a_did = _a_draft(api, core)
    b_did = _b_decision(core)
    refused = problem(api.act(b_did, "upload_draft", "outsider", {"content": {"sha256": SHA}}), 400)
    assert refused["details"] == {"field": "content"} and "古塘" not in str(refused)
    # Even a colleague in A may not name a hash they neither uploaded nor see on one of A's decisions…
    fresh = hashlib.sha256(b"owner's private notes").hexdigest()
    assert api.post("documents", "owner", data=b"owner's private notes").status_code == 201
    problem(api.act(a_did, "upload_draft", "owner2", {"content": {"sha256": fresh}}), 400)
    # …but may name one that is on A's decision.
    assert api.act(a_did, "upload_draft", "owner2", {"content": {"sha256": SHA}}).status_code == 200

    problem(api.get(f"documents/{SHA}", "outsider"), 404)
    problem(api.get(f"documents/{SHA}", "admin2"), 404)
    problem(api.get(f"decisions/{a_did}/documents", "outsider"), 404)
    assert api.get(f"documents/{SHA}", "owner").get_data() == SECRET
    listing = api.get(f"decisions/{b_did}/documents", "outsider").get_json()
    assert listing == {"items": []}


def test_uploading_the_same_bytes_gives_b_its_own_use_not_as_content(api: Api, core: Juece) -> None:
    """B may attach bytes B itself uploaded; what it downloads then is what it uploaded, on its own decision."""
    _a_draft(api, core)
    b_did = _b_decision(core)
    assert api.post("documents", "outsider", data=SECRET).status_code == 201
    assert api.act(b_did, "upload_draft", "outsider", {"content": {"sha256": SHA}}).status_code == 200
    # B's decision lists its own version only; A's decision stays out of reach.
    items = api.get(f"decisions/{b_did}/documents", "outsider").get_json()["items"]
    assert [(i["kind"], i["version"]) for i in items] == [("draft", 1)]


def test_an_approver_is_never_a_typed_name_even_of_another_office(api: Api, core: Juece) -> None:
    b_did = _b_decision(core)
    # No person field names A's chief any more: a typed approver is refused as a field, whoever it names.
    body = problem(api.act(b_did, "withdraw", "outsider", {"reason": "政策调整", "approver": "chief"}), 400)
    nobody = problem(api.act(b_did, "withdraw", "outsider", {"reason": "政策调整", "approver": "nobody"}), 400)
    assert body["message_en"] == nobody["message_en"]
    assert not {"街道办事处", "古塘街道", "chief_executive"} & set(str(body).split())
    with core.db.read() as conn:
        assert Store(conn).user_by_name("chief", org_id=_org(core, "外街道")) is None


def test_another_offices_decision_is_404_whatever_the_reference(api: Api, core: Juece) -> None:
    a_did = _a_draft(api, core)
    for path in (f"decisions/{a_did}", f"decisions/{a_did}/documents", f"decisions/{a_did}/audit"):
        assert api.get(path, "outsider").status_code == 404
    problem(api.act(a_did, "withdraw", "outsider", {"reason": "x"}), 404)


def test_an_offices_calendar_override_moves_only_its_own_deadlines(api: Api, core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    start = clock.now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    rest = [start + dt.timedelta(days=i) for i in range(1, 15)]
    for day in rest:  # office B's administrator: 14 rest days
        admin.set_calendar_day(core, day, False, "外街道停工", by="admin2", org="外街道")
    a, b = _org(core, "古塘街道"), _org(core, "外街道")
    with core.db.read() as conn:
        st = Store(conn)
        seq = st.system_seq()
        assert all(core.calendar_for(st, seq, b).is_workday(d) is False for d in rest)
        assert core.calendar_for(st, seq, a) == core.calendar_for(st, seq, None)  # A sees the national calendar
    core.act(did, "submit_legality_review", "owner", {})  # A's 7 working days count on the national calendar
    with core.db.read() as conn:
        due = conn.execute(select(DL.c.due_at).where(DL.c.decision_id == did, DL.c.key == "legality_review_due",
                                                     DL.c.kind == "due")).scalar_one()
    opened = clock.now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    national = WorkCalendar()
    due_day = (due.replace(tzinfo=dt.UTC) - dt.timedelta(seconds=1)).astimezone(national.tz).date()
    days = int(DEFAULT_OFFICE_SETTINGS["legality_review_days"])
    assert due_day == national.add_working_days(opened, days)
    with core.db.read() as conn:
        st = Store(conn)
        assert core.calendar_for(st, st.system_seq(), b).add_working_days(opened, days) > due_day + dt.timedelta(days=10)


def _org(core: Juece, name: str) -> int:
    from workflow.persistence.store import ORG

    with core.db.read() as conn:
        return int(conn.execute(select(ORG.c.id).where(ORG.c.name == name)).scalar_one())
