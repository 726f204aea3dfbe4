"""The pages refuse control characters like the API, in Chinese, and stop a body over the limit with 413."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.helpers import new_decision
from tests.web.conftest import People, post_action, token
from workflow.service import Juece

CONTROL = ["甲\r\n乙", "甲\t乙", "报告\u202excod.exe", "甲\u2028乙", "甲\x07乙"]


@pytest.mark.parametrize("bad", CONTROL)
def test_a_title_or_a_name_with_control_characters_is_refused_in_chinese(people: People, bad: str) -> None:
    owner = people.client("owner")
    page = owner.get("/decisions/new").get_data(as_text=True)
    refused = owner.post("/decisions/new", data={"csrf_token": token(page), "title": bad, "procedure": "cn-713"})
    assert refused.status_code == 400 and "含有不允许的控制字符" in refused.get_data(as_text=True)
    admin = people.client("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    for field, value in (("add-name", bad), ("add-unit", bad)):
        data = {"which": "add", "add-csrf_token": token(page), "add-name": "新人", "add-unit": "城建办",
                "add-roles": ["owner"]} | {field: value}
        refused = admin.post("/admin/users", data=data)
        assert refused.status_code == 400 and "控制字符" in refused.get_data(as_text=True)


def test_a_step_form_refuses_control_characters_in_a_one_line_field(core: Juece, people: People) -> None:
    did = new_decision(core)
    refused = post_action(people.client("owner"), did, "initiate", {"owner_unit": "城建\r\n办"})
    assert refused.status_code == 400 and "控制字符" in refused.get_data(as_text=True)


def _multipart(fields: dict[str, str], name: str, size: int) -> tuple[bytes, str]:
    """A form with a file of ``size`` bytes, encoded here (the test client would spool it to a file it never closes)."""
    b = "juece-test-boundary"
    head = "".join(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items())
    head += (f'--{b}\r\nContent-Disposition: form-data; name="{name}"; filename="draft.docx"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n")
    return head.encode() + b"x" * size + f"\r\n--{b}--\r\n".encode(), f"multipart/form-data; boundary={b}"


@pytest.mark.parametrize("size", [20 * 1024 * 1024 + 1, 25 * 1024 * 1024 + 1],
                         ids=["over-the-document-limit", "over-the-body-limit"])
def test_an_upload_over_the_limit_is_413_on_the_page(core: Juece, people: People, app: Flask, size: int) -> None:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    owner = people.client("owner")
    page = owner.get(f"/decisions/{did}").get_data(as_text=True)
    version = re.search(r'name="upload_draft-expected_version" type="hidden" value="(\d+)"', page)
    assert version is not None
    body, kind = _multipart({"upload_draft-csrf_token": token(page), "upload_draft-expected_version": version.group(1)},
                            "upload_draft-content", size)
    refused = owner.post(f"/decisions/{did}/act/upload_draft", data=body, content_type=kind)
    assert refused.status_code == 413 and "文件过大" in refused.get_data(as_text=True)
    assert app.config["MAX_CONTENT_LENGTH"] == 25 * 1024 * 1024
