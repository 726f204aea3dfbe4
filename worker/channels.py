"""Channels: e-mail over SMTP and webhooks (plain JSON signed with HMAC-SHA256, or a DingTalk robot).

Each send carries the delivery's idempotency key (``Message-ID`` / ``X-Juece-Idempotency-Key``) so a
receiver can recognise a repeat. Any failure raises ``DeliveryError`` with a readable reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate

from config import Settings
from workflow.outbox import Claim


class DeliveryError(Exception):
    """A send that did not go through; the message says why."""


def send_email(settings: Settings, claim: Claim) -> None:
    """Send a plain-text + HTML e-mail with a Chinese subject."""
    if not settings.smtp_host:
        raise DeliveryError("SMTP 未配置 / no SMTP server configured (JUECE_SMTP_HOST)")
    message = EmailMessage()
    message["Subject"] = claim.subject
    message["From"] = settings.smtp_from
    message["To"] = claim.target
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{hashlib.sha256(claim.idempotency_key.encode()).hexdigest()[:32]}@juece>"
    message["X-Juece-Idempotency-Key"] = claim.idempotency_key
    message.set_content(claim.body)
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in claim.body.splitlines() if line)
    message.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def _dingtalk_url(url: str, secret: str) -> str:
    """DingTalk robot signing: timestamp + HMAC-SHA256 of 'timestamp\\nsecret', in the query string."""
    if not secret:
        return url
    stamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def send_webhook(claim: Claim, secret: str, fmt: str = "json") -> None:
    """POST the notification as JSON signed with HMAC-SHA256, or as a DingTalk robot markdown message."""
    if fmt == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": claim.subject,
                                                    "text": f"#### {claim.subject}\n\n{claim.body}"}}
        url = _dingtalk_url(claim.target, secret)
        headers: dict[str, str] = {}
    else:
        body = {"subject": claim.subject, "text": claim.body, "data": claim.payload,
                "idempotency_key": claim.idempotency_key}
        url = claim.target
        headers = {}
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    if fmt != "dingtalk" and secret:
        headers["X-Juece-Signature"] = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    headers |= {"Content-Type": "application/json; charset=utf-8", "X-Juece-Idempotency-Key": claim.idempotency_key}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - office-configured URL
            if response.status >= 300:
                raise DeliveryError(f"webhook answered HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"webhook: {exc}") from exc
