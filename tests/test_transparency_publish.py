"""Publishing the log: the note format, the beat task and its witnesses, the endpoints, concurrent sequencing."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text

from tests.api.conftest import Api, make_app
from tests.conftest import make_core
from tests.helpers import DELIVERY, Clock, new_decision, to_consultation, to_publication
from workflow.admin import offices as admin
from workflow.notices import outbox
from workflow.notices.outbound import OutboundPolicy
from workflow.persistence.db import Database
from workflow.persistence.store import DY, E, N
from workflow.record import tlog, tlog_verify, transparency
from workflow.record.treehead import open_note, read_head, sign_note_with, verifier_key
from workflow.service import Juece

ORIGIN = "juece.test/古塘"


def test_signed_note_matches_the_go_note_package_example() -> None:
    # golang.org/x/mod/sumdb/note, package documentation (note.go): the "PeterNeumann" key and its note.
    seed = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
    text_ = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    note = sign_note_with(text_, "PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))
    assert note == text_ + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert verifier_key("PeterNeumann", public) == vkey
    assert open_note(note, vkey) == text_


class _Witness(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []

    def do_POST(self) -> None:  # noqa: N802
        _Witness.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def witness_url() -> Iterator[str]:
    _Witness.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Witness)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/witness"
    server.shutdown()
    server.server_close()


def test_beat_task_publishes_a_head_and_queues_it_to_the_witnesses(core: Juece, clock: Clock, tmp_path: Path,
                                                                   witness_url: str) -> None:
    from config.settings import Settings
    from worker import tasks
    from worker.app import create_celery

    # The office's group channel speaks DingTalk; its witness still gets the plain signed JSON.
    core.outbound = OutboundPolicy(("127.0.0.1",))  # a test server on this machine: allowed explicitly
    admin.update_org_settings(core, "古塘街道", {"witness_email": "dangan@gutang.gov.cn, sifasuo@gutang.gov.cn",
                                             "witness_webhook": witness_url, "webhook_format": "dingtalk"})
    to_consultation(core, new_decision(core))
    settings = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://",
                        secret_key="test-secret", log_origin=ORIGIN, log_publish_seconds=900.0,
                        outbound_allow=("127.0.0.1",))
    app = create_celery(settings)
    assert app.conf.beat_schedule["tree-head"] == {"task": "juece.publish_tree_head", "schedule": 900.0}
    assert "tree-head" not in create_celery(Settings(instance_dir=tmp_path, database_url=core.db.url,
                                                     broker_url="memory://", log_publish_seconds=0)).conf.beat_schedule
    app.conf.task_always_eager = True
    app.set_current()
    tasks._CORES.clear()
    try:
        head = app.tasks["juece.publish_tree_head"].apply().get()
        assert app.tasks["juece.publish_tree_head"].apply().get() is None  # the log did not grow
    finally:
        for opened in tasks._CORES.values():
            opened.db.dispose()
        tasks._CORES.clear()
    with core.db.read() as conn:
        assert transparency.latest_head(conn) == head
        vkey = transparency.require_key(conn)["verifier_key"]
        notice = conn.execute(select(N).where(N.c.kind == "tree_head")).one()
        deliveries = {(r.channel, r.target): r for r in conn.execute(select(DY).where(DY.c.notification_id == notice.id))}
    assert notice.user_id is None and notice.payload == head and head["note"] in notice.body
    assert set(deliveries) == {("email", "dangan@gutang.gov.cn"), ("email", "sifasuo@gutang.gov.cn"),
                               ("witness", witness_url)}
    # The eager relay handed them out at once: the witness got the head, the e-mails wait for an SMTP server.
    assert deliveries[("witness", witness_url)].status == "sent"
    assert deliveries[("email", "dangan@gutang.gov.cn")].status == "pending"
    assert "SMTP" in deliveries[("email", "dangan@gutang.gov.cn")].last_error
    received = _Witness.received[0]
    assert received["data"] == head and read_head(head, vkey).tree_size == head["tree_size"]


def test_witness_deliveries_are_claimed_like_any_other(core: Juece, clock: Clock) -> None:
    core.outbound = OutboundPolicy(("127.0.0.1",))
    admin.update_org_settings(core, "古塘街道", {"witness_webhook": "http://127.0.0.1:9/witness"})
    new_decision(core)
    head = transparency.publish(core, ORIGIN)
    assert head is not None
    claim = outbox.claim(core, outbox.relay(core, DELIVERY)[0], DELIVERY)
    assert claim is not None and claim.channel == "witness" and claim.payload == head
    assert claim.idempotency_key.startswith("tree_head:")


@pytest.fixture()
def api(core: Juece, tmp_path: Path) -> Api:
    admin.add_user(core, "admin1", ["admin"], "古塘街道")
    return Api(core, make_app(core, tmp_path))


def test_endpoints_serve_heads_key_and_proofs(core: Juece, clock: Clock, api: Api) -> None:
    public = api.app.test_client()
    assert public.get("/api/public/log/head").status_code == 404
    did = new_decision(core, ["technical"])
    to_publication(core, clock, did, ["technical"])
    other = core.create_decision("cn-713", "外街道的决策", "outsider")
    head = transparency.publish(core, ORIGIN)
    assert head is not None
    assert public.get("/api/public/log/head").get_json() == head  # no token: witnesses are outsiders
    key = public.get("/api/public/log/key").get_json()
    assert api.get("log/head").get_json() == head and api.get("log/key").get_json() == key
    assert [h["tree_size"] for h in api.get("log/heads").get_json()["items"]] == [head["tree_size"]]
    proof = public.get(f"/api/public/log/consistency?first=3&second={head['tree_size']}").get_json()
    assert proof == api.get(f"log/consistency?first=3&second={head['tree_size']}").get_json()
    assert public.get("/api/public/log/consistency?first=0&second=1").status_code == 400
    bundle = api.get(f"decisions/{did}/inclusion?seq=2").get_json()
    assert tlog_verify.check_bundle(bundle, key["verifier_key"])["leaf_index"] == bundle["leaf_index"]
    assert api.get(f"decisions/{other}/inclusion?seq=1").status_code == 404  # another office's: not there
    assert api.get(f"decisions/{did}/inclusion?seq=999").status_code == 404
    assert api.get(f"decisions/{did}/inclusion?seq=1&tree_size=1").status_code == 404  # no head of that size


def test_concurrent_writers_and_sequencers_on_postgres(pg_database: Database, clock: Clock) -> None:
    core = make_core(pg_database, clock)
    ids = [new_decision(core) for _ in range(4)]
    errors: list[BaseException] = []

    def write(did: int) -> None:
        try:
            to_consultation(core, did)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    def sequence() -> None:
        try:
            for _ in range(5):
                tlog.sequence(core.db, clock(), limit=3)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(d,)) for d in ids] + [
        threading.Thread(target=sequence) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    tlog.sequence_all(core.db, clock())
    with core.db.read() as conn:
        rows = conn.execute(select(tlog.LL.c.log_index, tlog.LL.c.event_id).order_by(tlog.LL.c.log_index)).all()
        events = [r.id for r in conn.execute(select(E.c.id).order_by(E.c.id))]
    assert [r.log_index for r in rows] == list(range(len(events)))
    assert sorted(r.event_id for r in rows) == events  # every event once


def test_the_fence_waits_for_an_uncommitted_event_on_postgres(pg_database: Database, clock: Clock) -> None:
    # An event whose id was taken but not yet committed must not be skipped by the sequencer.
    core = make_core(pg_database, clock)
    did = new_decision(core)
    tlog.sequence_all(core.db, clock())
    with core.db.engine.connect() as slow:
        slow.info["readonly"] = False
        tx = slow.begin()
        slow.execute(text("INSERT INTO audit_event (stream, seq, action, actor_id, from_state, to_state, at, event, "
                          "prev_hash, hash) VALUES ('probe', 1, 'probe', NULL, NULL, NULL, now(), '{}', :h, :h)"),
                     {"h": "0" * 64})
        core.act(did, "initiate", "owner", {"owner_unit": "城建办"})  # a later id, committed first
        with core.db.engine.connect() as probe:
            probe.info["readonly"] = False
            with pytest.raises(Exception, match="lock timeout"), probe.begin():
                probe.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")  # the fence's lock, bounded here
                probe.exec_driver_sql("LOCK TABLE audit_event IN SHARE MODE")
        tx.commit()
    assert tlog.sequence_all(core.db, clock()) == 2
    with core.db.read() as conn:
        logged = conn.execute(select(func.count()).select_from(tlog.LL)).scalar_one()
        assert logged == conn.execute(select(func.count()).select_from(E)).scalar_one()
        stream_order = [r.stream for r in conn.execute(
            select(E.c.stream).join(tlog.LL, tlog.LL.c.event_id == E.c.id).order_by(tlog.LL.c.log_index.desc())
            .limit(2))]
    assert stream_order == [f"decision:{did}", "probe"]  # log order is event-id order


def test_a_head_names_the_log_its_key_belongs_to() -> None:
    import datetime as dt

    from workflow.record.treehead import HeadError, checkpoint

    private = Ed25519PrivateKey.generate()
    vkey = verifier_key(ORIGIN, private.public_key().public_bytes_raw())
    moment = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    good = sign_note_with(checkpoint(ORIGIN, 3, b"\x01" * 32, moment), ORIGIN, private)
    assert read_head({"note": good}, vkey).tree_size == 3
    other = sign_note_with(checkpoint("another.log/x", 3, b"\x01" * 32, moment), ORIGIN, private)
    with pytest.raises(HeadError, match="names the log"):
        read_head({"note": other}, vkey)
