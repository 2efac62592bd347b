"""Clients over IPv6: the daemon listens on ::1 as well as 127.0.0.1 and
answers over UDP and TCP there (upstream stays IPv4: the mini-Internet has
no IPv6 servers)."""

import socket

import dns.message
import dns.query
import dns.rcode
import pytest

from helpers import rdata_of, QUERY_TIMEOUT


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(('::1', 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize('tcp', [False, True], ids=['udp', 'tcp'])
def test_answers_on_ipv6_loopback(make_resolver, facts, tcp):
    if not have_ipv6_loopback():
        pytest.fail('no ::1 in the test namespace: IPv6 is disabled on this kernel')
    resolver = make_resolver({'interface': ['127.0.0.1', '::1']})
    p = facts['plain']
    q = dns.message.make_query(p['name'], 'A', use_edns=0)
    send = dns.query.tcp if tcp else dns.query.udp
    r = send(q, '::1', port=53, timeout=QUERY_TIMEOUT)
    assert r.rcode() == dns.rcode.NOERROR
    assert rdata_of(r, p['name'], 'A') == sorted(p['A'])
    # The same daemon, the same cache, over IPv4.
    r4 = resolver.query(p['name'], 'A')
    assert rdata_of(r4, p['name'], 'A') == sorted(p['A'])
