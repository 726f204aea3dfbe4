"""Channels: e-mail over SMTP and webhooks (plain JSON signed with HMAC-SHA256, or a DingTalk robot).

Each send carries the delivery's key qualified by the installation (``Message-ID`` derived from it,
``X-Juece-Idempotency-Key``), the same on every attempt, so a receiver can recognise a repeat. Each
channel tells the caller when the whole message is handed over (``handed_over``) and, for e-mail,
as soon as the server has accepted it (``accepted``, before QUIT). Any failure raises
``DeliveryError`` with a readable reason, and says whether the receiver may have the message anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import http.client
import json
import re
import smtplib
import socket
import time
import urllib.parse
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from config import Settings
from workflow.notices.outbound import OutboundPolicy, UnsafeUrl
from workflow.notices.outbox import Claim


class DeliveryError(Exception):
    """A send that did not go through; the message says why.

    ``unknown_outcome``: the message was handed over and no answer came (a timeout, a dropped
    connection), so the receiver may have it; a retry sends it again under the same key.
    """

    def __init__(self, message: str, unknown_outcome: bool = False) -> None:
        super().__init__(message)
        self.unknown_outcome = unknown_outcome


def _nothing() -> None:
    pass


def message_id(settings: Settings, claim: Claim) -> str:
    """The same on every attempt of one delivery; different for every other delivery and installation."""
    sender = parseaddr(settings.smtp_from)[1]
    domain = sender.rpartition("@")[2] if "@" in sender else "juece.invalid"
    return f"<{hashlib.sha256(claim.wire_key.encode()).hexdigest()[:32]}@{domain}>"


def compose_email(settings: Settings, claim: Claim) -> EmailMessage:
    """The e-mail of a delivery: plain text + HTML, Chinese subject, its Message-ID and key."""
    message = EmailMessage()
    message["Subject"] = claim.subject
    message["From"] = settings.smtp_from
    message["To"] = claim.target
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(settings, claim)
    message["X-Juece-Idempotency-Key"] = claim.wire_key
    message.set_content(claim.body)
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in claim.body.splitlines() if line)
    message.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    return message


class _Conversation(smtplib.SMTP):
    """smtplib's SMTP with a time budget per step, and a hook just before the end of DATA leaves.

    Every command gets ``step`` seconds, never past ``deadline`` (monotonic; the lease's end less a
    margin, so no other worker is handed the delivery while this one may still send). The answer to
    the end of DATA may take all the time left: giving up on it early only makes a duplicate likelier.
    """

    def __init__(self, step: float, deadline: float, handed_over: Callable[[], None]) -> None:
        self.step, self.deadline, self.on_handed_over = step, deadline, handed_over
        self.handed, self.answered = False, False
        super().__init__(timeout=self.budget())

    def budget(self, final: bool = False) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise smtplib.SMTPException("the delivery's lease ran out before the server answered")
        return left if final else min(self.step, left)

    def send(self, s: Any) -> None:
        if self.sock is not None:
            self.sock.settimeout(self.budget())
        super().send(s)

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = re.sub(rb"(?m)^\.", b"..", msg if isinstance(msg, bytes) else msg.encode("ascii"))
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.on_handed_over()  # recorded first: from the final dot on, the server may keep the message
        self.handed = True
        self.send(body + b".\r\n")
        assert self.sock is not None
        self.sock.settimeout(self.budget(final=True))
        code, reply = self.getreply()
        self.answered = True
        return code, reply


def send_email(settings: Settings, claim: Claim, *, deadline: float,
               handed_over: Callable[[], None] = _nothing, accepted: Callable[[], None] = _nothing) -> None:
    """Send a plain-text + HTML e-mail with a Chinese subject; ``accepted`` runs on the server's 250, before QUIT."""
    if not settings.smtp_host:
        raise DeliveryError("SMTP 未配置 / no SMTP server configured (JUECE_SMTP_HOST)")
    message = compose_email(settings, claim)
    smtp: _Conversation | None = None
    try:
        smtp = _Conversation(settings.smtp_timeout_seconds, deadline, handed_over)
        smtp.connect(settings.smtp_host, settings.smtp_port)
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        if smtp is not None:
            smtp.close()
        unknown = smtp is not None and smtp.handed and not smtp.answered
        raise DeliveryError(f"SMTP: {exc}" + ("（已交出，未获应答 / handed over, no answer: outcome unknown）"
                                              if unknown else ""), unknown_outcome=unknown) from exc
    try:
        accepted()  # the server holds the message now: record that before anything else can go wrong
    finally:
        try:
            smtp.quit()  # courtesy only: the message is the server's from its 250 on
        except (smtplib.SMTPException, OSError):
            pass
        smtp.close()


