"""The text rules every edge shares: one-line fields refuse control characters; file names are made safe."""

from __future__ import annotations

import pytest

from tests.helpers import new_decision
from workflow.engine.textrules import ControlCharacters, multi_line, one_line, safe_filename
from workflow.service import Juece
from workflow.views.queries import show_decision


@pytest.mark.parametrize("char", ["\r", "\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029",
                                  "\u202a", "\u202e", "\u2066", "\u2069"])
def test_a_one_line_field_refuses_every_control_character_naming_it(char: str) -> None:
    with pytest.raises(ControlCharacters) as refused:
        one_line("title", f"甲{char}乙")
    assert refused.value.code == "control_characters" and refused.value.details == {
        "field": "title", "character": f"U+{ord(char):04X}"}


def test_multi_line_text_keeps_line_breaks_and_tabs_but_not_other_controls() -> None:
    assert multi_line("opinion", " 第一条\r\n\t第二条\u2028 ") == "第一条\r\n\t第二条"
    for char in ("\x00", "\x1b", "\x85", "\u202e"):
        with pytest.raises(ControlCharacters):
            multi_line("opinion", f"甲{char}乙")


@pytest.mark.parametrize(("typed", "safe"), [
    ("草案.docx", "草案.docx"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\王\\草案.docx", "草案.docx"),
    ('草案:第"2"稿?.docx', "草案_第_2_稿_.docx"),
    ("..", ""),
    (".hidden", "hidden"),
    ("", ""),
])
def test_a_file_name_becomes_a_safe_base_name(typed: str, safe: str) -> None:
    assert safe_filename(typed) == safe


def test_a_list_typed_in_a_textarea_arrives_with_crlf_and_is_split_not_refused(core: Juece) -> None:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    core.act(did, "upload_draft", "owner", {"content": "草案"})
    core.act(did, "start_consultation", "owner", {"legal_bases": "《城乡规划法》\r\n《浙江省未来社区建设试点工作方案》\r\n"})
    with core.db.read() as conn:
        facts = show_decision(conn, core.catalog, did, core.clock())["facts"]
    assert facts["legal_bases"] == ["《城乡规划法》", "《浙江省未来社区建设试点工作方案》"]
