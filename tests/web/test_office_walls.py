"""Offices are walls on the web pages: 外街道 (office B) reaches nothing of 古塘街道 (office A)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from flask import Flask

from tests.helpers import new_decision
from tests.web.conftest import People, post_action, token
from workflow.admin import offices as admin
from workflow.persistence.store import ORG, Store
from workflow.service import Juece

SECRET = "古塘街道 机密草案：补偿标准每平方米 12800 元"
SHA = hashlib.sha256(SECRET.encode()).hexdigest()


@pytest.fixture()
def b_admin(core: Juece, app: Flask) -> str:
    """Office B's administrator."""
    admin.add_user(core, "admin2", ["admin"], "外街道", unit="党政办")
    return "admin2"


def _org(core: Juece, name: str) -> int:
    with core.db.read() as conn:
        return int(conn.execute(ORG.select().with_only_columns(ORG.c.id).where(ORG.c.name == name)).scalar_one())


def test_another_offices_document_does_not_download(core: Juece, people: People) -> None:
    a_did = new_decision(core)
    core.act(a_did, "initiate", "owner", {"owner_unit": "城建办", "flags": []})
    core.act(a_did, "upload_draft", "owner", {"content": SECRET, "filename": "草案.txt"})
    b_did = core.create_decision("cn-713", "外街道 旧改", "outsider", [])
    outsider = people.client("outsider")
    for path in (f"/decisions/{a_did}/documents/{SHA}", f"/decisions/{b_did}/documents/{SHA}"):
        response = outsider.get(path)
        assert response.status_code == 404 and SECRET not in response.get_data(as_text=True)
    assert people.client("owner").get(f"/decisions/{a_did}/documents/{SHA}").get_data(as_text=True) == SECRET


def test_a_person_field_offers_and_accepts_only_the_offices_people(core: Juece, people: People) -> None:
    b_did = core.create_decision("cn-713", "外街道 旧改", "outsider", [])
    outsider = people.client("outsider")
    page = outsider.get(f"/decisions/{b_did}").get_data(as_text=True)
    assert 'value="chief"' not in page and "街道办事处" not in page
    refused = post_action(outsider, b_did, "withdraw", {"reason": "政策调整", "approver": "chief"})
    assert refused.status_code in (400, 403)  # the signing password is asked first (403), else the name (400)
    assert 'value="chief"' not in refused.get_data(as_text=True)
    with core.db.read() as conn:
        assert Store(conn).lock_decision(b_did).state == "proposed"


def test_an_offices_calendar_day_moves_only_that_office(core: Juece, people: People, b_admin: str) -> None:
    client = people.client(b_admin)
    page = client.get("/admin/calendar").get_data(as_text=True)
    day = dt.date(2026, 3, 4)  # a Wednesday
    saved = client.post("/admin/calendar", data={"csrf_token": token(page), "day": day.isoformat(),
                                                 "name": "外街道停工"})
    assert saved.status_code == 303
    assert "外街道停工" in client.get("/admin/calendar").get_data(as_text=True)
    a_page = people.client("admin").get("/admin/calendar").get_data(as_text=True)
    assert "外街道停工" not in a_page and "admin2" not in a_page
    with core.db.read() as conn:
        st = Store(conn)
        seq = st.system_seq()
        assert core.calendar_for(st, seq, _org(core, "外街道")).is_workday(day) is False
        assert core.calendar_for(st, seq, _org(core, "古塘街道")).is_workday(day) is True


def test_a_national_notice_is_not_an_offices_to_import(people: People, b_admin: str) -> None:
    client = people.client(b_admin)
    page = client.get("/admin/calendar").get_data(as_text=True)
    refused = client.post("/admin/calendar", data={"which": "import", "csrf_token": token(page)})
    assert refused.status_code == 403 and "juece calendar import" in refused.get_data(as_text=True)


def test_the_user_pages_show_only_the_offices_people(people: People, b_admin: str) -> None:
    page = people.client(b_admin).get("/admin/users").get_data(as_text=True)
    assert "outsider" in page and ">chief<" not in page and "value=\"chief\"" not in page and "古塘街道" not in page
