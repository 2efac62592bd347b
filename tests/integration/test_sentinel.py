"""Root key sentinel (RFC 8509): a secure answer whose first label is
root-key-sentinel-is-ta-NNNNN or root-key-sentinel-not-ta-NNNNN tells the
client, by SERVFAIL or not, whether key tag NNNNN is one of our root trust
anchors. fill.lab answers every name by a signed wildcard."""

import dns.rcode
import pytest


def root_tags(world):
    """Key tags of the DS records in the test root's anchor file."""
    tags = set()
    with open(world.trust_anchor) as f:
        for line in f:
            words = line.split()
            if 'DS' in words:
                tags.add(int(words[words.index('DS') + 1]))
    return tags


@pytest.mark.parametrize('kind,trusted,want', [
    ('is-ta', True, dns.rcode.NOERROR),
    ('is-ta', False, dns.rcode.SERVFAIL),
    ('not-ta', True, dns.rcode.SERVFAIL),
    ('not-ta', False, dns.rcode.NOERROR),
])
def test_root_key_sentinel(resolver, world, facts, kind, trusted, want):
    tags = root_tags(world)
    assert tags, 'no DS in %s' % world.trust_anchor
    tag = min(tags) if trusted else next(t for t in range(1, 65536) if t not in tags)
    name = 'root-key-sentinel-%s-%05d.%s' % (kind, tag, facts['fill']['zone'])
    r = resolver.query(name, 'A', dnssec=True)
    assert r.rcode() == want, (name, dns.rcode.to_text(r.rcode()))


def test_sentinel_needs_a_secure_answer(resolver, world, facts):
    """Under an insecure delegation the label means nothing (RFC 8509 §3.2)."""
    zone = facts['insecure']['name'].split('.', 1)[1]
    r = resolver.query('root-key-sentinel-not-ta-%05d.%s' % (min(root_tags(world)), zone), 'A')
    assert r.rcode() != dns.rcode.SERVFAIL
