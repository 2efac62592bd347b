"""DNSSEC validation against the signed mini-Internet (RFC 4035 §5, RFC 6840
§5.7): answers from signed zones validate through the test root's trust
anchor and carry AD for clients that ask with DO or AD; answers under an
unsigned delegation are insecure (no AD); CD=1 skips validation."""

import dns.flags
import dns.message
import dns.rcode
import pytest

import mini_internet

FACTS = mini_internet.facts()


def ask(resolver, name, rdtype='A', *, do=True, ad=False, cd=False, tcp=False):
    q = dns.message.make_query(name, rdtype)
    q.use_edns(0, ednsflags=dns.flags.DO if do else 0, payload=1232)
    if ad:
        q.flags |= dns.flags.AD
    if cd:
        q.flags |= dns.flags.CD
    return resolver.send(q, tcp=tcp)


def secure(r):
    return bool(r.flags & dns.flags.AD)


@pytest.mark.parametrize('key', ['plain', 'knot', 'cname', 'cname_chain', 'dname', 'glueless'])
def test_signed_answers_are_secure(resolver, facts, key):
    r = ask(resolver, facts[key]['name'], tcp=True)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer
    assert secure(r), '%s: no AD' % facts[key]['name']


@pytest.mark.parametrize('case', FACTS['nxdomain'][:3], ids=lambda c: c['name'])
def test_signed_nxdomain_is_secure(resolver, case):
    r = ask(resolver, case['name'], tcp=True)
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert secure(r)


@pytest.mark.parametrize('case', FACTS['nodata'], ids=lambda c: c['name'] + c['type'])
def test_signed_nodata_is_secure(resolver, case):
    r = ask(resolver, case['name'], case['type'], tcp=True)
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert secure(r)


def test_unsigned_delegation_is_insecure(resolver, facts):
    r = ask(resolver, facts['insecure']['name'])
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert not secure(r)


def test_ad_only_for_clients_that_ask(resolver, facts):
    """RFC 6840 §5.7: AD with DO or AD in the query, not otherwise."""
    name = facts['plain']['name']
    assert secure(ask(resolver, name, do=True))
    assert not secure(ask(resolver, name, do=False))
    assert secure(ask(resolver, name, do=False, ad=True))


def test_cd_gets_no_ad(resolver, facts):
    """RFC 4035 §3.2.2: with CD the answer is not validated, so never AD."""
    r = ask(resolver, facts['plain']['name'], cd=True)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert not secure(r)


def test_wrong_trust_anchor_makes_answers_bogus(make_resolver, facts):
    """With the real root's anchor the test root's keys match no DS: every
    signed answer is bogus, SERVFAIL with EDE 9 (DNSKEY Missing) or 6."""
    r = make_resolver({'trust-anchor-file': None, 'root-trust-anchor': 'yes'})
    a = ask(r, facts['plain']['name'])
    assert a.rcode() == dns.rcode.SERVFAIL
    codes = [o.code for o in a.options if o.otype == 15]
    assert codes and codes[0] in (6, 9), codes


def test_no_anchor_means_insecure(make_resolver, facts):
    r = make_resolver({'trust-anchor-file': None, 'root-trust-anchor': 'no'})
    a = ask(r, facts['plain']['name'])
    assert a.rcode() == dns.rcode.NOERROR and a.answer
    assert not secure(a)


def test_wildcard_answer_after_cd_query(resolver, facts):
    """A CD=1 question resolves a wildcard answer without validating it; the
    next ordinary question for it must still validate (the proof that the
    name itself is absent comes from the servers, not from the RRset cache)."""
    name = 'cd-first.' + facts['fill']['zone']
    r = ask(resolver, name, cd=True)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    r = ask(resolver, name)
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert secure(r)
