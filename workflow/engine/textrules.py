"""What a piece of typed text may hold: one-line fields (titles, names, units, file names) and multi-line text.

Control characters in a one-line field forge lines where lines matter: a CR/LF in a name becomes a
second header line in an e-mail or a second row in a log; a bidi override (U+202E) makes
``报告‮xcod.exe`` read as ``报告exe.docx``. Every edge (API, pages, CLI) reaches these rules through the
service, so they refuse alike, with the stable code ``control_characters`` and the field's name.
"""

from __future__ import annotations

import re

from workflow.engine.errors import InvalidInput

#: C0 controls, DEL, C1 controls, the line and paragraph separators, and the bidi embeddings,
#: overrides and isolates (U+202A–202E, U+2066–2069).
_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: The same less TAB, LF and CR (and the two separators): multi-line text keeps its line breaks.
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Characters no common file system accepts in a name (and path separators).
_UNSAFE_IN_NAME = re.compile(r'[<>:"|?*/\\]')


class ControlCharacters(InvalidInput):
    """A field holding control characters; ``details['field']`` names it, ``details['character']`` the first."""

    code = "control_characters"


def _refuse(field: str, char: str) -> ControlCharacters:
    point = f"U+{ord(char):04X}"
    return ControlCharacters(f"字段“{field}”含有不允许的控制字符（{point}，如换行、制表或文字方向控制符）",
                             f"field '{field}' contains a control character ({point}: a line break, tab or "
                             "direction override)", details={"field": field, "character": point})


def one_line(field: str, value: str) -> str:
    """``value`` stripped, refused if it holds a control character (line breaks and tabs included)."""
    found = _ONE_LINE.search(value)
    if found:
        raise _refuse(field, found.group())
    return value.strip()


def multi_line(field: str, value: str) -> str:
    """``value`` stripped, refused if it holds a control character other than TAB, LF and CR."""
    found = _MULTI_LINE.search(value)
    if found:
        raise _refuse(field, found.group())
    return value.strip()


def safe_filename(value: str, field: str = "filename") -> str:
    """The base name of an uploaded file's name, safe on any file system ('' when nothing is left).

    The name as typed is kept in the event for display; this one is what downloads are offered under.
    """
    name = one_line(field, value).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_IN_NAME.sub("_", name).strip().lstrip(".").strip()
    return name[:255]
