"""Aggressive use of the validated cache (RFC 8198): once a signed zone has
denied some names, other names its NSEC/NSEC3 ranges cover are answered
NXDOMAIN (with AD) from the cache, even with every server stopped."""

import dns.flags
import dns.message
import dns.rcode
import pytest


def ask(resolver, name, rdtype='A'):
    q = dns.message.make_query(name, rdtype)
    q.use_edns(0, ednsflags=dns.flags.DO, payload=1232)
    return resolver.send(q, tcp=True)


@pytest.mark.parametrize('zone', ['plain.lab.', 'big.example.'], ids=['nsec', 'nsec3'])
def test_cached_denial_answers_other_names(resolver, servers_stopped, zone):
    # Learn the zone's denial ranges: missing names from a to z (and, for
    # NSEC3, as many hashes) fall into every range of the zone.
    for letter in 'abcdefghijklmnopqrstuvwxyz':
        r = ask(resolver, '%s-learn.%s' % (letter, zone))
        assert r.rcode() == dns.rcode.NXDOMAIN
        assert r.flags & dns.flags.AD
    servers_stopped()
    for letter in 'aemqz':
        name = '%s-never-asked.%s' % (letter, zone)
        r = ask(resolver, name)
        assert r.rcode() == dns.rcode.NXDOMAIN, (name, dns.rcode.to_text(r.rcode()))
        assert r.flags & dns.flags.AD


def test_off_means_asking(make_resolver, servers_stopped):
    resolver = make_resolver({'aggressive-nsec': 'no'})
    for letter in 'abcdefghijklmnopqrstuvwxyz':
        assert ask(resolver, '%s-learn.plain.lab.' % letter).rcode() == dns.rcode.NXDOMAIN
    servers_stopped()
    r = ask(resolver, 'm-never-asked.plain.lab.')
    assert r.rcode() == dns.rcode.SERVFAIL
