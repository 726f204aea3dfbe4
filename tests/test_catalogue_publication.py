"""The yearly catalogue of decision matters (Art. 3 para 3): publishing it meets the office's deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from tests.helpers import Clock, new_decision
from workflow.admin import offices as admin
from workflow.admin.catalogue_publication import publications, publish_catalogue
from workflow.engine.errors import Forbidden, InvalidInput, RuleViolation
from workflow.notices.alerts import scan
from workflow.persistence.store import DL, E
from workflow.record.audit import verify_all
from workflow.service import Juece

CONSENT = "古街党工委会议纪要〔2026〕3号"


def catalogue_rows(core: Juece) -> list[tuple[str, str | None, str]]:
    """The office's catalogue deadline rows: (kind, local due day or None while awaiting its calendar, status)."""
    with core.db.read() as conn:
        rows = conn.execute(select(DL).where(DL.c.key == "catalogue_publication").order_by(DL.c.id)).all()
    # Due at 24:00 Shanghai time of the last day = 16:00 UTC that day.
    return [(r.kind, (r.due_at - dt.timedelta(hours=16)).date().isoformat() if r.due_at else None, r.status)
            for r in rows]


def overdue_subjects(core: Juece) -> list[str]:
    with core.db.read() as conn:
        return list(conn.execute(text("SELECT subject FROM notification WHERE kind = 'overdue'")).scalars())


def initiate(core: Juece) -> int:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})  # starts the office's catalogue deadline
    return did


def test_art3_publishing_the_catalogue_meets_the_office_deadline(core: Juece, clock: Clock) -> None:
    clock.set("2026-03-02T09:00")
    initiate(core)
    assert catalogue_rows(core) == [("due", "2026-03-31", "open"), ("reminder", "2026-03-31", "open")]
    clock.set("2026-03-20T10:00")
    done = publish_catalogue(core, 2026, "secretary", "古街办〔2026〕5号", party_consent=CONSENT,
                             channels=["慈溪市人民政府网站", "古塘街道微信公众号"])
    assert (done.year, done.revision, done.by, done.published_on) == (2026, 1, "secretary", dt.date(2026, 3, 20))
    assert {status for _, _, status in catalogue_rows(core)} == {"closed"}
    initiate(core)  # a decision initiated later in the year does not reopen it
    assert {status for _, _, status in catalogue_rows(core)} == {"closed"}
    clock.set("2026-04-01T00:30")
    scan(core)
    assert overdue_subjects(core) == []
    # The act is an audited event in the hash-chained system stream: year, reference, channels, who.
    with core.db.read() as conn:
        event = conn.execute(select(E.c.event).where(E.c.stream == "system", E.c.action == "catalogue_published")
                             ).scalar_one()
        assert verify_all(conn, core.catalog).ok
    assert event["actor"] == {"name": "secretary"}
    assert {k: event["data"][k] for k in ("org", "year", "reference", "channels", "party_consent", "revision")} == {
        "org": "古塘街道", "year": 2026, "reference": "古街办〔2026〕5号",
        "channels": ["慈溪市人民政府网站", "古塘街道微信公众号"], "party_consent": CONSENT, "revision": 1}


def test_art3_catalogue_published_before_any_initiation_stays_met(core: Juece, clock: Clock) -> None:
    clock.set("2026-01-12T09:00")
    publish_catalogue(core, 2026, "chief", "http://www.cixi.gov.cn/art/2026/1/12/mulu.html", party_consent=CONSENT)
    clock.set("2026-02-02T09:00")
    initiate(core)
    assert catalogue_rows(core) == [("due", "2026-03-31", "closed"), ("reminder", "2026-03-31", "closed")]
    for moment in ("2026-03-17T09:30", "2026-04-01T00:30"):
        clock.set(moment)
        result = scan(core)
        assert (result.reminders, result.overdue) == (0, 0)


def test_art3_a_late_publication_ends_the_overdue_alert_and_leaves_next_years_deadline(
        core: Juece, clock: Clock) -> None:
    admin.update_org_settings(core, "古塘街道", {"supervisor": "chief"})
    admin.add_user(core, "admin_user", ["admin"], "古塘街道", unit="党政综合办")
    clock.set("2026-03-02T09:00")
    initiate(core)
    clock.set("2026-04-01T00:30")
    scan(core)
    assert overdue_subjects(core) == ["【逾期】古塘街道：年度决策事项目录公布已于2026-03-31 24:00届满"]
    clock.set("2026-04-02T10:00")
    initiate(core)  # after 31 March: opens next year's deadline
    publish_catalogue(core, 2026, "admin_user", "古街办〔2026〕9号", party_consent=CONSENT)
    # Next year's 31 March may roll past rest days of 2027, whose calendar is not yet published: it waits.
    assert catalogue_rows(core) == [("due", "2026-03-31", "closed"), ("reminder", "2026-03-31", "closed"),
                                    ("due", None, "awaiting")]
    clock.set("2026-04-10T10:00")
    assert scan(core).escalations == 0  # a met deadline escalates no more


def test_art3_publishing_again_records_an_adjustment(core: Juece, clock: Clock) -> None:
    clock.set("2026-03-02T09:00")
    publish_catalogue(core, 2026, "secretary", "古街办〔2026〕5号", party_consent=CONSENT)
    clock.set("2026-07-01T09:00")
    again = publish_catalogue(core, 2026, "secretary", "古街办〔2026〕21号", party_consent=CONSENT,
                              published_on=dt.date(2026, 6, 30))
    assert again.revision == 2
    with core.db.read() as conn:
        assert [p.reference for p in publications(conn, office_id(core), 2026)] == ["古街办〔2026〕5号",
                                                                                 "古街办〔2026〕21号"]


def office_id(core: Juece) -> int:
    with core.db.read() as conn:
        return int(conn.execute(text("SELECT id FROM org WHERE name = '古塘街道'")).scalar_one())


def test_art3_catalogue_needs_party_consent_a_reference_and_the_office_that_runs_it(
        core: Juece, clock: Clock) -> None:
    clock.set("2026-03-02T09:00")
    with pytest.raises(Forbidden):
        publish_catalogue(core, 2026, "owner", "古街办〔2026〕5号", party_consent=CONSENT)
    with pytest.raises(RuleViolation) as info:
        publish_catalogue(core, 2026, "secretary", "古街办〔2026〕5号", party_consent=" ")
    assert (info.value.code, info.value.article) == ("catalogue_party_consent_required", "Art. 3")
    with pytest.raises(RuleViolation) as info:
        publish_catalogue(core, 2026, "secretary", "", party_consent=CONSENT)
    assert info.value.code == "catalogue_reference_required"
    with pytest.raises(InvalidInput) as bad:
        publish_catalogue(core, 2026, "secretary", "古街办〔2026〕5号", party_consent=CONSENT,
                          published_on=dt.date(2026, 3, 3))
    assert bad.value.details["field"] == "published_on"  # not in the future (rule 14)
    with pytest.raises(InvalidInput) as bad:
        publish_catalogue(core, 2031, "secretary", "古街办〔2026〕5号", party_consent=CONSENT)
    assert bad.value.details["field"] == "year"
    with pytest.raises(InvalidInput) as bad:
        publish_catalogue(core, 2026, "secretary", "古街\x00办", party_consent=CONSENT)
    assert bad.value.details["field"] == "reference"
    with core.db.read() as conn:
        assert conn.execute(select(E.c.id).where(E.c.action == "catalogue_published")).first() is None
