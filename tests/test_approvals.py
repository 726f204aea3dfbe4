"""Approvals are acts, never a typed name (issue 11, item 2).

Withdrawing a decision needs the chief executive: the owner's withdrawal is a request, applied only when a
chief executive of the same office, not the requester, confirms it with their own signature; a chief
withdraws directly, signed. Which actions need approval is data: ``approval:`` in the procedure file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import PASSWORD, Clock, new_decision, to_consultation
from workflow.admin.offices import add_user
from workflow.engine.catalog import Catalog
from workflow.engine.errors import DefinitionError, Forbidden, NotFound, RuleViolation, WorkflowError
from workflow.engine.loader import builtin_paths, load_definition
from workflow.engine.packs import PACKS_DIR
from workflow.persistence.store import Store, U
from workflow.record import approvals, keys
from workflow.record.audit import verify_all
from workflow.service import Juece, stream_of
from workflow.views.inbox import notifications

REASON = {"reason": "上级政策调整"}
CN713_YAML = PACKS_DIR / "cn_713_2019_09_01" / "procedure.yaml"


def _state(core: Juece, did: int) -> tuple[str, int]:
    with core.db.read() as conn:
        row = Store(conn).lock_decision(did)
        return str(row.state), int(row.version)


def _verified(core: Juece, did: int) -> None:
    with core.db.read() as conn:
        report = verify_all(conn, core.catalog, [did])
    assert report.ok, report.problems


def _inbox(core: Juece, name: str) -> list[str]:
    with core.db.read() as conn:
        user = Store(conn).user_by_name(name)
        return [n.subject for n in notifications(conn, int(user.id))]


def _consulting(core: Juece) -> int:
    did = new_decision(core)
    to_consultation(core, did)
    return did


def test_withdraw_declares_its_approval_as_data() -> None:
    procedure = load_definition(CN713_YAML)
    withdraw = procedure.actions["withdraw"]
    assert withdraw.approval is not None and withdraw.approval.by == ("chief_executive",)
    assert "approver" not in withdraw.fields
    # No procedure asks anyone to type another person's name any more.
    for path in builtin_paths():
        for action in load_definition(path).actions.values():
            assert all(f.type != "user" for f in action.fields.values()), (path.name, action.id)


def test_an_approver_must_be_able_to_take_the_action_itself(tmp_path: Path) -> None:
    source = CN713_YAML.read_text(encoding="utf-8")
    wrong = tmp_path / "cn-713@2019-09-01.yaml"
    wrong.write_text(source.replace('approval: {by: [chief_executive], article: "Art. 30"}',
                                    'approval: {by: [publisher], article: "Art. 30"}'), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(wrong)
    assert "approver role 'publisher' may not take action 'withdraw' itself" in str(info.value)


def test_the_owner_cannot_terminate_by_typing_a_chiefs_name(core: Juece) -> None:
    did = _consulting(core)
    before = _state(core, did)
    with pytest.raises(RuleViolation) as info:
        core.act(did, "withdraw", "owner", REASON | {"approver": "chief"})
    assert info.value.code == "approval_not_typed" and "签名确认" in info.value.zh
    assert _state(core, did) == before


def test_the_owners_withdrawal_is_a_request_that_changes_nothing_and_reaches_the_chiefs_inbox(core: Juece) -> None:
    did = _consulting(core)
    result = core.act(did, "withdraw", "owner", REASON)
    assert result.request == result.version and result.state == result.from_state == "consultation"
    assert _state(core, did) == ("consultation", result.version)
    assert [r["requested_by"] for r in approvals.pending(core, did)] == ["owner"]
    assert any("待批准" in s for s in _inbox(core, "chief"))
    assert not any("待批准" in s for s in _inbox(core, "outsider"))  # another office's chief is never told
    # A second request while one waits is refused: one question, one answer.
    with pytest.raises(RuleViolation) as info:
        core.act(did, "withdraw", "owner2", REASON)
    assert info.value.code == "approval_already_pending"
    _verified(core, did)


def test_the_chiefs_signed_confirmation_terminates_and_the_event_names_both(core: Juece) -> None:
    did = _consulting(core)
    request = core.act(did, "withdraw", "owner", REASON).request
    assert request is not None
    result = approvals.confirm(core, did, request, "chief", password=PASSWORD)
    assert result.state == "terminated"
    with core.db.read() as conn:
        event = Store(conn).events_of(stream_of(did))[-1].event
        row = Store(conn).lock_decision(did)
    assert event["actor"]["name"] == "chief" and event["approval"]["requested_by"] == "owner"
    assert event["approval"]["request_seq"] == request and event["data"] == REASON
    assert event["signature"]["key"]  # the chief's own signature, over an event naming the request's hash
    assert row.facts["withdrawn"] == {"reason": "上级政策调整", "approver": "chief", "requested_by": "owner"}
    assert approvals.pending(core, did) == []
    assert any("已批准" in s for s in _inbox(core, "owner"))
    _verified(core, did)


def test_confirmation_needs_the_approvers_own_password(core: Juece) -> None:
    did = _consulting(core)
    request = core.act(did, "withdraw", "owner", REASON).request
    assert request is not None
    for password in (None, "not-the-password"):
        with pytest.raises(WorkflowError) as info:
            approvals.confirm(core, did, request, "chief", password=password)
        assert info.value.code in ("signing_password_required", "signing_password_wrong")
    assert _state(core, did)[0] == "consultation"


def test_the_requester_cannot_confirm_their_own_request(core: Juece) -> None:
    add_user(core, "兼任主任", ["owner", "chief_executive"], "古塘街道", "城建办")
    keys.change_password(core, "兼任主任", PASSWORD)
    did = _consulting(core)
    # A person holding both roles is an approver: they withdraw directly, signed, not by asking themselves.
    assert core.act(did, "withdraw", "兼任主任", REASON, password=PASSWORD).state == "terminated"
    did = _consulting(core)
    request = core.act(did, "withdraw", "owner", REASON).request
    assert request is not None
    with pytest.raises(Forbidden):
        approvals.confirm(core, did, request, "owner", password=PASSWORD)  # not an approver at all
    with pytest.raises(NotFound):
        approvals.confirm(core, did, request, "outsider", password=PASSWORD)  # another office: no such decision
    assert _state(core, did)[0] == "consultation"


def test_a_chief_cannot_confirm_a_request_they_made_as_owner(core: Juece, clock: Clock) -> None:
    did = _consulting(core)
    request = core.act(did, "withdraw", "owner", REASON).request
    assert request is not None
    with core.db.write() as conn:  # the requester is made a chief executive while the request waits
        conn.execute(U.update().where(U.c.name == "owner").values(roles=["owner", "chief_executive"]))
    with pytest.raises(RuleViolation) as info:
        approvals.confirm(core, did, request, "owner", password=PASSWORD)
    assert info.value.code == "approval_self_confirmation"


def test_a_declined_request_leaves_the_decision_as_it_was(core: Juece) -> None:
    did = _consulting(core)
    request = core.act(did, "withdraw", "owner", REASON).request
    assert request is not None
    with pytest.raises(WorkflowError):
        approvals.decline(core, did, request, "chief", "  ")  # a reason is required
    approvals.decline(core, did, request, "chief", "仍有必要推进")
    assert _state(core, did)[0] == "consultation"
    assert approvals.pending(core, did) == []
    with pytest.raises(NotFound):
        approvals.confirm(core, did, request, "chief", password=PASSWORD)
    assert any("不予批准" in s for s in _inbox(core, "owner"))
    _verified(core, did)


def test_the_chief_withdraws_directly_signed(core: Juece) -> None:
    did = _consulting(core)
    with pytest.raises(WorkflowError) as info:
        core.act(did, "withdraw", "chief", REASON)
    assert info.value.code == "signing_password_required"
    result = core.act(did, "withdraw", "chief", REASON, password=PASSWORD)
    assert result.state == "terminated" and result.request is None
    _verified(core, did)


def test_a_request_overtaken_by_the_chiefs_own_withdrawal_is_no_longer_pending(core: Juece) -> None:
    did = _consulting(core)
    core.act(did, "withdraw", "owner", REASON)
    core.act(did, "withdraw", "chief", REASON, password=PASSWORD)
    assert approvals.pending(core, did) == []


def test_withdrawals_recorded_with_a_typed_approver_still_replay_and_verify(
        core: Juece, clock: Clock, tmp_path: Path) -> None:
    # The form before approvals were acts: the same procedure version with a typed `approver` field.
    source = CN713_YAML.read_text(encoding="utf-8")
    old = source.replace('    approval: {by: [chief_executive], article: "Art. 30"}\n', "").replace(
        "      reason: {type: text, required: true, zh: 理由, en: Reason}\n",
        "      reason: {type: text, zh: 理由, en: Reason}\n"
        "      approver: {type: user, zh: 批准人（行政首长）, en: Approver (chief executive)}\n")
    assert old != source
    (tmp_path / "cn-713@2019-09-01.yaml").write_text(old, encoding="utf-8")
    paths = [p for p in builtin_paths() if p != CN713_YAML] + [tmp_path / "cn-713@2019-09-01.yaml"]
    then = Juece(core.db, Catalog.load(paths), b"test-secret", clock)
    did = _consulting(core)
    then.act(did, "withdraw", "owner", REASON | {"approver": "chief"})
    with core.db.read() as conn:
        assert Store(conn).lock_decision(did).facts["withdrawn"] == {"reason": "上级政策调整", "approver": "chief"}
    _verified(core, did)  # today's definition replays yesterday's event: replay runs no guards
