"""The cache: answers survive every authoritative server going away, and
TTLs count down (RFC 1035 §3.2.1, RFC 2308 §5 for negative answers)."""

import time

import dns.rcode

from helpers import rrset_texts, ttls_of


def test_cache_hit_without_any_server(resolver, facts, servers_stopped):
    p = facts['plain']
    questions = [(p['name'], 'A'), (p['name'], 'MX'),
                 (facts['cname_chain']['name'], 'A'), (facts['dname']['name'], 'A')]
    first = {}
    for q in questions:
        r = resolver.query(*q)
        assert r.rcode() == dns.rcode.NOERROR and r.answer, q
        first[q] = rrset_texts(r)
    servers_stopped()
    for q in questions:
        r = resolver.query(*q, timeout=2)
        assert r.rcode() == dns.rcode.NOERROR, (q, dns.rcode.to_text(r.rcode()))
        assert rrset_texts(r) == first[q], q


def test_negative_cache_hit_without_any_server(resolver, facts, servers_stopped):
    nx = facts['nxdomain'][0]
    nodata = facts['nodata'][0]
    r = resolver.query(nx['name'], 'A')
    assert r.rcode() == dns.rcode.NXDOMAIN
    r = resolver.query(nodata['name'], nodata['type'])
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    servers_stopped()
    r = resolver.query(nx['name'], 'A', timeout=2)
    assert r.rcode() == dns.rcode.NXDOMAIN
    r = resolver.query(nodata['name'], nodata['type'], timeout=2)
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert rrset_texts(r, 'authority'), 'NODATA from cache without its SOA'


def test_ttl_counts_down(resolver, facts):
    t = facts['ttl']
    r = resolver.query(t['name'], t['type'])
    assert sorted(rr.to_text() for rs in r.answer for rr in rs) == sorted(t['rdata'])
    (ttl1,) = ttls_of(r, t['name'], t['type'])
    assert t['ttl'] - 2 <= ttl1 <= t['ttl']
    time.sleep(2.1)
    r = resolver.query(t['name'], t['type'])
    (ttl2,) = ttls_of(r, t['name'], t['type'])
    assert 2 <= ttl1 - ttl2 <= 3, 'TTL went from %d to %d in 2.1 s' % (ttl1, ttl2)