def _dingtalk_url(url: str, secret: str) -> str:
    """DingTalk robot signing: timestamp + HMAC-SHA256 of 'timestamp\\nsecret', in the query string."""
    if not secret:
        return url
    stamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


#: Markdown link and image syntax turned into full-width look-alikes: a title typed by anyone cannot
#: become a link (or an image fetched by every reader's phone) in the office's DingTalk group.
_MARKDOWN_LINKS = str.maketrans({"[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞", "!": "！"})


def dingtalk_text(text: str) -> str:
    """``text`` safe to put into a DingTalk markdown message: no link, image or HTML syntax survives."""
    return text.translate(_MARKDOWN_LINKS)


class _PeerChecked(http.client.HTTPConnection):
    """A connection that checks the address it actually reached before a byte is sent (a second DNS
    answer, different from the one checked, cannot point the request into the intranet)."""

    policy: OutboundPolicy = OutboundPolicy()

    def connect(self) -> None:
        super().connect()
        self.policy.check_address(self.host, str(self.sock.getpeername()[0]))


class _PeerCheckedTLS(http.client.HTTPSConnection, _PeerChecked):
    """HTTPS whose TCP connection is checked like ``_PeerChecked`` before the TLS handshake."""


def _post(url: str, data: bytes, headers: dict[str, str], timeout: float, policy: OutboundPolicy,
          handed_over: Callable[[], None]) -> int:
    """POST once without following redirects; the URL is checked and its name resolved again now."""
    try:
        parts = policy.check_url(url)
    except UnsafeUrl as exc:
        raise DeliveryError(f"webhook refused: {exc.en}") from exc
    cls = _PeerCheckedTLS if parts.scheme == "https" else _PeerChecked
    conn = cls(parts.hostname or "", parts.port, timeout=timeout)
    conn.policy = policy
    handed_over()
    try:
        conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body=data,
                     headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def send_webhook(claim: Claim, secret: str, fmt: str = "json", *, policy: OutboundPolicy | None = None,
                 deadline: float, handed_over: Callable[[], None] = _nothing) -> None:
    """POST the notification as JSON signed with HMAC-SHA256, or as a DingTalk robot markdown message.

    ``policy`` says which hosts beyond public https ones may be called (none by default); redirects are
    never followed.
    """
    if fmt == "dingtalk":
        title = dingtalk_text(claim.subject)
        body = {"msgtype": "markdown", "markdown": {"title": title,
                                                    "text": f"#### {title}\n\n{dingtalk_text(claim.body)}"}}
        url = _dingtalk_url(claim.target, secret)
        headers: dict[str, str] = {}
    else:
        # The key is in the signed body too, so a receiver can trust what it deduplicates on.
        body = {"subject": claim.subject, "text": claim.body, "data": claim.payload,
                "idempotency_key": claim.wire_key}
        url = claim.target
        headers = {}
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    if fmt != "dingtalk" and secret:
        headers["X-Juece-Signature"] = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    headers |= {"Content-Type": "application/json; charset=utf-8", "X-Juece-Idempotency-Key": claim.wire_key}
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeliveryError("webhook: the delivery's lease ran out before sending")
    try:
        status = _post(url, data, headers, min(15.0, left), policy or OutboundPolicy(), handed_over)
    except UnsafeUrl as exc:  # the address reached was not the one allowed: nothing was sent
        raise DeliveryError(f"webhook refused: {exc.en}") from exc
    except (http.client.HTTPException, OSError) as exc:
        # Refused or unresolvable: nothing arrived. Anything else (a timeout, a reset) may follow the request.
        unknown = not isinstance(exc, ConnectionRefusedError | socket.gaierror)
        raise DeliveryError(f"webhook: {exc}", unknown_outcome=unknown) from exc
    if 300 <= status < 400:
        raise DeliveryError(f"webhook answered HTTP {status} (redirects are not followed)")
    if status >= 300:
        raise DeliveryError(f"webhook answered HTTP {status}")
