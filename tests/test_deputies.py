"""Deputies (代理): a chief executive's signed grant; the deputy acts and signs in their own name, marked
"代 …" with the grant; expiry and revocation end it, and the record says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select, update

from tests.helpers import PASSWORD, Clock, new_decision, to_legality_review
from workflow.admin import deputies
from workflow.engine.errors import WorkflowError
from workflow.persistence.store import E
from workflow.record import records
from workflow.record.audit import verify_all
from workflow.record.keyring import Keyring
from workflow.service import Juece
from workflow.views.dossier import trail
from workflow.views.queries import show_decision

OPINION = {"outcome": "lawful", "opinion": "经审查合法"}


def refusal(call: Callable[[], object]) -> WorkflowError:
    with pytest.raises(WorkflowError) as caught:
        call()
    return caught.value


def at_review(core: Juece, clock: Clock) -> int:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    return did


def grant_reviewer_to_member1(core: Juece, clock: Clock, days: int = 10) -> int:
    """The reviewer is on leave: the chief grants her role to member1 for ``days`` days."""
    return deputies.grant(core, "chief", "reviewer", "member1", "legal_reviewer", clock.now + dt.timedelta(days=days),
                          "审查员休假", PASSWORD)


def system(core: Juece, action: str) -> list[dict[str, object]]:
    with core.db.read() as conn:
        return [dict(r.event) for r in conn.execute(select(E.c.event).where(
            E.c.stream == "system", E.c.action == action).order_by(E.c.seq))]


def test_a_grant_is_the_chiefs_signed_act(core: Juece, clock: Clock) -> None:
    until = clock.now + dt.timedelta(days=10)
    assert refusal(lambda: deputies.grant(core, "owner", "reviewer", "member1", "legal_reviewer", until, "休假",
                                          PASSWORD)).code == "role_not_permitted"
    assert refusal(lambda: deputies.grant(core, "chief", "reviewer", "member1", "legal_reviewer", until, "休假",
                                          None)).code == "signing_password_required"
    assert refusal(lambda: deputies.grant(core, "chief", "reviewer", "member1", "legal_reviewer", until, "休假",
                                          "wrong-password")).code == "signing_password_wrong"
    for principal, deputy, role, reason in [("reviewer", "reviewer", "legal_reviewer", "休假"),
                                            ("reviewer", "chief", "legal_reviewer", "休假"),
                                            ("reviewer", "member1", "owner", "休假"),
                                            ("expert1", "member1", "expert", "休假"),
                                            ("reviewer", "member1", "legal_reviewer", " ")]:
        with pytest.raises(WorkflowError) as caught:
            deputies.grant(core, "chief", principal, deputy, role, until, reason, PASSWORD)
        assert caught.value.code == "invalid_input", (principal, deputy, role)
    assert refusal(lambda: deputies.grant(core, "chief", "reviewer", "outsider", "legal_reviewer", until, "休假",
                                          PASSWORD)).code == "not_found"  # another office's person
    assert system(core, "deputy_granted") == []  # nothing refused left a trace
    grant_id = grant_reviewer_to_member1(core, clock)
    (event,) = system(core, "deputy_granted")
    data = event["data"]
    assert isinstance(data, dict) and (data["grant"], data["principal"], data["deputy"], data["role"], data["reason"]) == (
        grant_id, "reviewer", "member1", "legal_reviewer", "审查员休假")
    with core.db.read() as conn:
        ring = Keyring.load(conn)
        (shown,) = deputies.office_grants(conn, 1, clock.now)
    assert ring.signature_problem("system", event) is None  # signed with the chief's own key
    assert (shown["deputy"], shown["principal"], shown["status"], shown["signature_ok"]) == (
        "member1", "reviewer", "in_force", True)


def test_the_deputy_acts_and_signs_in_their_own_name_marked_for_whom(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    grant_id = grant_reviewer_to_member1(core, clock)
    assert refusal(lambda: core.act(did, "sign_legality_opinion", "member1", OPINION, password=PASSWORD)
                   ).code == "role_not_permitted"  # not without naming the grant
    assert refusal(lambda: core.act(did, "sign_legality_opinion", "owner", OPINION, password=PASSWORD,
                                    grant=grant_id)).code == "deputy_grant_not_found"  # not someone else's grant
    core.act(did, "sign_legality_opinion", "member1", OPINION, password=PASSWORD, grant=grant_id)
    with core.db.read() as conn:
        event = conn.execute(select(E.c.event).where(E.c.stream == f"decision:{did}",
                                                     E.c.action == "sign_legality_opinion")).scalar_one()
        history = show_decision(conn, core.catalog, did, clock.now)["history"]
        (row,) = [t for t in trail(conn, did) if t.action == "sign_legality_opinion"]
        assert verify_all(conn, core.catalog).ok
    assert event["actor"]["name"] == "member1" and event["actor"]["roles"] == ["legal_reviewer"]
    assert event["deputy"]["grant"] == grant_id and event["deputy"]["for"]["name"] == "reviewer"
    assert history[-1]["deputy"]["for"]["name"] == "reviewer"
    assert (row.signer, row.signature_ok, row.deputy_problem) == ("member1", True, "")  # member1's own key


def test_an_act_after_expiry_is_refused_and_the_expiry_is_recorded_once(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    grant_id = grant_reviewer_to_member1(core, clock, days=2)
    clock.advance(days=2)
    error = refusal(lambda: core.act(did, "sign_legality_opinion", "member1", OPINION, password=PASSWORD,
                                     grant=grant_id))
    assert error.code == "deputy_grant_expired" and error.details["grant"] == grant_id
    assert deputies.expire(core) == 1 and deputies.expire(core) == 0
    (expired,) = system(core, "deputy_grant_expired")
    assert expired["data"]["grant"] == grant_id  # type: ignore[index]
    with core.db.read() as conn:
        assert deputies.office_grants(conn, 1, clock.now)[0]["status"] == "expired"
        assert verify_all(conn, core.catalog).ok


def test_a_revoked_grant_ends_at_once(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    grant_id = grant_reviewer_to_member1(core, clock)
    assert refusal(lambda: deputies.revoke(core, grant_id, "chief", "审查员提前返岗", None)).code == (
        "signing_password_required")
    deputies.revoke(core, grant_id, "chief", "审查员提前返岗", PASSWORD)
    assert refusal(lambda: core.act(did, "sign_legality_opinion", "member1", OPINION, password=PASSWORD,
                                    grant=grant_id)).code == "deputy_grant_revoked"
    assert refusal(lambda: deputies.revoke(core, grant_id, "chief", "再撤", PASSWORD)).code == "deputy_grant_ended"
    core.act(did, "sign_legality_opinion", "reviewer", OPINION, password=PASSWORD)
    with core.db.read() as conn:
        assert verify_all(conn, core.catalog).ok


def test_the_owners_deputy_stands_where_the_owner_stands(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    grant_id = deputies.grant(core, "chief", "owner", "publisher", "owner", clock.now + dt.timedelta(days=5),
                              "承办人出差", PASSWORD)
    assert refusal(lambda: core.act(did, "upload_draft", "publisher", {"content": "草案"})).code == (
        "role_not_permitted")
    core.act(did, "upload_draft", "publisher", {"content": "草案"}, grant=grant_id)
    core.act(did, "start_consultation", "publisher", {"legal_bases": ["《城乡规划法》"]}, grant=grant_id)
    core.act(did, "open_public_comment", "owner", {"opens_at": clock.now.isoformat(),
                                                   "closes_at": (clock.now + dt.timedelta(days=31)).isoformat()})
    records.correct(core, did, "open_public_comment", "publisher", {
        "opens_at": clock.now.isoformat(), "closes_at": (clock.now + dt.timedelta(days=35)).isoformat()},
        "延长征求意见期限", grant=grant_id)
    with core.db.read() as conn:
        marked = [h["actor"] for h in show_decision(conn, core.catalog, did, clock.now)["history"] if h["deputy"]]
    assert marked == ["publisher", "publisher", "publisher"]


def test_verification_flags_an_act_outside_its_grant(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    grant_id = grant_reviewer_to_member1(core, clock)
    core.act(did, "sign_legality_opinion", "member1", OPINION, password=PASSWORD, grant=grant_id)
    with core.db.read() as conn:
        ring = Keyring.load(conn)
        event = dict(conn.execute(select(E.c.event).where(E.c.stream == f"decision:{did}",
                                                          E.c.action == "sign_legality_opinion")).scalar_one())
    assert ring.deputy_problem(event) is None
    ring.grants[grant_id].ends_at = "2000-01-01T00:00:00.000000Z"
    assert ring.deputy_problem(event) == f"acted under deputy grant #{grant_id} outside its period"
    assert "not on record" in str(ring.deputy_problem(event | {"deputy": event["deputy"] | {"grant": 999}}))
    # An insider who lengthens the grant's row can act past its end, but the signed grant in the system
    # stream still ends where the chief signed it: verification names the act.
    with core.db.write() as conn:
        conn.execute(update(deputies.G).values(ends_at=dt.datetime(2100, 1, 1)))
    clock.advance(days=11)
    records.correct(core, did, "sign_legality_opinion", "member1", {"outcome": "lawful", "opinion": "更正"}, "笔误",
                    password=PASSWORD, grant=grant_id)
    with core.db.read() as conn:
        problems = [str(p) for p in verify_all(conn, core.catalog).problems]
    assert problems == [f"decision:{did} #{event_count(core, did)}: acted under deputy grant #{grant_id} "
                        "outside its period"]


def event_count(core: Juece, did: int) -> int:
    with core.db.read() as conn:
        return len(conn.execute(select(E.c.seq).where(E.c.stream == f"decision:{did}")).all())
