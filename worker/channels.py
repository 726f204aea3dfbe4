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
import json
import re
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from config import Settings
from workflow.outbox import Claim

#: Without a lease to respect (direct calls), how long a send may take in all.
DEFAULT_BUDGET = 60.0


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


def send_email(settings: Settings, claim: Claim, *, deadline: float | None = None,
               handed_over: Callable[[], None] = _nothing, accepted: Callable[[], None] = _nothing) -> None:
    """Send a plain-text + HTML e-mail with a Chinese subject; ``accepted`` runs on the server's 250, before QUIT."""
    if not settings.smtp_host:
        raise DeliveryError("SMTP 未配置 / no SMTP server configured (JUECE_SMTP_HOST)")
    message = compose_email(settings, claim)
    smtp: _Conversation | None = None
    try:
        smtp = _Conversation(settings.smtp_timeout_seconds,
                             deadline if deadline is not None else time.monotonic() + DEFAULT_BUDGET, handed_over)
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


def send_webhook(claim: Claim, secret: str, fmt: str = "json", *, deadline: float | None = None,
                 handed_over: Callable[[], None] = _nothing) -> None:
    """POST the notification as JSON signed with HMAC-SHA256, or as a DingTalk robot markdown message."""
    if fmt == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": claim.subject,
                                                    "text": f"#### {claim.subject}\n\n{claim.body}"}}
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
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    left = (deadline if deadline is not None else time.monotonic() + DEFAULT_BUDGET) - time.monotonic()
    if left <= 0:
        raise DeliveryError("webhook: the delivery's lease ran out before sending")
    handed_over()
    try:
        with urllib.request.urlopen(request, timeout=min(15.0, left)) as response:  # noqa: S310 - office-configured URL
            if response.status >= 300:
                raise DeliveryError(f"webhook answered HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        # Refused or unresolvable: nothing arrived. Anything else (a timeout, a reset) may follow the request.
        unknown = not isinstance(reason, ConnectionRefusedError | socket.gaierror)
        raise DeliveryError(f"webhook: {exc}", unknown_outcome=unknown) from exc
