"""The office settings page: each pack's declared settings in a section of their own, with labels, ranges and
articles; a change saved, an unlawful value refused citing its article."""

from __future__ import annotations

from sqlalchemy import select

from tests.web.conftest import People, token
from workflow.persistence.store import ORG
from workflow.service import Juece

ENGINE = {"collective_body": "主任办公会议", "legality_review_unit": "司法所", "legality_review_days": "10",
          "contract_review_days": "5", "stall_days": "20", "expert_opinions_min": "1", "escalation_working_days": "2",
          "supervisor": "chief"}


def stored(core: Juece) -> dict[str, object]:
    with core.db.read() as conn:
        return dict(conn.execute(select(ORG.c.settings).where(ORG.c.name == "古塘街道")).scalar_one())


def test_the_page_shows_each_packs_settings_in_its_section_with_range_and_article(people: People) -> None:
    page = people.client("admin").get("/admin/office").get_data(as_text=True)
    assert "<legend>重大行政执法决定法制审核</legend>" in page and "<legend>行政规范性文件制定和管理</legend>" in page
    assert "法制审核期限（自受理之日起）" in page and 'name="er_review_days"' in page and 'value="7"' in page
    assert "范围 3–20工作日；依据：国办发〔2018〕118号" in page
    english = people.client("admin")
    english.get("/lang/en")
    page = english.get("/admin/office").get_data(as_text=True)
    assert "Review limit (from acceptance)" in page and "Range 3–20 working days; basis: 国办发〔2018〕118号" in page


def test_an_admin_changes_a_pack_setting_and_an_unlawful_value_is_refused_with_its_article(
        core: Juece, people: People) -> None:
    client = people.client("admin")
    page = client.get("/admin/office").get_data(as_text=True)
    saved = client.post("/admin/office", data=ENGINE | {"csrf_token": token(page), "er_review_days": "10"})
    assert saved.status_code == 303 and stored(core)["er_review_days"] == 10
    assert "nd_review_days" not in stored(core)  # a setting left as it was is not written
    page = client.get("/admin/office").get_data(as_text=True)
    assert 'value="10"' in page
    refused = client.post("/admin/office", data=ENGINE | {"csrf_token": token(page), "nd_review_days": "16"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "应在 5–15工作日 之间（国办发〔2018〕115号（最长不超过15个工作日））" in body
    assert "nd_review_days" not in stored(core)
