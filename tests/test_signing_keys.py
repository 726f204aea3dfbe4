"""Signatures only their holder can make: the key opens with the holder's password and nothing else.

The auditor's finding was that anyone with the database and the instance secret could sign as anyone.
These tests take that position — every row of ``user_key`` and the secret in hand — and show that no
signature comes out of it; then that a password change, an administrator's reset, a rotation and a
revocation keep every old signature verifying, each recorded in the system stream.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import inspect, select, text

from tests.helpers import PASSWORD, Clock, new_decision, to_collective_discussion, to_legality_review
from workflow.admin import offices as admin
from workflow.engine.catalog import default_catalog
from workflow.engine.errors import WorkflowError
from workflow.persistence.db import Database
from workflow.persistence.store import E, K, U
from workflow.record import keys, keywrap, records
from workflow.record.audit import verify_all
from workflow.record.keyring import Keyring
from workflow.record.signing import signing_digest
from workflow.service import Juece

OPINION = {"outcome": "lawful", "opinion": "经审查合法"}


def refusal(call: object) -> WorkflowError:
    with pytest.raises(WorkflowError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def at_review(core: Juece, clock: Clock) -> int:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    return did


def version_of(core: Juece, did: int) -> int:
    with core.db.read() as conn:
        return len(conn.execute(select(E.c.seq).where(E.c.stream == f"decision:{did}")).all())


def system_events(core: Juece, *actions: str) -> list[dict[str, object]]:
    with core.db.read() as conn:
        rows = conn.execute(select(E.c.event).where(E.c.stream == "system", E.c.action.in_(actions))
                            .order_by(E.c.seq)).all()
    return [dict(r.event) for r in rows]


def verified(core: Juece) -> None:
    with core.db.read() as conn:
        report = verify_all(conn, core.catalog)
    assert report.ok, report.problems


def test_signing_without_the_signers_password_is_refused_and_records_nothing(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    before = version_of(core, did)
    assert refusal(lambda: core.act(did, "sign_legality_opinion", "reviewer", OPINION)).code == (
        "signing_password_required")
    assert refusal(lambda: core.act(did, "sign_legality_opinion", "reviewer", OPINION,
                                    password="test-secret")).code == "signing_password_wrong"
    assert version_of(core, did) == before
    core.act(did, "sign_legality_opinion", "reviewer", OPINION, password=PASSWORD)
    verified(core)


def test_the_database_and_the_instance_secret_cannot_produce_a_signature(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    secret = core.secret  # what an insider with server access holds, with every row below
    with core.db.read() as conn:
        assert "private_pem" not in {c["name"] for c in inspect(conn).get_columns("user_key")}
        row = conn.execute(select(K).join(U, U.c.id == K.c.user_id).where(U.c.name == "reviewer")).one()
    sealed, wrap = bytes(row.sealed), dict(row.wrap)
    assert b"PRIVATE KEY" not in sealed and wrap["alg"] == keywrap.ALGORITHM
    # Not a PEM under the secret (the old scheme), not a sealed key the secret opens …
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(sealed, password=secret)
    with pytest.raises(keywrap.WrongPassword):
        keywrap.unseal(sealed, wrap, row.key_id, secret.decode())
    # … nor the secret itself as the wrapping key, nor the stored salt alone: argon2id needs the password.
    aad = f"juece-signing-key-v1:{row.key_id}".encode()
    for kek in (hash_secret_raw(secret, base64.b64decode(wrap["salt"]), time_cost=wrap["time_cost"],
                                memory_cost=wrap["memory_cost"], parallelism=wrap["parallelism"], hash_len=32,
                                type=Type.ID), secret.ljust(32, b"\0")[:32], base64.b64decode(wrap["salt"]) * 2):
        with pytest.raises(InvalidTag):
            AESGCM(kek).decrypt(base64.b64decode(wrap["nonce"]), sealed, aad)
    # The service given the secret but not the password signs nothing.
    assert refusal(lambda: core.act(did, "sign_legality_opinion", "reviewer", OPINION,
                                    password=secret.decode())).code == "signing_password_wrong"
    # A signature made with a key the insider generates is not the reviewer's: verification says so.
    core.act(did, "sign_legality_opinion", "reviewer", OPINION, password=PASSWORD)
    with core.db.read() as conn:
        signed = conn.execute(select(E.c.event).where(E.c.stream == f"decision:{did}",
                                                      E.c.action == "sign_legality_opinion")).scalar_one()
        ring = Keyring.load(conn)
    forged_key = keywrap.new_key("insider", keywrap.FAST)
    private = keywrap.unseal(forged_key.sealed, forged_key.wrap, forged_key.key_id, "insider")
    digest = signing_digest(f"decision:{did}", signed)
    forged = dict(signed) | {"signature": {"key": row.key_id, "digest": digest,
                                           "sig": keywrap.sign_digest(private, digest)}}
    assert ring.signature_problem(f"decision:{did}", forged) == "signature invalid"
    assert ring.signature_problem(f"decision:{did}", signed) is None


def test_a_password_change_rewraps_the_same_key_and_old_signatures_verify(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    core.act(did, "sign_legality_opinion", "reviewer", OPINION, password=PASSWORD)
    with core.db.read() as conn:
        before = keys.keys_of(conn, "reviewer")
    assert refusal(lambda: keys.change_password(core, "reviewer", "another-long-password", "not-the-current")
                   ).code == "password_wrong"
    assert keys.change_password(core, "reviewer", "another-long-password", PASSWORD) == before[0]["key"]
    with core.db.read() as conn:
        assert [k["key"] for k in keys.keys_of(conn, "reviewer")] == [before[0]["key"]]
    assert admin.check_password(core, "reviewer", "another-long-password")
    changed = system_events(core, "password_changed")[-1]
    assert changed["data"] == {"user": "reviewer", "key": before[0]["key"], "rewrapped": True}
    # The old password opens nothing now; the new one signs with the same key.
    records_again = lambda pw: records.correct(core, did, "sign_legality_opinion", "reviewer",  # noqa: E731
                                               {"outcome": "lawful", "opinion": "更正笔误"}, "笔误", password=pw)
    assert refusal(lambda: records_again(PASSWORD)).code == "signing_password_wrong"
    records_again("another-long-password")
    verified(core)


def test_an_admin_reset_retires_the_key_and_the_holders_own_password_issues_a_new_one(
        core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    core.act(did, "sign_legality_opinion", "reviewer", OPINION, password=PASSWORD)
    clock.advance(minutes=5)  # the reset comes after the signature
    with core.db.read() as conn:
        (old,) = keys.keys_of(conn, "reviewer")
    admin.set_password(core, "reviewer", "temporary-by-admin", by="admin-li")
    with core.db.read() as conn:
        retired = conn.execute(select(K).where(K.c.key_id == old["key"])).one()
    assert retired.revoked_at is not None and retired.sealed is None  # public half kept, private half gone
    assert system_events(core, "key_retired")[-1]["data"] == {
        "user": "reviewer", "key": old["key"], "reason": "password reset by admin-li"}
    # The temporary password signs the person in, but opens no key: the administrator chose it.
    assert admin.check_password(core, "reviewer", "temporary-by-admin")
    did2 = at_review(core, clock)
    assert refusal(lambda: core.act(did2, "sign_legality_opinion", "reviewer", OPINION,
                                    password="temporary-by-admin")).code == "no_signing_key"
    new_id = keys.change_password(core, "reviewer", "reviewers-own-password", "temporary-by-admin")
    assert new_id != old["key"]
    issued = system_events(core, "key_issued")[-1]["data"]
    assert (issued["user"], issued["key"]) == ("reviewer", new_id)  # type: ignore[index]
    core.act(did2, "sign_legality_opinion", "reviewer", OPINION, password="reviewers-own-password")
    verified(core)  # the first opinion still verifies against the retired key
    with core.db.read() as conn:
        used = [r.event["signature"]["key"] for r in conn.execute(
            select(E.c.event).where(E.c.action == "sign_legality_opinion").order_by(E.c.id))]
    assert used == [old["key"], new_id]


def test_rotation_and_revocation_are_audited_and_keep_signatures(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    with core.db.read() as conn:
        (first,) = keys.keys_of(conn, "reviewer")
    clock.advance(minutes=1)
    assert refusal(lambda: keys.rotate_key(core, "reviewer", "wrong-password")).code == "signing_password_wrong"
    rotated = keys.rotate_key(core, "reviewer", PASSWORD)
    clock.advance(minutes=1)
    revoked = keys.revoke_key(core, "reviewer", "笔记本电脑遗失", by="admin-li")
    assert revoked == rotated
    retirements = [e["data"] for e in system_events(core, "key_retired")]
    assert retirements == [{"user": "reviewer", "key": first["key"], "reason": "rotated by the holder"},
                           {"user": "reviewer", "key": rotated, "reason": "revoked by admin-li: 笔记本电脑遗失"}]
    assert refusal(lambda: keys.rotate_key(core, "reviewer", PASSWORD)).code == "no_signing_key"
    assert keys.change_password(core, "reviewer", "a-fresh-password", PASSWORD) not in (first["key"], rotated)
    verified(core)


def test_a_signature_by_someone_elses_key_or_a_retired_key_does_not_hold(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    core.act(did, "sign_legality_opinion", "reviewer", OPINION, password=PASSWORD)
    stream = f"decision:{did}"
    with core.db.read() as conn:
        signed = dict(conn.execute(select(E.c.event).where(E.c.stream == stream,
                                                           E.c.action == "sign_legality_opinion")).scalar_one())
        ring = Keyring.load(conn)
        st_key = conn.execute(select(K).join(U, U.c.id == K.c.user_id).where(U.c.name == "adviser")).one()
    # The adviser signs the reviewer's opinion with the adviser's own (valid) key: not the actor's key.
    private = keywrap.unseal(bytes(st_key.sealed), dict(st_key.wrap), st_key.key_id, PASSWORD)
    digest = signing_digest(stream, signed)
    other = signed | {"signature": {"key": st_key.key_id, "digest": digest, "sig": keywrap.sign_digest(private, digest)}}
    assert ring.signature_problem(stream, other) == "signed with adviser's key, not the actor's (reviewer)"
    # A key retired before the event's instant does not hold either.
    ring.keys[signed["signature"]["key"]].retired_at = "2000-01-01T00:00:00.000000Z"
    assert "after it was retired" in str(ring.signature_problem(stream, signed))


def test_a_signed_back_entry_is_signed_by_its_requester_at_request_time(core: Juece, clock: Clock) -> None:
    did = at_review(core, clock)
    clock.advance(hours=3)
    when = (clock.now - dt.timedelta(hours=1)).isoformat()  # after the adviser's opinion, before now
    assert refusal(lambda: records.request_backfill(core, did, "sign_legality_opinion", "reviewer", OPINION, when,
                                                    "线下已签署")).code == "signing_password_required"
    seq = records.request_backfill(core, did, "sign_legality_opinion", "reviewer", OPINION, when, "线下已签署",
                                   password=PASSWORD)
    result = records.confirm_backfill(core, did, seq, "chief")  # the chief signs nothing in the reviewer's name
    with core.db.read() as conn:
        request, applied = [r.event for r in conn.execute(select(E.c.event).where(
            E.c.stream == f"decision:{did}", E.c.seq.in_([seq, result.version])).order_by(E.c.seq))]
    assert applied["signature"] == request["signature"] | {"over_request": seq}
    verified(core)


def test_migration_deletes_private_halves_made_under_the_instance_secret(tmp_path: object, clock: Clock) -> None:
    database = Database(f"sqlite:///{tmp_path}/old.db")
    try:
        database.upgrade("0003a")
        with database.write() as conn:  # one person and key as the old code made them
            conn.execute(text("INSERT INTO org (name, settings, created_at) VALUES ('古塘街道', '{}', '2026-01-01')"))
            conn.execute(text("INSERT INTO app_user (org_id, name, roles, unit, active, created_at) "
                              "VALUES (1, '李明华', '[\"legal_reviewer\"]', '', 1, '2026-01-01')"))
            conn.execute(text("INSERT INTO user_key (user_id, key_id, public_hex, private_pem, created_at) "
                              "VALUES (1, '00legacy00key000', :pub, :pem, '2026-01-01')"),
                         {"pub": "0" * 64, "pem": b"-----BEGIN ENCRYPTED PRIVATE KEY-----"})
        database.upgrade()
        core = Juece(database, default_catalog(), b"test-secret", clock, kdf=keywrap.FAST)
        with database.read() as conn:
            row = conn.execute(select(K).where(K.c.key_id == "00legacy00key000")).one()
        assert (row.kind, row.sealed) == ("legacy", None)
        assert keys.retire_legacy(core) == 1 and keys.retire_legacy(core) == 0
        assert system_events(core, "key_retired")[0]["data"]["reason"].startswith("legacy")  # type: ignore[index]
        keys.change_password(core, "李明华", PASSWORD)  # her own password: her first holder-only key
        with database.read() as conn:
            assert [k["usable"] for k in keys.keys_of(conn, "李明华")] == [True, False]
    finally:
        database.dispose()
