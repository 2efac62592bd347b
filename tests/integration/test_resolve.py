"""Recursive resolution through the mini-Internet: plain records, CNAME
chains across zones, DNAME, negative answers, glueless and partly broken
delegations."""

import time

import dns.flags
import dns.rcode
import pytest

import mini_internet
from helpers import rdata_of, rrset_texts

FACTS = mini_internet.facts()


def assert_noerror(r):
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert r.flags & dns.flags.QR and r.flags & dns.flags.RA


@pytest.mark.parametrize('rdtype', ['A', 'AAAA', 'MX', 'TXT'])
def test_plain_records(resolver, facts, rdtype):
    p = facts['plain']
    r = resolver.query(p['name'], rdtype)
    assert_noerror(r)
    assert rdata_of(r, p['name'], rdtype) == sorted(p[rdtype])


def test_plain_records_over_tcp(resolver, facts):
    p = facts['plain']
    r = resolver.query(p['name'], 'A', tcp=True)
    assert_noerror(r)
    assert rdata_of(r, p['name'], 'A') == sorted(p['A'])


def test_zone_served_by_knot(resolver, facts):
    k = facts['knot']
    r = resolver.query(k['name'], 'A')
    assert_noerror(r)
    assert rdata_of(r, k['name'], 'A') == sorted(k['A'])


def test_unsigned_zone_under_optout_tld(resolver, facts):
    i = facts['insecure']
    r = resolver.query(i['name'], 'A')
    assert_noerror(r)
    assert rdata_of(r, i['name'], 'A') == sorted(i['A'])


@pytest.mark.parametrize('case', ['cname', 'cname_chain'])
def test_cname_across_zones(resolver, facts, case):
    """The answer holds every CNAME of the chain, in order, and the final A."""
    c = facts[case]
    r = resolver.query(c['name'], 'A')
    assert_noerror(r)
    chain = c['chain']
    for owner, target in zip(chain, chain[1:]):
        assert rdata_of(r, owner, 'CNAME') == [target]
    assert rdata_of(r, chain[-1], 'A') == sorted(c['A'])
    owners = [rrset.name.to_text().lower() for rrset in r.answer]
    assert owners == chain, 'answer out of chain order: %s' % owners


def test_dname(resolver, facts):
    """RFC 6672 §2.3, §3: the DNAME, the synthesised CNAME and the answer."""
    d = facts['dname']
    r = resolver.query(d['name'], 'A')
    assert_noerror(r)
    assert rdata_of(r, d['owner'], 'DNAME') == [d['target']]
    assert rdata_of(r, d['name'], 'CNAME') == [d['cname_target']]
    assert rdata_of(r, d['cname_target'], 'A') == sorted(d['A'])


def _soa_owner(r):
    soas = [k for k in rrset_texts(r, 'authority') if k[1] == 'SOA']
    return [k[0] for k in soas]


@pytest.mark.parametrize('case', FACTS['nxdomain'], ids=lambda c: c['name'])
def test_nxdomain(resolver, case):
    """RFC 2308 §2.1: NXDOMAIN with the SOA of the zone that denies it."""
    r = resolver.query(case['name'], 'A')
    assert r.rcode() == dns.rcode.NXDOMAIN, dns.rcode.to_text(r.rcode())
    assert not r.answer
    assert _soa_owner(r) == [case['zone']]


@pytest.mark.parametrize('case', FACTS['nodata'], ids=lambda c: c['name'] + c['type'])
def test_nodata(resolver, case):
    """RFC 2308 §2.2: NOERROR, empty answer, the zone's SOA in authority."""
    r = resolver.query(case['name'], case['type'])
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert not r.answer
    assert _soa_owner(r) == [case['zone']]


def test_glueless_delegation(resolver, facts):
    g = facts['glueless']
    r = resolver.query(g['name'], 'A')
    assert_noerror(r)
    assert rdata_of(r, g['name'], 'A') == sorted(g['A'])


def test_dead_and_lame_servers_are_worked_around(resolver, facts):
    """Of four NS, nothing listens on one, one never answers, one is lame
    (REFUSED), one works (and has no glue): the answer must still come,
    and within 2 s."""
    lame = facts['lame']
    t0 = time.monotonic()
    r = resolver.query(lame['name'], 'A', timeout=5)
    elapsed = time.monotonic() - t0
    assert_noerror(r)
    assert rdata_of(r, lame['name'], 'A') == sorted(lame['A'])
    assert elapsed < 2.0, 'took %.2f s' % elapsed
