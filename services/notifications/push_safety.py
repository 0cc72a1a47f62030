"""Which push endpoints the service calls (the HTTP session that connects only to addresses checked here is
push_session.py's).

A subscription's endpoint comes from whoever calls the API, so without these checks it
aims the push worker at anything the worker can reach: loopback, the cluster's private
addresses, a cloud's metadata service. The host is read the way the operating system
reads it (`getaddrinfo`: `2130706433`, `0x7f000001`, `127.1` and `0177.0.0.1` are all
127.0.0.1, `0` is 0.0.0.0), every address it gives must be a public unicast one (an IPv6
address that carries an IPv4 one is judged by that too), and the connection goes to the
address that was checked, so a DNS answer that changes between the check and the connect
(rebinding) moves nothing. TLS still names the host: SNI, the certificate check and the
Host header are the endpoint's.

`PUSH_ALLOWED_HOSTS` lists `host:port` pairs (or a bare `host`, any port) exempt from the
address rule and allowed plain HTTP: a local push receiver for tests and demos. It is
empty by default, and matched on the endpoint's host as written (`127.0.0.1:8080` does
not let `2130706433:8080` through).
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse

NOT_PUBLIC = "The endpoint must be a public push service."
NOT_HTTPS = "The endpoint must be an https URL."
NOT_NAMED = "The endpoint must name its push service by host name or IPv4 address."
LOCAL_SUFFIXES = (".localhost", ".local", ".internal")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class EndpointRefused(ValueError):
    """A push endpoint the service will not call."""


class AddressRefused(EndpointRefused):
    """The endpoint's host resolves to an address that is not public."""


def allowed_hosts(settings: dict) -> frozenset[str]:
    entries = settings.get("PUSH_ALLOWED_HOSTS") or ()
    if isinstance(entries, str):
        entries = entries.split(",")
    return frozenset(entry.strip().lower() for entry in entries if entry.strip())


def is_exempt(host: str, port: int, allowed: frozenset[str]) -> bool:
    written = f"[{host}]" if ":" in host else host
    return written in allowed or f"{written}:{port}" in allowed


def check_address(text: str) -> None:
    """Refuse any address that is not public unicast: loopback, private, link-local, shared (CGNAT),
    multicast, reserved, unspecified, documentation, site-local, and IPv6 forms of such IPv4 addresses."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError as exc:
        raise AddressRefused(NOT_PUBLIC) from exc
    embedded: list[ipaddress.IPv4Address] = []
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            embedded.append(address.ipv4_mapped)
        if address.sixtofour:
            embedded.append(address.sixtofour)
        if address.teredo:
            embedded.extend(address.teredo)
        if address in NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.is_site_local:
            raise AddressRefused(NOT_PUBLIC)
    for candidate in (address, *embedded):
        if (not candidate.is_global or candidate.is_multicast or candidate.is_reserved or candidate.is_loopback
                or candidate.is_link_local or candidate.is_private or candidate.is_unspecified):
            raise AddressRefused(NOT_PUBLIC)


def resolve_public(host: str, port: int) -> list[tuple]:
    """`getaddrinfo`'s answers for the host, every one of them checked (one internal answer refuses the
    host). `socket.gaierror` when it does not resolve."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in answers:
        check_address(sockaddr[0])
    return answers


def check_endpoint(url: str, allowed: frozenset[str], *, resolve: bool = True) -> str:
    """The endpoint if the service may call it, else `EndpointRefused`.

    With `resolve`, the host's addresses are checked now too; a host that does not resolve
    (yet) is not refused here, since nothing is known against it: the send resolves again,
    checks and connects to the checked address, and refuses then."""
    parsed = urlparse(url)
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError as exc:
        raise EndpointRefused(NOT_HTTPS) from exc
    if parsed.scheme not in ("https", "http") or not parsed.hostname or parsed.username or parsed.password:
        raise EndpointRefused(NOT_HTTPS)
    host = parsed.hostname.lower()
    if is_exempt(host, port, allowed):
        return url
    if parsed.scheme != "https":
        raise EndpointRefused(NOT_HTTPS)
    if host == "localhost" or host.endswith(LOCAL_SUFFIXES):
        raise EndpointRefused(NOT_PUBLIC)
    if ":" in host:
        check_address(host)
        raise EndpointRefused(NOT_NAMED)  # VAPID's audience claim cannot name an IPv6 literal
    if host.replace(".", "").isdigit():
        check_address(host)  # a dotted address (the odd numeric forms go through getaddrinfo below)
    if resolve:
        try:
            resolve_public(host, port)
        except (socket.gaierror, UnicodeError):
            pass
    return url
