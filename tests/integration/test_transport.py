"""Transport: truncation over UDP and the full answer over TCP (the
resolver itself must fetch the big TXT over TCP after TC=1 upstream), and
several queries pipelined on one TCP connection (RFC 7766 §6.2.1.1)."""

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from helpers import frame, rdata_of, tcp_read_frames


def big_strings(r, name):
    return sorted(b''.join(rd.strings).decode() for rrset in r.answer
                  if rrset.name.to_text().lower() == name for rd in rrset)


def test_big_txt_over_udp_is_truncated(resolver, facts):
    name = facts['big_txt']['name']
    r = resolver.query(name, 'TXT', payload=1232)
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert r.flags & dns.flags.TC
    assert len(r.to_wire()) <= 1232


def test_big_txt_over_tcp_is_complete(resolver, facts):
    b = facts['big_txt']
    r = resolver.query(b['name'], 'TXT', tcp=True)
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert not r.flags & dns.flags.TC
    assert big_strings(r, b['name']) == sorted(b['strings'])
    assert len(r.to_wire()) > 1232


def test_big_txt_udp_then_tcp(resolver, facts):
    """A client doing what the TC bit says: the TCP retry gets it all."""
    b = facts['big_txt']
    r = resolver.query(b['name'], 'TXT')
    assert r.flags & dns.flags.TC
    r = resolver.query(b['name'], 'TXT', tcp=True)
    assert big_strings(r, b['name']) == sorted(b['strings'])


def test_tcp_pipelining(resolver, facts):
    """N framed queries sent at once on one connection; N answers, matched
    by ID, possibly out of order."""
    p = facts['plain']
    questions = [(p['name'], t) for t in ('A', 'AAAA', 'MX', 'TXT')]
    questions += [(facts['cname']['name'], 'A'), (facts['knot']['name'], 'A'),
                  (facts['glueless']['name'], 'A')]
    queries = {}
    for i, (name, rdtype) in enumerate(questions):
        q = dns.message.make_query(name, rdtype)
        q.id = 0x1000 + i
        queries[q.id] = q
    with resolver.tcp_connect() as s:
        s.sendall(b''.join(frame(q.to_wire()) for q in queries.values()))
        frames = tcp_read_frames(s, len(queries), timeout=8)
    answers = {}
    for wire in frames:
        r = dns.message.from_wire(wire)
        assert r.id in queries and r.id not in answers, 'unexpected id %d' % r.id
        answers[r.id] = r
    assert len(answers) == len(queries), 'got %d of %d answers' % (len(answers), len(queries))
    for qid, q in queries.items():
        r = answers[qid]
        assert r.question == q.question
        assert r.rcode() == dns.rcode.NOERROR
        assert r.answer
    for t in ('A', 'AAAA', 'MX', 'TXT'):
        q = next(q for q in queries.values()
                 if q.question[0].rdtype == dns.rdatatype.from_text(t)
                 and q.question[0].name.to_text() == p['name'])
        assert rdata_of(answers[q.id], p['name'], t) == sorted(p[t])
