"""Webhook URLs: https to public addresses only, unless allowed explicitly; checked on save and at delivery.

The test servers listen on 127.0.0.1: refused by default, allowed through ``JUECE_OUTBOUND_ALLOW``.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.helpers import lease_end
from worker.channels import DeliveryError, send_webhook
from workflow.admin import offices as admin
from workflow.notices.outbound import OutboundPolicy, UnsafeUrl
from workflow.notices.outbox import Claim
from workflow.service import Juece

LOCAL = OutboundPolicy(("127.0.0.1",))
STRICT = OutboundPolicy()


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Records each POST; answers 302 to ``redirect_to`` when set, else 200."""

    received: list[tuple[str, bytes]] = []
    redirect_to = ""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def receiver() -> Iterator[str]:
    """A webhook receiver on 127.0.0.1; yields its URL."""
    _Receiver.received, _Receiver.redirect_to = [], ""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def claim(target: str, subject: str = "【提醒】测试", body: str = "正文") -> Claim:
    """A webhook delivery to ``target``, as a worker holds it."""
    return Claim(1, "webhook", target, "k:1", subject, body, {}, 1, {}, "inst")


def refusal(url: str, policy: OutboundPolicy = STRICT, field: str = "webhook_url") -> str:
    """The reason ``url`` is refused for ``field``."""
    with pytest.raises(UnsafeUrl) as refused:
        policy.check_settings({field: url})
    assert refused.value.code == "unsafe_url" and refused.value.details["field"] == field
    assert refused.value.zh and refused.value.en
    return str(refused.value.details["reason"])


@pytest.mark.parametrize(("url", "reason"), [
    ("http://hooks.example.com/juece", "not_https"),
    ("ftp://hooks.example.com/juece", "malformed"),
    ("https:///juece", "malformed"),
    ("https://127.0.0.1/hook", "private_address"),
    ("https://localhost:8000/hook", "private_address"),
    ("https://169.254.169.254/latest/meta-data/", "private_address"),  # the cloud metadata service
    ("https://10.1.2.3/hook", "private_address"),
    ("https://192.168.1.1/hook", "private_address"),
    ("https://100.64.0.1/hook", "private_address"),  # carrier-grade NAT: not public either
    ("https://0.0.0.0/hook", "private_address"),
    ("https://[::1]/hook", "private_address"),
    ("https://[::ffff:127.0.0.1]/hook", "private_address"),
    ("https://[fe80::1]/hook", "private_address"),
    ("https://224.0.0.1/hook", "private_address"),
    ("https://240.0.0.1/hook", "private_address"),
])
def test_a_webhook_url_is_refused_on_save_with_its_reason(url: str, reason: str) -> None:
    assert refusal(url) == reason


def test_the_allow_list_admits_named_hosts_addresses_and_networks() -> None:
    OutboundPolicy(("127.0.0.1",)).check_settings({"webhook_url": "http://127.0.0.1:9/hook"})
    OutboundPolicy(("localhost",)).check_settings({"webhook_url": "http://localhost:9/hook"})
    OutboundPolicy(("10.0.0.0/8",)).check_settings({"webhook_url": "https://10.1.2.3/hook"})
    OutboundPolicy(("hooks.intranet.test",)).check_settings({"webhook_url": "http://hooks.intranet.test/h"})
    OutboundPolicy().check_settings({"webhook_url": "https://93.184.215.14/hook"})  # a public address
    assert refusal("https://10.1.2.3/hook", OutboundPolicy(("192.168.0.0/16",))) == "private_address"
    # Every witness in a comma-separated list is checked.
    assert refusal("https://93.184.215.14/w, https://127.0.0.1/w", field="witness_webhook") == "private_address"


def test_saving_refuses_from_the_service_and_the_cli_and_keeps_the_old_value(core: Juece, tmp_path: Path) -> None:
    with pytest.raises(UnsafeUrl):
        admin.update_org_settings(core, "古塘街道", {"webhook_url": "http://127.0.0.1:9/hook"})
    with pytest.raises(UnsafeUrl):
        admin.ensure_org(core, "新办", {"witness_webhook": "https://169.254.169.254/"})
    settings = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://", secret_key="t")
    result = CliRunner().invoke(main, ["office", "set", "古塘街道", "webhook_url=https://127.0.0.1/hook"],
                                obj=Ctx(settings))
    assert result.exit_code == 1 and "unsafe_url" in result.output
    allowed = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://", secret_key="t",
                       outbound_allow=("127.0.0.1",))
    result = CliRunner().invoke(main, ["office", "set", "古塘街道", "webhook_url=http://127.0.0.1:9/hook"],
                                obj=Ctx(allowed))
    assert result.exit_code == 0, result.output
    assert admin.update_org_settings(core, "古塘街道", {})["webhook_url"] == "http://127.0.0.1:9/hook"


def test_delivery_to_a_local_server_is_refused_by_default_and_allowed_through_the_list(receiver: str) -> None:
    with pytest.raises(DeliveryError) as refused:
        send_webhook(claim(receiver), "", deadline=lease_end())
    assert "refused" in str(refused.value) and not refused.value.unknown_outcome
    assert _Receiver.received == []  # not a byte reached it
    send_webhook(claim(receiver), "", policy=LOCAL, deadline=lease_end())
    assert len(_Receiver.received) == 1


def test_the_name_is_resolved_again_at_delivery(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    port = int(receiver.rsplit(":", 1)[1].split("/")[0])
    target = f"https://hooks.gutang.test:{port}/hook"
    OutboundPolicy().check_settings({"webhook_url": target})  # does not resolve today: accepted
    real = socket.getaddrinfo

    def rebound(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "hooks.gutang.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)  # now it points into this machine
    with pytest.raises(DeliveryError, match="127.0.0.1"):
        send_webhook(claim(target), "", deadline=lease_end())
    assert _Receiver.received == []


def test_the_address_actually_reached_is_checked(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    port = int(receiver.rsplit(":", 1)[1].split("/")[0])
    real, answers = socket.getaddrinfo, iter(["93.184.215.14"])

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        # A public address for the check, then this machine for the connection (DNS rebinding).
        return real(next(answers, "127.0.0.1") if host == "rebind.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(DeliveryError, match="127.0.0.1") as refused:
        send_webhook(claim(f"https://rebind.test:{port}/hook"), "", deadline=lease_end())  # refused before the TLS handshake
    assert not refused.value.unknown_outcome and _Receiver.received == []


def test_redirects_are_not_followed(receiver: str) -> None:
    _Receiver.redirect_to = receiver.replace("/hook", "/elsewhere")
    with pytest.raises(DeliveryError, match="302"):
        send_webhook(claim(receiver), "", policy=LOCAL, deadline=lease_end())
    assert [path for path, _ in _Receiver.received] == ["/hook"]


def test_dingtalk_markdown_carries_no_link_or_image_syntax(receiver: str) -> None:
    sent = claim(receiver, subject="【提醒】[点此领取](https://evil.example/x)",
                 body="![跟踪](https://evil.example/pixel.png) <a href=x>链接</a> 第二行")
    send_webhook(sent, "", "dingtalk", policy=LOCAL, deadline=lease_end())
    markdown = json.loads(_Receiver.received[0][1])["markdown"]
    for text in (markdown["title"], markdown["text"]):
        assert not set("[]()<>!") & set(text)
    assert "点此领取" in markdown["text"] and "第二行" in markdown["text"]

