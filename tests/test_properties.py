"""Stateful property test: random people take random actions at random times on a few cn-713
decisions, through the real service on a real SQLite database; the hard invariants hold after
every step.

Invariants checked:

1. No collective discussion without a valid opinion on the current draft (rule 7, Art. 25): an
   accepted ``record_meeting`` / ``record_decision`` found a lawful or exploratory-reform opinion
   bound to the current draft in the facts before it; a decision enters ``collective_discussion``
   only through such an opinion; a decision at or past that stage always holds one.
2. No public comment outside the window (rule 2, Art. 15): an accepted ``submit_comment`` /
   ``edit_comment`` happened at ``opens_at <= now < closes_at`` of the window stored before it.
3. The audit chain verifies (``verify_all``).
4. The stored state and facts equal the replay of the decision's audit events.

Plus a model of our own: a decision's version is 1 + the number of actions accepted on it, and
its state is the one the last accepted action reported. Refusals (``WorkflowError``) are expected;
any other exception (a crash on odd input, say) fails the test.

Rules: any action id by anyone with mostly plausible input; an action possible in the state; the
right person with one field malformed; public comments, replies and edits at any time; time moving
on by hours or days (never past 2026-11-30, the end of the calendar data used); new decisions (one
office's or the other's); the happy-path helpers of tests.helpers from ``proposed``; and a "nudge"
that takes one canonical step from wherever a decision is (with varied outcomes: needs changes,
deferral, rejection, suspension, major change ...). Each example runs on its own SQLite file.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any, cast

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from tests import helpers
from tests.conftest import make_core
from tests.helpers import CST, MEETING, PASSWORD, PEOPLE, Clock, local_iso
from workflow.engine.catalog import default_catalog
from workflow.engine.context import parse_iso
from workflow.engine.decide import replay
from workflow.engine.definition import FieldDef
from workflow.engine.errors import WorkflowError
from workflow.packs.cn_713_2019_09_01.records import has_lawful_opinion, input_refs
from workflow.persistence.db import Database
from workflow.persistence.store import D, E
from workflow.record.audit import verify_all
from workflow.service import ActResult, Juece

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)
#: The working-day calendar has data for 2026; no action (and no deadline it opens) may leave it.
END = dt.datetime(2026, 11, 30, 0, 0, tzinfo=CST)
#: How far the happy-path helpers move the clock (a 32-day comment window and a little more).
DRIVE_SPAN = dt.timedelta(days=36)
MAX_DECISIONS = 5

NAMES = [p[0] for p in PEOPLE]
ROLES = {p[0]: set(p[1]) for p in PEOPLE}
#: States a decision can only reach through a lawful (or exploratory-reform) opinion on its draft.
AFTER_OPINION = {"collective_discussion", "party_report", "publication", "implementation", "evaluation",
                 "suspended", "closed", "rejected"}
MEMBERS = ["member1", "secretary", "chief", "expert1"]
UNITS = ["城建办", "风险评估中心", "第三方评估机构", "司法所", "界牌村"]
LIST_ITEMS = ["政府网站", "《城乡规划法》", "张三", "李四", "公告栏"]
TEXTS = ["理由说明", "草案第一稿", "草案第二稿", "经审查合法", "风险可控", "古街党〔2026〕12号", "政府网站"]

PROCEDURE = default_catalog().current("cn-713", START.date())
ACTION_IDS = list(PROCEDURE.actions)  # definition order: the main line first
FLAG_IDS = sorted(PROCEDURE.flags)
TASK_IDS = sorted(PROCEDURE.tasks)


# -- data generators ---------------------------------------------------------------------------------
def _texts() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(TEXTS + UNITS), st.text(max_size=12))


def _moment(now: dt.datetime) -> st.SearchStrategy[str]:
    """now ± up to 45 days, in the forms a form or API would send."""
    def build(days: int, hours: int, naive_form: bool) -> str:
        moment = (now + dt.timedelta(days=days, hours=hours)).astimezone(CST)
        return moment.replace(tzinfo=None).isoformat() if naive_form else moment.isoformat()

    return st.builds(build, st.integers(-45, 45), st.integers(-23, 23), st.booleans())


def _valid(spec: FieldDef, now: dt.datetime, facts: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A plausible value for one field."""
    name, kind = spec.name, spec.type
    if name == "attendees":
        return st.lists(st.sampled_from(MEMBERS), min_size=1, max_size=4, unique=True)
    if name in ("owner_unit", "assessor_unit", "evaluation_unit", "lead_unit"):
        return st.sampled_from(UNITS)
    if name in ("comment_id", "reply_to"):
        return st.integers(1, len(facts.get("comments", [])) + 1)
    if name == "task":
        return st.sampled_from(TASK_IDS)
    if kind == "text":
        return _texts()
    if kind == "document":
        return st.one_of(st.sampled_from(TEXTS), st.text(min_size=1, max_size=20))
    if kind == "datetime":
        return _moment(now)
    if kind == "date":
        return st.builds(lambda d: (now.astimezone(CST).date() + dt.timedelta(days=d)).isoformat(),
                         st.integers(-20, 45))
    if kind == "list":
        return st.lists(st.sampled_from(LIST_ITEMS), min_size=1, max_size=3)
    if kind == "flags":
        return st.lists(st.sampled_from(FLAG_IDS), max_size=3, unique=True)
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        return st.integers(1, 4)
    if kind == "choice":
        return st.sampled_from(list(spec.options))
    if kind == "user":
        return st.sampled_from(["chief", "owner", "outsider"])
    if kind == "entries":
        refs = input_refs(facts)
        complete = st.fixed_dictionaries({r: st.fixed_dictionaries(
            {"adoption": st.sampled_from(["adopted", "partly_adopted", "not_adopted"]),
             "reason": st.sampled_from(["", "与上位法不符"])}) for r in refs})
        some_refs = st.sampled_from(["comment:1", "comment:2", "comment:3", "expert:1", "expert:2"])
        adoption = st.fixed_dictionaries({"adoption": st.sampled_from(["adopted", "not_adopted"])})
        partial = st.dictionaries(some_refs, adoption, max_size=4)
        return st.one_of(complete, partial)
    if kind == "views":
        return st.lists(st.fixed_dictionaries({"member": st.sampled_from(MEMBERS),
                                               "view": st.sampled_from(["for", "against", "abstain"])}),
                        min_size=1, max_size=4)
    return st.none()


