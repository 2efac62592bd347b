"""Bad and unusual queries: malformed packets are answered FORMERR or
dropped and the daemon keeps serving; responses are never answered;
opcodes other than QUERY get NOTIMP; EDNS versions above 0 get BADVERS."""

import struct

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import pytest

from helpers import frame, tcp_read_frames

QID = 0x4d47


def header(qdcount=1, flags=0x0100, arcount=0):
    return struct.pack('!HHHHHH', QID, flags, qdcount, 0, 0, arcount)


def qname(*labels):
    return b''.join(bytes([len(x)]) + x for x in labels) + b'\x00'


A_IN = struct.pack('!HH', 1, 1)

MALFORMED = {
    'truncated_header': header()[:5],
    'header_only_with_qdcount_1': header(),
    'garbage_after_header': header() + b'\x3f\xde\xad\xbe\xef',
    'question_without_type': header() + qname(b'www', b'plain', b'test'),
    'bad_label_type': header() + b'\x41' + b'x' * 20 + b'\x00' + A_IN,
    'compression_loop': header() + b'\xc0\x0c' + A_IN,
    'pointer_out_of_packet': header() + b'\xc3\xff' + A_IN,
    'name_over_255': header() + qname(*[b'a' * 63] * 5) + A_IN,
    'two_questions': header(qdcount=2) + (qname(b'www', b'plain', b'test') + A_IN) * 2,
    'arcount_without_records': header(arcount=1) + qname(b'www', b'plain', b'test') + A_IN,
}


def assert_formerr_or_nothing(reply):
    if reply is None:
        return
    assert len(reply) >= 12, 'short reply %r' % reply
    rid, flags = struct.unpack('!HH', reply[:4])
    assert flags & 0x8000, 'reply without QR'
    assert flags & 0x000f == dns.rcode.FORMERR, 'rcode %s' % dns.rcode.to_text(flags & 0xf)


def assert_still_serving(resolver, facts):
    p = facts['plain']
    r = resolver.query(p['name'], 'A', timeout=3)
    assert r.rcode() == dns.rcode.NOERROR and r.answer


@pytest.mark.parametrize('kind', sorted(MALFORMED))
def test_malformed_udp(resolver, facts, kind):
    assert_formerr_or_nothing(resolver.raw_udp(MALFORMED[kind], timeout=1.0))
    assert_still_serving(resolver, facts)


@pytest.mark.parametrize('kind', ['garbage_after_header', 'bad_label_type',
                                  'compression_loop'])
def test_malformed_tcp(resolver, facts, kind):
    with resolver.tcp_connect() as s:
        s.sendall(frame(MALFORMED[kind]))
        frames = tcp_read_frames(s, 1, timeout=1.0)
    assert_formerr_or_nothing(frames[0] if frames else None)
    assert_still_serving(resolver, facts)


def test_response_is_not_answered(resolver, facts):
    """A packet with QR=1 must be dropped (no reply loops, RFC 1035 §4.1.1)."""
    q = dns.message.make_query(facts['plain']['name'], 'A')
    q.flags |= dns.flags.QR
    assert resolver.raw_udp(q.to_wire(), timeout=1.0) is None
    assert_still_serving(resolver, facts)


def test_notify_gets_notimp(resolver, facts):
    q = dns.message.make_query(facts['plain']['zone'], 'SOA')
    q.set_opcode(dns.opcode.NOTIFY)
    q.flags = (q.flags & ~dns.flags.RD) | dns.flags.AA
    r = resolver.send(q, timeout=3)
    assert r.rcode() == dns.rcode.NOTIMP, dns.rcode.to_text(r.rcode())
    assert r.id == q.id
    assert_still_serving(resolver, facts)


def test_edns_version_1_gets_badvers(resolver, facts):
    """RFC 6891 §6.1.3: BADVERS, and the version we do speak (0)."""
    r = resolver.query(facts['plain']['name'], 'A', edns=1, timeout=3)
    assert r.rcode() == dns.rcode.BADVERS, dns.rcode.to_text(r.rcode())
    assert r.edns == 0
    assert not r.answer
    assert_still_serving(resolver, facts)
