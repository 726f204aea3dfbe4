"""December without next year's calendar, from outside: the real ``juece`` command under ``faketime``.

chinesecalendar has data through 2026. On 2026-12-10 the 20-working-day stall clock reaches 2027, which
used to refuse every action with ``calendar_missing``. Now the office works on: deadlines that need 2027
wait for its calendar, only a rule whose verdict needs 2027 refuses (naming the year), administrators
are told daily to import the notice, and the import computes what waited.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.test_system_clock import IN_CI, JUECE

FIXTURE_2027 = Path(__file__).parent / "fixtures" / "calendar-2027.yaml"  # a test fixture, not the real notice
DEC_10, DEC_11, DEC_12 = "2026-12-10 02:00:00", "2026-12-11 02:00:00", "2026-12-12 02:00:00"  # 10:00 Shanghai


def _juece(env: dict[str, str], when: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["faketime", when, str(JUECE), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def _ok(env: dict[str, str], when: str, *args: str) -> str:
    result = _juece(env, when, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _json(env: dict[str, str], when: str, *args: str) -> Any:
    return json.loads(_ok(env, when, *args, "--json"))


def _refused(env: dict[str, str], when: str, *args: str) -> dict[str, Any]:
    result = _juece(env, when, *args, "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    error: dict[str, Any] = json.loads(result.stdout)["error"]
    return error


def _act(env: dict[str, str], when: str, did: str, action: str, data: dict[str, Any], user: str = "王建国") -> str:
    return _ok(env, when, "decisions", "act", did, action, "--as", user, "--data", json.dumps(data, ensure_ascii=False))


def test_december_without_next_years_calendar(tmp_path: Path) -> None:
    if shutil.which("faketime") is None:
        if IN_CI:
            pytest.fail("faketime is required in CI (apt-get install faketime)")
        pytest.skip("faketime not installed")
    env = dict(os.environ, JUECE_INSTANCE_DIR=str(tmp_path), JUECE_DATABASE_URL=f"sqlite:///{tmp_path}/j.db",
               TZ="UTC")
    env.pop("JUECE_CALENDAR_NOTICE_FROM", None)  # the default: from 1 November
    _ok(env, DEC_10, "db", "upgrade")
    _ok(env, DEC_10, "users", "add", "王建国", "--role", "owner")
    _ok(env, DEC_10, "users", "add", "管理员", "--role", "admin")
    status = _json(env, DEC_10, "calendar", "status")
    assert status["next_year"] == {"year": 2027, "covered": False} and status["to_import"] == [2027]
    assert status["current_year"] == {"year": 2026, "covered": True}

    # Creating and initiating a decision no longer needs 2027; its stall clock waits for the calendar.
    did = _ok(env, DEC_10, "decisions", "create", "--procedure", "cn-713", "--title", "界牌新潮塘未来社区建设",
              "--owner", "王建国").strip()
    shown = _json(env, DEC_10, "decisions", "show", did)
    assert (shown["stall_due_at"], shown["stall_awaiting_year"]) == (None, 2027)
    assert "awaiting the 2027 calendar" in _ok(env, DEC_10, "decisions", "show", did)
    _act(env, DEC_10, did, "initiate", {"owner_unit": "城建办"})
    _act(env, DEC_10, did, "upload_draft", {"content": "草案第一稿"})
    _act(env, DEC_10, did, "start_consultation", {"legal_bases": ["《城乡规划法》"]})

    # Only a rule whose verdict needs 2027 refuses, and it names the year (Art. 15: the 30th day, 2027-01-09,
    # is a Saturday whose rolling needs 2027); a window that is too short whatever 2027 holds is refused as such.
    window = ["decisions", "act", did, "open_public_comment", "--as", "王建国", "--data"]
    needs_year = _refused(env, DEC_10, *window, json.dumps(
        {"opens_at": "2026-12-10T10:30:00+08:00", "closes_at": "2027-01-12T17:00:00+08:00"}))
    assert needs_year["code"] == "calendar_missing" and needs_year["details"]["year"] == 2027
    assert needs_year["details"]["check"] == "comment_window_too_short" and "2027" in needs_year["message_zh"]
    short = _refused(env, DEC_10, *window, json.dumps(
        {"opens_at": "2026-12-10T10:30:00+08:00", "closes_at": "2027-01-05T17:00:00+08:00"}))
    assert short["code"] == "comment_window_too_short"
    _act(env, DEC_10, did, "record_participation", {"method": "symposium", "summary": "村民代表座谈会"})

    # Administrators get the notice once a day (a second scan the same day sends nothing).
    first = _json(env, DEC_10, "deadlines", "scan")
    assert (first["calendar_notices"], first["notifications"], first["overdue"]) == (1, 1, 0)
    assert _json(env, DEC_10, "deadlines", "scan")["calendar_notices"] == 0
    notices = _json(env, DEC_10, "notifications", "list", "--as", "管理员")
    assert [n["kind"] for n in notices] == ["calendar"] and "2027" in notices[0]["subject"]

    submitted = _act(env, DEC_11, did, "submit_legality_review", {})
    assert "consultation → legality_review" in submitted
    waiting = [r for r in _json(env, DEC_11, "deadlines", "list") if r["status"] == "awaiting"]
    assert sorted((r["key"], r["awaiting_year"], r["due_at"]) for r in waiting) == [
        ("catalogue_publication", 2027, None), ("stall", 2027, None)]
    assert "awaiting the 2027 calendar" in _ok(env, DEC_11, "deadlines", "list")

    imported = _ok(env, DEC_11, "calendar", "import", str(FIXTURE_2027))
    assert "1 awaiting deadlines and 1 stall clocks computed" in imported
    shown = _json(env, DEC_11, "decisions", "show", did)
    # 20 working days after Fri 2026-12-11 with the fixture's New Year (01-01..03 off): Mon 2027-01-11.
    assert (shown["stall_due_at"], shown["stall_awaiting_year"]) == ("2027-01-11T16:00:00.000000Z", None)
    rows = _json(env, DEC_11, "deadlines", "list")
    assert not [r for r in rows if r["status"] == "awaiting"]
    catalogue = [(r["kind"], r["due_at"]) for r in rows if r["key"] == "catalogue_publication"]
    assert ("due", "2027-03-31T16:00:00.000000Z") in catalogue and ("reminder", "2027-03-31T16:00:00.000000Z") in catalogue
    status = _json(env, DEC_11, "calendar", "status")
    assert status["next_year"] == {"year": 2027, "covered": True} and status["to_import"] == []
    assert [y["source"] for y in status["years"] if y["year"] == 2027] == [
        "测试夹具：虚构的2027年节假日安排（非官方数据，仅供测试）"]
    assert _json(env, DEC_12, "deadlines", "scan")["calendar_notices"] == 0