def _invalid(spec: FieldDef) -> st.SearchStrategy[Any]:
    """A value of the wrong shape for one field."""
    kind = spec.type
    if kind == "datetime":  # the last three are valid ISO 8601 at the edges of the datetime range
        return st.sampled_from(["not-a-date", "2026-13-45T09:00", 12, "0001-01-01T00:00:00",
                                "0500-06-01T12:00:00+08:00", "9999-12-31T23:59:59-12:00"])
    if kind == "date":
        return st.sampled_from(["not-a-date", "2026-13-45", 12, "0001-01-01", "9999-12-31"])
    if kind == "document":
        return st.sampled_from(["0" * 64, {"sha256": "f" * 64}, 3.5])
    if kind == "choice":
        return st.sampled_from(["maybe", "LAWFUL", ""])
    if kind == "int":  # "²" is a digit to str.isdigit, not to int()
        return st.sampled_from(["x", -1, True, "²"])
    if kind == "bool":
        return st.sampled_from(["maybe", 2])
    if kind == "flags":
        return st.just(["no_such_flag"])
    if kind == "user":
        return st.just("nobody")
    if kind == "entries":
        return st.sampled_from([{"comment:1": {"adoption": "perhaps"}}, ["x"], 5, 2.5, True])
    if kind == "views":
        return st.sampled_from(["chief", [{"member": "", "view": "for"}],
                                [{"member": "chief", "view": "yes"}]])
    return st.sampled_from(["", "   ", 3.5, None])


def draw_data(draw: Callable[[st.SearchStrategy[Any]], Any], action_id: str, now: dt.datetime,
              facts: Mapping[str, Any], broken: str | None = None) -> dict[str, Any]:
    """Input for ``action_id``: mostly plausible values, sometimes missing or malformed ones.

    With ``broken``, every field gets a plausible value except that one, which is malformed.
    """
    action = PROCEDURE.actions.get(action_id)
    if action is None:
        return {}
    data: dict[str, Any] = {}
    for spec in action.fields.values():
        mode = 9 if spec.name == broken else 0 if broken else draw(st.integers(0, 9))
        if mode == 8:  # 8: left out, 9: malformed, else a plausible value
            continue
        data[spec.name] = draw(_invalid(spec) if mode == 9 else _valid(spec, now, facts))
    if broken is None and draw(st.integers(0, 19)) == 19:
        data["bogus"] = "?"
    return data


