"""EDNS on the replies to clients (RFC 6891): a query with an OPT gets one
back with our UDP payload size (edns-buffer-size) and the DO bit echoed
(RFC 3225 §3); a query without gets none; over UDP a reply never exceeds
what the client can take: 512 bytes without EDNS (RFC 1035 §4.2.1), else
the smaller of its advertised size (at least 512, RFC 6891 §6.2.5) and
edns-buffer-size; what does not fit is truncated (TC=1). Both the answer
of a fresh resolution and the cache hit that follows are checked."""

import socket
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from helpers import rdata_of


def udp_exchange(r, q, timeout=5.0):
    """Send q over UDP; the reply's raw bytes (their real size on the wire)."""
    wire = q.to_wire()
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((r.addr, 0))
        s.sendto(wire, (r.addr, 53))
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            data = s.recv(65535)  # socket.timeout ends the test
            if data[:2] == wire[:2]:
                return data


def query(name, rdtype, *, payload=None, dnssec=False):
    """A recursive query; payload None: without EDNS."""
    q = dns.message.make_query(name, rdtype)
    if payload is not None:
        q.use_edns(0, ednsflags=dns.flags.DO if dnssec else 0, payload=payload)
    return q


def arcount(wire):
    return int.from_bytes(wire[10:12], 'big')


def has_rrsig(msg):
    return any(rs.rdtype == dns.rdatatype.RRSIG for rs in msg.answer)


@pytest.mark.parametrize('ours', [1232, 1400])
def test_opt_has_our_size_and_echoes_do(make_resolver, facts, ours):
    r = make_resolver({'edns-buffer-size': str(ours)})
    p = facts['plain']
    for dnssec in (False, True, False):  # fresh, then cached with and without DO
        for payload in (512, 1232, 4096):
            wire = udp_exchange(r, query(p['name'], 'A', payload=payload, dnssec=dnssec))
            a = dns.message.from_wire(wire)
            what = 'client payload %d, DO %s' % (payload, dnssec)
            assert a.rcode() == dns.rcode.NOERROR, what
            assert rdata_of(a, p['name'], 'A') == sorted(p['A']), what
            assert a.edns == 0, 'no OPT in the reply (%s)' % what
            assert a.payload == ours, '%s: payload %d, want %d' % (what, a.payload, ours)
            assert bool(a.ednsflags & dns.flags.DO) == dnssec, 'DO not echoed (%s)' % what


def test_rrsigs_only_with_do(resolver, facts):
    """RFC 4035 §3.2.1: RRSIGs go to clients that set DO, and only to them."""
    p = facts['plain']
    for dnssec in (True, False, True):
        a = dns.message.from_wire(udp_exchange(
            resolver, query(p['name'], 'A', payload=1232, dnssec=dnssec)))
        assert has_rrsig(a) == dnssec, 'DO %s, RRSIG in answer %s' % (dnssec, has_rrsig(a))


def test_no_opt_without_edns(resolver, facts):
    p = facts['plain']
    cases = [(p['name'], 'A', dns.rcode.NOERROR), (p['name'], 'A', dns.rcode.NOERROR),
             (facts['nxdomain'][0]['name'], 'A', dns.rcode.NXDOMAIN)]
    for name, rdtype, rcode in cases:
        wire = udp_exchange(resolver, query(name, rdtype))
        a = dns.message.from_wire(wire)
        assert a.rcode() == rcode, (name, dns.rcode.to_text(a.rcode()))
        assert a.edns == -1, 'OPT in a reply to a query without EDNS (%s)' % name
        assert arcount(wire) == 0, name
        assert not has_rrsig(a)


def test_big_txt_without_edns_is_truncated_at_512(resolver, facts):
    name = facts['big_txt']['name']
    for _ in range(2):  # fresh, then from the cache
        wire = udp_exchange(resolver, query(name, 'TXT'))
        a = dns.message.from_wire(wire)
        assert a.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(a.rcode())
        assert len(wire) <= 512, '%d bytes to a client without EDNS' % len(wire)
        assert a.flags & dns.flags.TC
        assert a.edns == -1


@pytest.mark.parametrize('ours', [1232, 4096])
def test_udp_reply_never_exceeds_the_limit(make_resolver, facts, ours):
    """The big TXT (about 1.4 kB, more with its RRSIG) fits only when both
    sides allow 4096; otherwise it is truncated to fit the smaller size."""
    r = make_resolver({'edns-buffer-size': str(ours)})
    b = facts['big_txt']
    for dnssec in (False, True):
        for advertised in (100, 512, 1232, 4096, 1232):
            limit = min(ours, max(512, advertised))
            wire = udp_exchange(r, query(b['name'], 'TXT', payload=advertised, dnssec=dnssec))
            a = dns.message.from_wire(wire)
            what = 'ours %d, advertised %d, DO %s: %d bytes' % (ours, advertised, dnssec,
                                                               len(wire))
            assert a.rcode() == dns.rcode.NOERROR, what
            assert len(wire) <= limit, what
            if limit <= 1232:
                assert a.flags & dns.flags.TC, what
            else:
                assert not a.flags & dns.flags.TC, what
                got = sorted(b''.join(rd.strings).decode() for rs in a.answer
                             if rs.rdtype == dns.rdatatype.TXT for rd in rs)
                assert got == sorted(b['strings']), what
                assert has_rrsig(a) == dnssec, what
