"""What the authoritative servers see, through the slow server of the
mini-Internet (slow.lab., mini_internet.py: it answers SLOW_DELAY late and
logs every question it gets):

- identical questions that arrive while the first is being resolved are
  sent upstream once, and every waiting client gets the answer (mangrove(8),
  DESIGN.md "identical in-flight questions are joined");
- QNAME minimisation (RFC 9156): by default the zone's server is first asked
  the next label only, with type A (§2.3), before the full name; with
  `qname-minimisation: no` it is asked the full name only.

Each test asks names of its own (q.<unique>.slow.lab.), so the shared log
of the session holds no answers to them from earlier tests."""

import itertools
import os

import dns.flags
import dns.message
import dns.rcode

from helpers import ask_all, rdata_of

CLIENTS = 20
_serial = itertools.count()


def names(facts, tag):
    """(q.<tag><unique>.slow.lab., <tag><unique>.slow.lab.): a name four
    labels deep, so that one minimised step lies inside slow.lab."""
    middle = '%s%d-%d.%s' % (tag, os.getpid(), next(_serial), facts['slow']['zone'])
    return 'q.' + middle, middle


def assert_slow_txt(r, facts, name):
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert rdata_of(r, name, 'TXT') == facts['slow']['TXT']


def test_identical_questions_go_upstream_once(make_resolver, facts, slow_log):
    """CLIENTS clients ask the same question at once (each from its own
    socket, so each is a different client): one worker, so all arrive at
    the same in-flight table; the answer takes at least two SLOW_DELAYs,
    so all are in before the first is answered."""
    r = make_resolver({'workers': '1'})
    name, middle = names(facts, 'join')
    queries = []
    for _ in range(CLIENTS):
        q = dns.message.make_query(name, 'TXT')
        q.use_edns(0, ednsflags=0, payload=1232)
        queries.append(q)
    replies = ask_all(r.addr, queries, timeout=5)
    missing = [i for i, rep in enumerate(replies) if rep is None]
    assert not missing, 'clients %s got no answer' % missing
    for rep in replies:
        assert_slow_txt(rep, facts, name)
        assert rep.flags & dns.flags.QR and rep.flags & dns.flags.RA
    log = slow_log.entries()
    assert slow_log.count(name) == 1, 'the full name was asked %d times: %s' % (
        slow_log.count(name), log)
    assert slow_log.count(middle) <= 1, log


def test_qname_minimisation_asks_next_label_first(make_resolver, facts, slow_log):
    """RFC 9156 §3: below the zone cut slow.lab., the server is asked
    <middle>.slow.lab. (type A, §2.3) before q.<middle>.slow.lab. TXT, and
    the client's type is sent only with the full name."""
    r = make_resolver()
    name, middle = names(facts, 'qmin')
    assert_slow_txt(r.query(name, 'TXT'), facts, name)
    log = slow_log.entries()
    assert (name, 'TXT') in log, log
    before = log[:log.index((name, 'TXT'))]
    assert (middle, 'A') in before, 'no minimised question before the full one: %s' % log
    assert [q for q in log if q[0] == name] == [(name, 'TXT')], log
    assert (middle, 'TXT') not in log, 'the client\'s type leaked with a minimised name: %s' % log


def test_without_qname_minimisation_only_the_full_name(make_resolver, facts, slow_log):
    r = make_resolver({'qname-minimisation': 'no'})
    name, _ = names(facts, 'full')
    assert_slow_txt(r.query(name, 'TXT'), facts, name)
    assert slow_log.entries() == [(name, 'TXT')]