# -- the machine --------------------------------------------------------------------------------------
Draw = Callable[[st.SearchStrategy[Any]], Any]
Step = tuple[str, str, dict[str, Any]]


class DecisionMachine(RuleBasedStateMachine):
    """A few decisions in one office (and maybe one in another), random actions, invariants after each."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory(prefix="juece-prop-")
        self.database = Database(f"sqlite:///{self.tmp.name}/j.db")
        self.clock = Clock(START)
        self.core: Juece = make_core(self.database, self.clock)
        self.accepted: dict[int, int] = {}  # decision id -> actions accepted on it
        self.states: dict[int, str] = {}  # decision id -> state the last accepted action reported
        self.foreign: set[int] = set()  # decisions of the other office

    def teardown(self) -> None:
        self.database.dispose()
        self.tmp.cleanup()

    # -- the checked entry point ----------------------------------------------------------------
    def _row(self, did: int) -> Any:
        with self.core.db.read() as conn:
            return conn.execute(select(D).where(D.c.id == did)).one()

    def act(self, did: int, action: str, person: str, data: Mapping[str, Any] | None = None,
            password: str | None = PASSWORD) -> ActResult:
        """``core.act`` with invariants 1 and 2 checked when it is accepted; refusals propagate.

        Everyone signs with their own (test) password, which unsigned actions ignore.
        """
        before = self._row(did)
        facts = dict(before.facts)
        now = self.clock.now
        result = self.core.act(did, action, person, dict(data or {}), password=password)
        self.accepted[did] += 1
        self.states[did] = result.state
        if result.linked_decision is not None:
            self.accepted[result.linked_decision] = 0
            self.states[result.linked_decision] = PROCEDURE.initial
        assert (result.from_state, result.version) == (before.state, before.version + 1)

        # Invariant 1: the meeting and the decision stand on a valid opinion on the current draft.
        if action in ("record_meeting", "record_decision"):
            assert has_lawful_opinion(facts), f"{action} accepted without a valid opinion: {facts}"
        if result.state == "collective_discussion" and before.state != "collective_discussion":
            after = self._row(did).facts
            assert action == "sign_legality_opinion", f"entered collective discussion by {action}"
            assert has_lawful_opinion(after), f"entered collective discussion without an opinion: {after}"
        # Invariant 2: comment writes only inside the window stored before the write.
        if action in ("submit_comment", "edit_comment"):
            window = facts.get("comment_window")
            assert window, f"{action} accepted without a comment window"
            assert parse_iso(window["opens_at"]) <= now < parse_iso(window["closes_at"]), (
                f"{action} accepted at {now} outside {window}")
        # Rule 9: published or withheld only after the Party report.
        if action in ("publish", "withhold"):
            assert facts.get("party_report"), f"{action} accepted before the Party report"
        return result

    def try_act(self, did: int, action: str, person: str, data: Mapping[str, Any] | None = None) -> bool:
        """``act``, with a refusal (any ``WorkflowError``) reported as False."""
        try:
            self.act(did, action, person, data)
        except WorkflowError:
            return False
        return True

    def _pick(self, data: st.DataObject) -> int:
        """A decision; more often one of this office's that is still under way."""
        live = sorted(d for d, s in self.states.items() if not PROCEDURE.terminal(s) and d not in self.foreign)
        every = st.sampled_from(sorted(self.accepted))
        return int(data.draw(st.one_of(st.sampled_from(live), every) if live else every, label="decision"))

    # -- rules --------------------------------------------------------------------------------------
    def _create(self, owner: str, flags: list[str]) -> None:
        try:
            did = self.core.create_decision("cn-713", "界牌新潮塘未来社区建设", owner, flags)
        except WorkflowError:
            return
        if owner == "outsider":
            self.foreign.add(did)
        self.accepted[did] = 0
        self.states[did] = PROCEDURE.initial

    @initialize()
    def two_decisions(self) -> None:
        self._create("owner", [])
        self._create("owner", ["technical", "affects_specific_group"])

    @precondition(lambda self: len(self.accepted) < MAX_DECISIONS)
    @rule(owner=st.sampled_from(["owner", "owner2", "outsider", "citizen1"]),
          flags=st.one_of(st.lists(st.sampled_from(FLAG_IDS), max_size=3, unique=True), st.just(["bogus"])))
    def create(self, owner: str, flags: list[str]) -> None:
        self._create(owner, flags)

    def _random(self, data: st.DataObject, did: int, actions: list[str]) -> None:
        action = data.draw(st.sampled_from(actions), label="action")
        spec = PROCEDURE.actions.get(action)
        roles = set(spec.roles) if spec else set()
        fitting = [n for n in NAMES if ROLES[n] & roles] or NAMES
        person = data.draw(st.one_of(st.sampled_from(fitting), st.sampled_from(NAMES)), label="person")
        payload = draw_data(data.draw, action, self.clock.now, self._row(did).facts)
        self.try_act(did, action, person, payload)

    @rule(data=st.data())
    def any_action(self, data: st.DataObject) -> None:
        """Any action of the procedure (and one that does not exist), whatever the state."""
        self._random(data, self._pick(data), [*ACTION_IDS, "no_such_action"])

    @rule(data=st.data())
    def action_from_state(self, data: st.DataObject) -> None:
        """An action that leaves or stays in the decision's state, by anyone, with random input."""
        did = self._pick(data)
        allowed = [a.id for a in PROCEDURE.actions_from(self.states[did])] or ACTION_IDS
        self._random(data, did, allowed)

    @rule(data=st.data())
    def malformed_input(self, data: st.DataObject) -> None:
        """The right person takes an action possible in the state, with one field malformed."""
        did = self._pick(data)
        allowed = [a.id for a in PROCEDURE.actions_from(self.states[did]) if a.fields]
        if not allowed:
            return
        action = PROCEDURE.actions[data.draw(st.sampled_from(allowed), label="action")]
        fitting = [n for n in NAMES if ROLES[n] & set(action.roles)] or NAMES
        person = "owner" if "owner" in action.roles else data.draw(st.sampled_from(fitting), label="person")
        fields = list(action.fields)
        typed = [f.name for f in action.fields.values() if f.type not in ("text", "list")] or fields
        broken = data.draw(st.one_of(st.sampled_from(typed), st.sampled_from(fields)), label="broken field")
        payload = draw_data(data.draw, action.id, self.clock.now, self._row(did).facts, broken)
        self.try_act(did, action.id, person, payload)

    @rule(data=st.data(), edit=st.booleans())
    def comment(self, data: st.DataObject, edit: bool) -> None:
        """A member of the public (or someone else) comments, replies or edits, whenever it is."""
        did = self._pick(data)
        person = data.draw(st.sampled_from(["citizen1", "citizen2", "owner", "outsider"]), label="person")
        facts = self._row(did).facts
        count = len(facts.get("comments", []))
        text = data.draw(_texts(), label="text")
        if edit:
            payload = {"comment_id": data.draw(st.integers(1, count + 1), label="comment_id"), "text": text}
        else:
            reply = data.draw(st.one_of(st.none(), st.integers(1, count + 1)), label="reply_to")
            payload = {"text": text} | ({"reply_to": reply} if reply else {})
        self.try_act(did, "edit_comment" if edit else "submit_comment", person, payload)

    @rule(hours=st.integers(1, 72), days=st.integers(0, 40))
    def advance_clock(self, hours: int, days: int) -> None:
        target = self.clock.now + dt.timedelta(days=days, hours=hours)
        if target <= END:  # near the end of the calendar's data, time stands still
            self.clock.now = target

    @precondition(lambda self: self.clock.now + DRIVE_SPAN <= END and "proposed" in self.states.values())
    @rule(data=st.data(),
          step=st.sampled_from(["to_consultation", "to_consultation", "to_legality_review",
                                "to_collective_discussion", "to_publication", "to_implementation"]),
          flags=st.sampled_from([[], ["technical"], ["affects_specific_group"],
                                 ["technical", "wide_concern"]]))
    def drive(self, data: st.DataObject, step: str, flags: list[str]) -> None:
        """The canonical happy path of tests.helpers from ``proposed``; refused when elsewhere."""
        proposed = sorted(d for d, s in self.states.items() if s == "proposed")
        did = data.draw(st.sampled_from(proposed), label="decision")
        proxy = cast(Juece, _Proxy(self))
        helper = getattr(helpers, step)
        try:
            if step == "to_consultation":
                helper(proxy, did, flags)
            else:
                helper(proxy, self.clock, did, flags)
        except WorkflowError:
            pass

    @rule(data=st.data())
    def nudge(self, data: st.DataObject) -> None:
        """One canonical step forward from wherever the decision is: the first candidate accepted."""
        did = self._pick(data)
        for action, person, payload in self._candidates(data.draw, did):
            if action == "wait_for_window":  # to the closing instant, just before or just after it
                offset = data.draw(st.sampled_from([0, 3_600_000_000, -1]), label="offset µs")
                closes = parse_iso(payload["closes_at"]) + dt.timedelta(microseconds=offset)
                if self.clock.now <= closes <= END:
                    self.clock.now = closes
                return
            if self.try_act(did, action, person, payload):
                return

    def _candidates(self, draw: Draw, did: int) -> list[Step]:
        state, facts, now = self.states[did], self._row(did).facts, self.clock.now
        flags = set(facts.get("flags", []))
        if state == "proposed":
            return [("initiate", "owner", {"owner_unit": "城建办", "flags": sorted(flags)})]
        if state == "drafting":
            version = (facts.get("draft") or {}).get("version", 0) + 1
            return [("start_consultation", "owner", {"legal_bases": ["《城乡规划法》"]}),
                    ("upload_draft", "owner", {"content": f"草案第{version}稿"})]
        if state == "consultation":
            return self._consultation_steps(facts, flags, now)
        if state == "legality_review":
            outcome = draw(st.sampled_from(
                ["lawful", "lawful", "exploratory_reform", "needs_changes", "unlawful"]))
            sign = {"outcome": outcome, "opinion": "审查意见", "risk_note": "存在法律风险"}
            steps: list[Step] = [("sign_legality_opinion", "reviewer", sign),
                                 ("submit_adviser_opinion", "adviser", {"opinion": "合法"})]
            if draw(st.integers(0, 5)) == 0:  # now and then the reviewer sends the materials back
                steps.insert(0, ("return_materials", "reviewer", {"reason": "材料不全"}))
            return steps
        if state == "collective_discussion":
            outcome = draw(st.sampled_from(
                ["adopted", "adopted", "adopted_with_changes", "deferred", "rejected"]))
            return [("record_decision", "chief", {"outcome": outcome, "reason": "理由", "changes": "修改"}),
                    ("record_meeting", "secretary", MEETING)]
        if state == "party_report":
            return [("record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})]
        if state == "publication":
            if draw(st.integers(0, 3)) == 0:
                return [("withhold", "publisher", {"legal_basis": "《政府信息公开条例》第十四条"})]
            return [("publish", "publisher", {
                "channels": ["政府网站"], "published_on": now.astimezone(CST).date().isoformat(),
                "adoption_explanation": "已采纳"})]
        if state == "implementation":
            options: list[Step] = [
                ("report_progress", "executor", {"report": "执行情况", "public": True}),
                ("start_evaluation", "owner", {"evaluation_unit": "第三方评估机构"}),
                ("suspend", "chief", {"reason": "情况变化", "urgency": "紧急"}),
                ("close", "owner", {"note": "执行完毕"}),
            ]
            return [options[draw(st.integers(0, len(options) - 1))], options[0]]
        if state == "evaluation":
            outcome = draw(st.sampled_from(["continue", "major_change", "terminate"]))
            return [("record_evaluation", "evaluator", {"outcome": outcome, "report": "评估报告"})]
        if state == "suspended":
            return [(draw(st.sampled_from(["resume", "terminate"])), "chief", {"reason": "情况变化"})]
        return []

    @staticmethod
    def _consultation_steps(facts: Mapping[str, Any], flags: set[str], now: dt.datetime) -> list[Step]:
        steps: list[Step] = [("submit_legality_review", "owner", {})]
        window = facts.get("comment_window")
        if window is None and "confidential" not in flags:
            closes = now + dt.timedelta(days=32)
            short = closes > END
            closes = now + dt.timedelta(days=3) if short else closes
            steps.append(("open_public_comment", "owner", {
                "opens_at": local_iso(now), "closes_at": local_iso(closes),
                "short_reason": "情况紧急" if short else ""}))
        elif window is not None and now < parse_iso(window["closes_at"]):
            if not facts.get("comments"):
                steps.append(("submit_comment", "citizen1", {"text": "意见"}))
            steps.append(("wait_for_window", "", dict(window)))
        if "confidential" in flags:
            steps.append(("record_participation", "owner", {"method": "symposium", "summary": "座谈会"}))
        if "technical" in flags and not facts.get("expert_opinions"):
            steps.append(("submit_expert_opinion", "expert1", {"opinion": "可行"}))
        for flag, action in (("affects_specific_group", "record_group_consultation"),
                             ("market_activity", "record_fair_competition_review")):
            if flag in flags and action.removeprefix("record_") not in (facts.get("records") or {}):
                steps.append((action, "owner", {"record": "记录"}))
        if "involves_other_units" in flags and "interagency_consultation" not in (facts.get("records") or {}):
            steps.append(("record_interagency_consultation", "owner",
                          {"agreement": True, "record": "协商一致"}))
        if "stability_risk" in flags and not (facts.get("risk") or {}).get("controllable"):
            steps.append(("record_risk_assessment", "owner", {"controllable": "true", "report": "风险可控",
                                                              "assessor_unit": "风险评估中心"}))
        refs = input_refs(facts)
        if refs:
            entries = {r: {"adoption": "adopted"} for r in refs}
            steps.append(("record_adoption_report", "owner", {"entries": entries}))
        return steps

    # -- invariants ---------------------------------------------------------------------------------
    @invariant()
    def audit_chain_verifies(self) -> None:
        with self.core.db.read() as conn:
            report = verify_all(conn, self.core.catalog)
        assert report.ok, [str(p) for p in report.problems]

    @invariant()
    def state_is_the_replay_of_events(self) -> None:
        with self.core.db.read() as conn:
            rows = list(conn.execute(select(D).order_by(D.c.id)))
            assert sorted(r.id for r in rows) == sorted(self.accepted)
            for row in rows:
                stream = f"decision:{row.id}"
                events = [dict(r.event) | {"to": r.to_state} for r in conn.execute(
                    select(E.c.event, E.c.to_state).where(E.c.stream == stream).order_by(E.c.seq))]
                definition = self.core.catalog.get(f"{row.procedure_id}@{row.procedure_version}")
                state, facts = replay(definition, events)
                assert (state, facts) == (row.state, row.facts), f"#{row.id}: the replay differs from the row"
                # The model: one version per accepted action, the state the last one reported.
                assert row.version == len(events) == 1 + self.accepted[row.id], (row.id, row.version)
                assert row.state == self.states[row.id], (row.id, row.state, self.states[row.id])
                # Invariant 1 as a standing property: past the opinion, the opinion still covers the draft.
                if row.state in AFTER_OPINION:
                    assert has_lawful_opinion(row.facts), f"#{row.id} in {row.state} without an opinion"

    @invariant()
    def clock_in_calendar_range(self) -> None:
        assert START <= self.clock.now <= END


class _Proxy:
    """Stands in for the core in the happy-path helpers, so that their actions are checked and counted."""

    def __init__(self, machine: DecisionMachine) -> None:
        self.machine = machine

    def act(self, did: int, action: str, person: str, data: Mapping[str, Any] | None = None,
            password: str | None = PASSWORD) -> ActResult:
        return self.machine.act(did, action, person, data, password)


#: Shrinking a failure of this machine takes minutes (a fresh database per attempt); by default a failure
#: is reported as found, with every step and draw printed. JUECE_SHRINK=1 turns shrinking on.
PHASES = tuple(Phase) if os.environ.get("JUECE_SHRINK") else tuple(p for p in Phase if p is not Phase.shrink)
DecisionMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    report_multiple_bugs=False, phases=PHASES)
TestDecisionMachine = DecisionMachine.TestCase
