"""Where juece may send: the rule for webhook URLs, checked when an office saves one and again at delivery.

An office's administrator types a URL; the worker then POSTs to it from inside the network. Without
this rule that is a way to reach the database, the cloud metadata service or an intranet page
(server-side request forgery). So a webhook must be ``https`` and resolve to public addresses only;
``http`` and private, loopback, link-local, reserved or multicast addresses are allowed only for hosts,
addresses or networks named in ``JUECE_OUTBOUND_ALLOW`` (e.g. an intranet DingTalk relay, a test server).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from workflow.engine.errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Office settings that hold webhook URLs (``witness_webhook`` holds several, comma-separated).
URL_SETTINGS = ("webhook_url", "witness_webhook")


class UnsafeUrl(InvalidInput):
    """A webhook URL juece will not call; ``details['reason']`` says why, ``details['field']`` names the setting."""

    code = "unsafe_url"


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """The allow-list of ``JUECE_OUTBOUND_ALLOW``: host names, addresses and networks (CIDR)."""

    allow: tuple[str, ...] = ()

    def host_allowed(self, host: str) -> bool:
        """Whether ``host`` (a name or a literal address) is named in the allow-list or inside an allowed network."""
        host = host.strip("[]").lower().rstrip(".")
        if host in {a.lower().rstrip(".") for a in self.allow}:
            return True
        address = _address(host)
        return address is not None and self.address_allowed(address)

    def address_allowed(self, address: Address) -> bool:
        """Whether ``address`` is inside an allowed address or network."""
        for entry in self.allow:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if address.version == network.version and address in network:
                return True
        return False

    def check_address(self, host: str, text: str, field: str = "webhook_url") -> None:
        """Refuse an address that is not public unless the host or the address is allowed."""
        address = _address(text)
        if address is None or self.host_allowed(host) or self.address_allowed(address):
            return
        if address.is_global and not address.is_multicast:
            return
        raise _refused(field, "private_address",
                       f"{host} 解析为内网、本机、链路本地或保留地址 {address}（如确需使用，请将其列入 JUECE_OUTBOUND_ALLOW）",
                       f"{host} resolves to the private, loopback, link-local or reserved address {address} "
                       "(list it in JUECE_OUTBOUND_ALLOW if it is meant)")

    def check_url(self, url: str, field: str = "webhook_url", resolve: bool = True) -> urllib.parse.SplitResult:
        """The URL parsed, after its scheme, host and (``resolve``) every address it resolves to are checked."""
        try:
            parts = urllib.parse.urlsplit(url.strip())
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise _refused(field, "malformed", f"网址无效：{url}", f"not a valid URL: {url}") from None
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host:
            raise _refused(field, "malformed", f"网址应以 https:// 开头：{url}", f"the URL must start with https://: {url}")
        if parts.scheme == "http" and not self.host_allowed(host):
            raise _refused(field, "not_https", f"网址须使用 https（http 只用于 JUECE_OUTBOUND_ALLOW 列出的主机）：{url}",
                           f"the URL must use https (http only to hosts listed in JUECE_OUTBOUND_ALLOW): {url}")
        if _address(host) is not None:
            self.check_address(host, host, field)
        elif resolve:
            for text in resolve_host(host, port):
                self.check_address(host, text, field)
        return parts

    def check_settings(self, settings: Mapping[str, object]) -> None:
        """Check every webhook URL in office settings before they are saved (a name that does not resolve yet
        passes: it is resolved again at every delivery)."""
        for field in URL_SETTINGS:
            for url in str(settings.get(field) or "").split(","):
                if url.strip():
                    self.check_url(url, field)


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def _refused(field: str, reason: str, zh: str, en: str) -> UnsafeUrl:
    return UnsafeUrl(f"设置“{field}”：{zh}", f"setting '{field}': {en}", details={"field": field, "reason": reason})
