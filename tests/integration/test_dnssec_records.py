"""DNSSEC records in replies (RFC 4035 §3.2.1): a client that sets DO gets
the RRSIGs of the answer and the signed denial of a negative answer; a
client that does not gets neither, from the same cache."""

import dns.rcode
import dns.rdatatype
import pytest

import mini_internet

FACTS = mini_internet.facts()


def types_in(section):
    return sorted({dns.rdatatype.to_text(rrset.rdtype) for rrset in section})


@pytest.mark.parametrize('order', ['plain-first', 'do-first'])
def test_rrsigs_only_with_do(resolver, facts, order):
    p = facts['plain']
    first, second = (False, True) if order == 'plain-first' else (True, False)
    answers = {}
    for dnssec in (first, second):
        answers[dnssec] = resolver.query(p['name'], 'A', dnssec=dnssec)
    assert types_in(answers[True].answer) == ['A', 'RRSIG']
    assert types_in(answers[False].answer) == ['A']


@pytest.mark.parametrize('case', FACTS['nxdomain'][:2], ids=lambda c: c['name'])
def test_signed_denial_only_with_do(resolver, case):
    # Over TCP: an RSA-signed NSEC3 denial may not fit in 1232 bytes.
    with_do = resolver.query(case['name'], 'A', dnssec=True, tcp=True)
    assert with_do.rcode() == dns.rcode.NXDOMAIN
    kinds = types_in(with_do.authority)
    assert 'SOA' in kinds and 'RRSIG' in kinds
    assert 'NSEC' in kinds or 'NSEC3' in kinds
    without = resolver.query(case['name'], 'A', dnssec=False)
    assert without.rcode() == dns.rcode.NXDOMAIN
    assert types_in(without.authority) == ['SOA']


def test_asking_for_rrsig_type_gets_it_without_do(resolver, facts):
    """Without DO, a record of the type asked for is still an answer."""
    p = facts['plain']
    r = resolver.query(p['name'], 'RRSIG', dnssec=False)
    assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.SERVFAIL)
    if r.rcode() == dns.rcode.NOERROR and r.answer:
        assert types_in(r.answer) == ['RRSIG']
