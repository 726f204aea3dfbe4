"""Names are unique per office: two people called 张伟 in two offices, told apart by their office.

Inside a request the office is the signed-in person's; on the command line a name several offices use
must be written ``NAME@OFFICE``, and a bare one is refused as ambiguous, never guessed.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tests.helpers import PASSWORD, Clock
from tests.test_cli import Cli
from workflow.admin import offices as admin
from workflow.admin import people
from workflow.admin.people import AmbiguousName, Named
from workflow.engine.errors import InvalidInput, NotFound
from workflow.persistence.db import Database
from workflow.persistence.store import ORG, Store, U
from workflow.record import keys
from workflow.service import Juece

ZW = "张伟"
A, B = "古塘街道", "外街道"


def _office(core: Juece, name: str) -> int:
    with core.db.read() as conn:
        return int(conn.execute(select(ORG.c.id).where(ORG.c.name == name)).scalar_one())


@pytest.fixture()
def zhangs(core: Juece) -> tuple[Named, Named]:
    """张伟 of office A and 张伟 of office B, each an owner and chief executive with their own password."""
    for office in (A, B):
        admin.add_user(core, ZW, ["owner", "chief_executive"], office, unit="城建办")
    a, b = Named(ZW, _office(core, A)), Named(ZW, _office(core, B))
    keys.change_password(core, a, PASSWORD)
    keys.change_password(core, b, "b-office-own-password")
    return a, b


def test_a_name_used_in_another_office_is_added_and_within_the_office_is_a_duplicate(core: Juece) -> None:
    first = admin.add_user(core, ZW, ["owner"], A)
    second = admin.add_user(core, ZW, ["owner"], B)  # succeeds: B learns nothing of A
    assert first != second
    with pytest.raises(InvalidInput) as refused:
        admin.add_user(core, ZW, ["owner"], B)
    assert refused.value.code == "already_exists" and A not in refused.value.zh + refused.value.en
    with core.db.read() as conn:
        rows = conn.execute(select(U.c.org_id).where(U.c.name == ZW).order_by(U.c.id)).scalars().all()
    assert rows == [_office(core, A), _office(core, B)]


def test_a_name_resolves_within_an_office_and_a_bare_shared_name_is_ambiguous(
        core: Juece, zhangs: tuple[Named, Named]) -> None:
    a, b = zhangs
    with core.db.read() as conn:
        assert people.resolve_person(conn, a).org_name == A
        assert people.resolve_person(conn, b).org_name == B
        assert people.resolve_person(conn, ZW, _office(core, B)).org_name == B
        assert people.resolve_person(conn, f"{ZW}@{B}").org_name == B
        assert people.resolve_person(conn, "outsider").org_name == B  # a name only one office uses needs no office
        with pytest.raises(AmbiguousName) as ambiguous:
            people.resolve_person(conn, ZW)
        assert ambiguous.value.code == "ambiguous_name" and f"{ZW}@" in ambiguous.value.en
        assert A not in ambiguous.value.zh and B not in ambiguous.value.zh  # no list of offices
        with pytest.raises(NotFound):
            people.resolve_person(conn, f"{ZW}@无此单位")
        with pytest.raises(NotFound):  # a person of office A is nobody in office B
            people.resolve_person(conn, "chief", _office(core, B))


def test_each_zhang_acts_and_signs_in_their_own_office_only(core: Juece, zhangs: tuple[Named, Named]) -> None:
    a, b = zhangs
    a_did = core.create_decision("cn-713", "古塘 界牌", a, [])
    b_did = core.create_decision("cn-713", "外街道 旧改", b, [])
    core.act(a_did, "initiate", a, {"owner_unit": "城建办", "flags": []})
    core.act(b_did, "initiate", b, {"owner_unit": "城建办", "flags": []})
    for did, stranger in ((a_did, b), (b_did, a)):
        with pytest.raises(NotFound) as hidden:
            core.act(did, "withdraw", stranger, {"reason": "政策调整", "approver": ZW})
        assert hidden.value.code == "not_found" and "decision" in hidden.value.en
    # Signing opens the signer's own key: each 张伟's password opens only their own.
    with core.db.read() as conn:
        st = Store(conn)
        a_row, b_row = st.actor(a), st.actor(b)
        mine = keys.sign_event(st, int(b_row.id), b, "b-office-own-password", "system", {"action": "t"})
        assert keys.keys_of(conn, b)[0]["key"] == mine["key"] != keys.keys_of(conn, a)[0]["key"]
    assert a_row.id != b_row.id and (a_row.org_name, b_row.org_name) == (A, B)
    with core.db.read() as conn:
        owners = dict(conn.execute(text("SELECT d.id, u.org_id FROM decision d JOIN app_user u ON u.id = d.owner_id")
                                   ).all())
    assert owners == {a_did: _office(core, A), b_did: _office(core, B)}


def test_a_bare_shared_name_is_refused_where_no_office_is_known(core: Juece, zhangs: tuple[Named, Named]) -> None:
    with pytest.raises(AmbiguousName):
        core.create_decision("cn-713", "标题", ZW, [])
    assert core.create_decision("cn-713", "标题", f"{ZW}@{B}", []) > 0


def test_deactivating_one_zhang_leaves_the_other(core: Juece, zhangs: tuple[Named, Named]) -> None:
    a, b = zhangs
    admin.deactivate_user(core, b, by=Named("chief", _office(core, A)))
    assert admin.sign_in(core, ZW, PASSWORD) is not None  # A's 张伟 still signs in
    assert admin.sign_in(core, ZW, "b-office-own-password") is None
    admin.reactivate_user(core, f"{ZW}@{B}")
    assert admin.sign_in(core, ZW, "b-office-own-password", B) is not None


def test_sign_in_tries_each_same_named_person_and_needs_the_office_only_when_both_passwords_match(
        core: Juece, zhangs: tuple[Named, Named]) -> None:
    a, b = zhangs
    with core.db.read() as conn:
        a_id, b_id = people.person_id(conn, a), people.person_id(conn, b)
    assert admin.sign_in(core, ZW, PASSWORD) == a_id
    assert admin.sign_in(core, ZW, "b-office-own-password") == b_id
    assert admin.sign_in(core, ZW, "b-office-own-password", A) is None  # the office, when given, is binding
    keys.change_password(core, b, PASSWORD, current="b-office-own-password")
    assert admin.sign_in(core, ZW, PASSWORD) is None  # two match: the same answer as a wrong password
    assert admin.sign_in(core, ZW, PASSWORD, B) == b_id
    assert admin.sign_in(core, "nobody", PASSWORD) is None


# -- the command line -------------------------------------------------------------------------------

@pytest.fixture()
def names_cli(database: Database, clock: Clock, tmp_path: Path) -> Cli:
    """``juece`` over a migrated database with a 张伟 in each office."""
    runner = Cli(database, clock, tmp_path)
    runner("db", "upgrade")
    for office in (A, B):
        runner("users", "add", ZW, "--role", "owner", "--role", "chief_executive", "--org", office)
    return runner


def test_cli_adds_the_same_name_in_another_office_and_refuses_it_in_the_same(names_cli: Cli) -> None:
    again = names_cli("users", "add", ZW, "--role", "owner", "--org", B, ok=False)
    assert again.exit_code == 1 and "already_exists" in again.output and A not in again.output


def test_cli_asks_for_the_office_when_a_name_is_shared(names_cli: Cli) -> None:
    cli = names_cli
    bare = cli("decisions", "create", "--procedure", "cn-713", "--title", "旧改", "--owner", ZW, ok=False)
    assert bare.exit_code == 1 and "ambiguous_name" in bare.output and f"{ZW}@" in bare.output
    b = cli("decisions", "create", "--procedure", "cn-713", "--title", "外街道旧改", "--owner", f"{ZW}@{B}"
            ).output.strip()
    a = cli("decisions", "create", "--procedure", "cn-713", "--title", "古塘界牌", "--owner", f"{ZW}@{A}"
            ).output.strip()
    data = json.dumps({"owner_unit": "城建办", "flags": []}, ensure_ascii=False)
    assert cli("decisions", "act", b, "initiate", "--as", f"{ZW}@{B}", "--data", data).exit_code == 0
    wrong = cli("decisions", "act", a, "initiate", "--as", f"{ZW}@{B}", "--data", data, ok=False)
    assert wrong.exit_code == 1 and "no such decision" in wrong.output
    assert "ambiguous_name" in cli("notifications", "list", "--as", ZW, ok=False).output
    assert cli("notifications", "list", "--as", f"{ZW}@{A}").exit_code == 0


# -- the migration -----------------------------------------------------------------------------------

def _old_schema_with_people(database: Database) -> None:
    """A database at 0005l (names unique everywhere) with two offices, people and a decision."""
    assert database.upgrade("0005l") == "0005l"
    with database.write() as conn:
        for office in (A, B):
            conn.execute(text("INSERT INTO org (name, settings, created_at) VALUES (:n, '{}', '2026-01-01')"),
                         {"n": office})
        for name, org in ((ZW, 1), ("王建国", 1), ("赵外", 2)):
            conn.execute(text("INSERT INTO app_user (org_id, name, roles, unit, active, created_at) "
                              "VALUES (:org, :name, '[\"owner\"]', '', :yes, '2026-01-01')"),
                         {"org": org, "name": name, "yes": True})
        conn.execute(text("INSERT INTO decision (org_id, procedure_id, procedure_version, title, owner_id, state, "
                          "version, facts, last_hash, created_at, updated_at) VALUES (1, 'cn-713', '2019', '界牌', 1, "
                          "'proposed', 1, '{}', :h, '2026-01-01', '2026-01-01')"), {"h": "0" * 64})
    with database.write() as conn, pytest.raises(IntegrityError):
        conn.execute(text("INSERT INTO app_user (org_id, name, roles, unit, active, created_at) "
                          "VALUES (2, :name, '[]', '', :yes, '2026-01-01')"), {"name": ZW, "yes": True})


def _check_upgrade_and_downgrade(database: Database) -> None:
    _old_schema_with_people(database)
    assert database.upgrade() != "0005l"
    with database.read() as conn:
        assert conn.execute(text("SELECT name, org_id FROM app_user ORDER BY id")).all() == [
            (ZW, 1), ("王建国", 1), ("赵外", 2)]
        assert conn.execute(text("SELECT owner_id FROM decision")).scalar() == 1
    with database.write() as conn:  # now another office may use the name …
        conn.execute(text("INSERT INTO app_user (org_id, name, roles, unit, active, created_at) "
                          "VALUES (2, :name, '[]', '', :yes, '2026-01-01')"), {"name": ZW, "yes": True})
    with database.write() as conn, pytest.raises(IntegrityError):  # … and the same office still may not
        conn.execute(text("INSERT INTO app_user (org_id, name, roles, unit, active, created_at) "
                          "VALUES (2, :name, '[]', '', :yes, '2026-01-01')"), {"name": "赵外", "yes": True})
    with pytest.raises(RuntimeError, match="more than one office"):  # refused rather than renaming anyone
        database.downgrade("0005l")
    with database.write() as conn:
        conn.execute(text("DELETE FROM app_user WHERE org_id = 2 AND name = :name"), {"name": ZW})
    assert database.downgrade("0005l") == "0005l"
    with database.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM app_user")).scalar() == 3
        assert conn.execute(text("SELECT owner_id FROM decision")).scalar() == 1


def test_migration_on_sqlite_keeps_the_people_and_scopes_names_to_offices(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/old-{uuid.uuid4().hex[:6]}.db")
    try:
        _check_upgrade_and_downgrade(database)
    finally:
        database.dispose()


def test_migration_on_postgresql_keeps_the_people_and_scopes_names_to_offices(pg_database: Database) -> None:
    _check_upgrade_and_downgrade(pg_database)


def test_cli_tokens_and_passwords_go_to_the_named_offices_zhang(names_cli: Cli, database: Database) -> None:
    cli = names_cli
    assert "ambiguous_name" in cli("tokens", "create", ZW, ok=False).output
    issued = cli.json("tokens", "create", f"{ZW}@{B}")
    assert "ambiguous_name" in cli("users", "passwd", ZW, "--password-stdin", input="temporary-pass-1\n",
                                   ok=False).output
    cli("users", "passwd", f"{ZW}@{A}", "--password-stdin", input="temporary-pass-1\n")
    with database.read() as conn:
        owners = conn.execute(text("SELECT o.name FROM api_token t JOIN app_user u ON u.id = t.user_id "
                                   "JOIN org o ON o.id = u.org_id WHERE t.id = :id"), {"id": issued["id"]}).all()
        hashed = conn.execute(select(ORG.c.name).join(U, U.c.org_id == ORG.c.id)
                              .where(U.c.name == ZW, U.c.password_hash.is_not(None))).scalars().all()
    assert [r.name for r in owners] == [B] and hashed == [A]
