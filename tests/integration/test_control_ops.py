"""Operations through mangrove-control (issue 4): stats --reset and the new
counters, --json, reload (kept cache, refused bad files), lookup, negative
trust anchors, and the CLI's error paths. Every check looks at the effect
on the running daemon, not only at the exit status."""

import json
import os
import signal
import subprocess
import time

import dns.edns
import dns.flags
import dns.rcode
import pytest

import mini_internet
from helpers import CONTROL, MANGROVE, ctl, control_stats, rdata_of, write_config

FACTS = mini_internet.facts()
CASES = FACTS['cases']
# A client the access-control below refuses (the built-in rules allow all
# of 127.0.0.0/8).
OUTSIDE = '127.0.1.99'
ACL = {'access-control': ['127.0.0.0/24 allow', '127.0.1.0/24 refuse']}
EDE_BOGUS = 6
EDE_PROHIBITED = 18


def fields(out):
    """'name: value' lines as a dict."""
    return dict(line.split(': ', 1) for line in out.splitlines() if ': ' in line)


def items(out):
    """The key=value lines of a text reply, as dicts."""
    rows = []
    for line in out.splitlines():
        if ': ' in line or '=' not in line:
            continue
        rows.append(dict(w.split('=', 1) for w in line.split()))
    return rows


def stats(r):
    return control_stats(r.control_socket)


def ok(r, *args):
    rc, out, err = ctl(r, *args)
    assert rc == 0, (args, err)
    return out


# ---- stats ----

def test_counters_move_by_exactly_the_queries_sent(make_resolver, facts):
    r = make_resolver(ACL)
    name = facts['plain']['name']
    r.query(name, 'A')
    r.query(name, 'TXT')
    before = stats(r)
    for _ in range(3):
        r.query(name, 'A')
    for _ in range(2):
        r.query(name, 'TXT')
    r.query(name, 'A', source=OUTSIDE)  # refused: outside access-control
    after = stats(r)
    diff = {k: after[k] - before[k] for k in after}
    assert diff['queries_qtype.A'] == 3  # the refused one is not counted by type
    assert diff['queries_qtype.TXT'] == 2
    assert diff['acl_allowed'] == 5
    assert diff['refused_acl'] == 1
    assert diff['answers_rcode.REFUSED'] == 1
    assert diff['answers_ede.%d' % EDE_PROHIBITED] == 1
    # Cache answers are not timed: they count in the first bucket.
    assert diff['latency.0.001'] == 6
    assert sum(v for k, v in diff.items() if k.startswith('latency.')) == 6


def test_latency_histogram_counts_resolved_answers(make_resolver, facts):
    r = make_resolver()
    before = stats(r)
    r.query(facts['plain']['name'], 'A')  # a cache miss: resolved from the root
    after = stats(r)
    buckets = {k: after[k] - before[k] for k in after if k.startswith('latency.')}
    assert sum(buckets.values()) == 1, buckets
    assert after['upstream_sent_ip4'] > before['upstream_sent_ip4']


def test_stats_reset(make_resolver, facts):
    r = make_resolver()
    name = facts['plain']['name']
    for _ in range(3):
        r.query(name, 'A')
    first = fields(ok(r, 'stats', '--reset'))
    assert int(first['queries_udp']) >= 3
    r.query(name, 'A')
    now = stats(r)
    assert now['queries_udp'] == 1
    assert now['answers_rcode.NOERROR'] == 1
    assert now['seconds_since_reset'] <= now['uptime']
    assert now['cache.entries'] > 0  # the cache is not a counter: not reset


def test_json_output(make_resolver, facts):
    r = make_resolver()
    r.query(facts['plain']['name'], 'A')
    rc, out, err = ctl(r, '--json', 'stats')
    assert rc == 0, err
    doc = json.loads(out)
    assert doc['queries_udp'] >= 1 and doc['answers_rcode.NOERROR'] >= 1
    assert isinstance(doc['memory.heap_bytes'], int)
    doc = json.loads(ok(r, '-j', 'status'))
    assert doc['version'].startswith('mangrove ')
    assert doc['config-file'] == r.conf
    rc, out, err = ctl(r, '--json', 'flush', 'a..b')
    assert rc == 1
    assert json.loads(out) == {'error': "'a..b' is not a domain name"}


# ---- reload ----

def rewrite(r, overrides):
    write_config(r.conf, r.world, r.logfile, overrides)


def test_reload_keeps_cache_and_applies_access_control(make_resolver, facts, servers_stopped):
    r = make_resolver(ACL)
    name = facts['plain']['name']
    assert r.query(name, 'A').rcode() == dns.rcode.NOERROR
    assert r.query(name, 'A', source=OUTSIDE).rcode() == dns.rcode.REFUSED
    entries = stats(r)['cache.entries']
    rewrite(r, {'access-control': ['127.0.0.0/24 allow', '127.0.1.0/24 refuse', OUTSIDE + '/32 allow']})
    out = ok(r, 'reload')
    assert 'reloaded ' + r.conf in out
    servers_stopped()  # the answer can only come from the cache now
    a = r.query(name, 'A', source=OUTSIDE)
    assert a.rcode() == dns.rcode.NOERROR
    assert rdata_of(a, name, 'A') == sorted(facts['plain']['A'])
    assert stats(r)['cache.entries'] >= entries
    with open(r.outfile) as f:  # -d: the log goes to standard error
        assert 'reloaded ' + r.conf in f.read()


def test_reload_refuses_a_broken_file(make_resolver, facts):
    r = make_resolver(ACL)
    name = facts['plain']['name']
    r.query(name, 'A')
    with open(r.conf, 'a') as f:
        f.write('    cache-max-ttl: forever\n')
    lines = open(r.conf).read().count('\n')
    rc, out, err = ctl(r, 'reload')
    assert rc == 1
    assert '%s:%d:' % (r.conf, lines) in err and 'cache-max-ttl' in err, err
    assert 'the running configuration stays' in err
    assert r.proc.poll() is None
    assert r.query(name, 'A').rcode() == dns.rcode.NOERROR
    assert r.query(name, 'A', source=OUTSIDE).rcode() == dns.rcode.REFUSED


def test_reload_refuses_options_that_need_a_restart(make_resolver, facts):
    r = make_resolver(ACL)
    rewrite(r, {'cache-size': '2m', 'workers': '3',
                'access-control': ['127.0.0.0/24 allow', '127.0.1.0/24 refuse', OUTSIDE + '/32 allow']})
    rc, out, err = ctl(r, 'reload')
    assert rc == 1
    assert 'only a restart can change workers, cache-size' in err, err
    # Nothing was applied, not even the options a reload could change.
    assert r.query(facts['plain']['name'], 'A', source=OUTSIDE).rcode() == \
        dns.rcode.REFUSED
    assert fields(ok(r, 'status'))['workers'] != '3'


def test_sighup_reloads(make_resolver, facts):
    r = make_resolver()
    name = facts['plain']['name']
    rewrite(r, {'access-control': ['127.0.0.0/24 allow', OUTSIDE + '/32 refuse'],
                'verbosity': '3'})
    r.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(r.outfile) as f:
            if 'reloaded ' + r.conf in f.read():
                break
        time.sleep(0.05)
    else:
        pytest.fail('no "reloaded" line after SIGHUP')
    r.query(name, 'AAAA')
    with open(r.outfile) as f:
        assert '%s type 28 class 1' % name in f.read()  # verbosity 3 logs each query


# ---- lookup ----

def test_lookup_shows_the_cached_delegation(make_resolver, facts):
    r = make_resolver()
    p = facts['plain']
    out = ok(r, 'lookup', p['name'])
    f = fields(out)
    assert f['zone'] == '.'  # only the root is known yet (primed at start)
    r.query(p['name'], 'A')
    out = ok(r, 'lookup', p['name'])
    f = fields(out)
    assert f['zone'] == p['zone'] and f['source'] == 'cache', out
    servers = items(out)
    assert servers, out
    asked = [s for s in servers if s['known'] == 'yes']
    assert asked, out  # the server that answered has an RTT now
    for s in servers:
        assert s['ns'].endswith('.') and s['edns'] in ('yes', 'no')
        assert s['lame'] == 'no'
    doc = json.loads(ok(r, '--json', 'lookup', p['name']))
    assert doc['zone'] == p['zone']
    assert {s['addr'] for s in doc['servers']} == {s['addr'] for s in servers}


# ---- negative trust anchors ----

def ask_do(r, name):
    q = dns.message.make_query(name, 'A')
    q.use_edns(0, ednsflags=dns.flags.DO, payload=1232)
    return r.send(q)


def test_nta_makes_a_bogus_zone_answer(make_resolver):
    r = make_resolver()
    name = CASES['broken']['bad-sig']
    zone = name.split('.', 1)[1]
    a = ask_do(r, name)
    assert a.rcode() == dns.rcode.SERVFAIL
    out = ok(r, 'nta', 'add', zone, '1h')
    assert fields(out)['name'] == zone
    a = ask_do(r, name)
    assert a.rcode() == dns.rcode.NOERROR
    assert not a.flags & dns.flags.AD
    assert rdata_of(a, name, 'A')
    listed = items(ok(r, 'nta', 'list'))
    assert [x['name'] for x in listed] == [zone]
    assert 3590 <= int(listed[0]['expires_in']) <= 3600
    # A secure zone elsewhere still validates.
    good = CASES['algorithms']['13']
    assert ask_do(r, good).flags & dns.flags.AD
    ok(r, 'nta', 'remove', zone)
    assert ask_do(r, name).rcode() == dns.rcode.SERVFAIL
    assert items(ok(r, 'nta', 'list')) == []
    rc, out, err = ctl(r, 'nta', 'remove', zone)
    assert rc == 1 and 'no negative trust anchor at ' + zone in err
    rc, out, err = ctl(r, 'nta', 'add', zone, '30d')
    assert rc == 1 and 'lifetime over the maximum' in err


# ---- the CLI's error paths ----

def test_wrong_permissions(make_resolver):
    r = make_resolver()
    os.chmod(r.control_socket, 0)
    try:
        # As another user (a nested user namespace): no right to connect.
        p = subprocess.run(['unshare', '-U', '--map-user=65534', '--map-group=65534',
                            CONTROL, '-s', r.control_socket, 'status'],
                           capture_output=True, text=True, timeout=10)
    finally:
        os.chmod(r.control_socket, 0o660)
    assert p.returncode == 2, p
    assert 'cannot reach the daemon at %s: Permission denied' % r.control_socket in p.stderr


def test_usage_errors(make_resolver):
    r = make_resolver()
    rc, out, err = ctl(r, 'flush')
    assert rc == 1 and 'usage: flush NAME [TYPE]' in err
    p = subprocess.run([CONTROL], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and 'usage: mangrove-control' in p.stderr


def test_second_daemon_does_not_steal_the_socket(make_resolver, world, tmp_path):
    r = make_resolver()
    conf = write_config(str(tmp_path / 'second.conf'), world, str(tmp_path / 'second.log'),
                        {'control-socket': r.control_socket, 'interface': '127.0.0.53',
                         'logfile': None})
    p = subprocess.run([r.proc.args[0], '-d', '-c', conf], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 1
    assert 'another daemon is listening on it' in p.stderr
    assert ctl(r, 'status')[0] == 0


# ---- flushes ----

def upstream(r):
    s = stats(r)
    return s['upstream_sent_udp'] + s['upstream_sent_tcp']


def removed(out):
    return int(fields(out)['removed'])


def test_flush_name_sends_only_that_name_upstream(make_resolver, facts):
    r = make_resolver()
    p = facts['plain']
    r.query(p['name'], 'A')
    r.query(p['name'], 'AAAA')
    r.query(facts['knot']['name'], 'A')
    assert removed(ok(r, 'flush', p['name'], 'A')) >= 1
    before = upstream(r)
    r.query(p['name'], 'AAAA')  # other type: still cached
    r.query(facts['knot']['name'], 'A')  # other name: still cached
    assert upstream(r) == before
    a = r.query(p['name'], 'A')  # asked upstream again
    assert rdata_of(a, p['name'], 'A') == sorted(p['A'])
    assert upstream(r) > before
    assert removed(ok(r, 'flush', p['name'])) >= 2  # A and AAAA, answers and RRsets
    before = upstream(r)
    r.query(p['name'], 'AAAA')
    assert upstream(r) > before


def test_flush_zone_takes_the_subtree(make_resolver, facts):
    r = make_resolver()
    p = facts['plain']
    r.query(p['name'], 'A')
    r.query(facts['knot']['name'], 'A')
    assert removed(ok(r, 'flush-zone', p['zone'])) >= 2
    before = upstream(r)
    r.query(facts['knot']['name'], 'A')
    assert upstream(r) == before
    r.query(p['name'], 'A')
    assert upstream(r) > before


def test_flush_bogus_and_negative(make_resolver, facts):
    r = make_resolver()
    bogus = CASES['broken']['bad-sig']
    nx = facts['nxdomain'][0]['name']
    assert ask_do(r, bogus).rcode() == dns.rcode.SERVFAIL
    assert r.query(nx, 'A').rcode() == dns.rcode.NXDOMAIN
    r.query(facts['plain']['name'], 'A')
    before = upstream(r)
    ask_do(r, bogus)
    r.query(nx, 'A')
    assert upstream(r) == before  # both from the cache
    judged = stats(r)['val_bogus']
    ask_do(r, bogus)
    assert stats(r)['val_bogus'] == judged  # the cached verdict answered
    assert removed(ok(r, 'flush-bogus')) >= 1
    assert ask_do(r, bogus).rcode() == dns.rcode.SERVFAIL
    assert stats(r)['val_bogus'] == judged + 1  # validated again
    after_bogus = upstream(r)
    r.query(nx, 'A')
    assert upstream(r) == after_bogus  # the NXDOMAIN stayed
    assert removed(ok(r, 'flush-negative')) >= 1
    r.query(nx, 'A')
    assert upstream(r) > after_bogus
    before = upstream(r)
    r.query(facts['plain']['name'], 'A')  # positive answers stay
    assert upstream(r) == before


def test_flush_infra(make_resolver, facts):
    r = make_resolver()
    p = facts['plain']
    r.query(p['name'], 'A')
    servers = items(ok(r, 'lookup', p['name']))
    known = [s['addr'] for s in servers if s['known'] == 'yes']
    assert known
    assert removed(ok(r, 'flush-infra', known[0])) == 1
    assert [s for s in items(ok(r, 'lookup', p['name'])) if s['addr'] == known[0]][0][
        'known'] == 'no'
    assert removed(ok(r, 'flush-infra', 'all')) >= 1
    assert all(s['known'] == 'no' for s in items(ok(r, 'lookup', p['name'])))
    rc, out, err = ctl(r, 'flush-infra', 'plain.lab.')
    assert rc == 1 and 'is not an IP address' in err


# ---- dump and load ----

def seen(a):
    """RCODE, the answer RRsets without their TTLs (they count down), AD."""
    rrsets = sorted((str(x.name), x.rdtype, sorted(rd.to_text() for rd in x)) for x in a.answer)
    return a.rcode(), rrsets, bool(a.flags & dns.flags.AD)


def test_dump_then_load_answers_from_cache(make_resolver, facts, tmp_path, servers_stopped):
    first = make_resolver()
    p = facts['plain']
    questions = [(p['name'], 'A'), (p['name'], 'AAAA'), (p['name'], 'MX'),
                 (facts['nxdomain'][0]['name'], 'A'), (facts['cname']['name'], 'A'),
                 (CASES['algorithms']['13'], 'A')]
    want = {}
    for name, rdtype in questions:
        want[(name, rdtype)] = seen(first.query(name, rdtype, dnssec=True))
    p1 = subprocess.run([CONTROL, '-s', first.control_socket, 'dump-cache'],
                        capture_output=True, timeout=30)
    assert p1.returncode == 0, p1.stderr
    dump = p1.stdout.decode()
    assert dump.startswith('; mangrove cache dump version 1')
    assert dump.rstrip().splitlines()[-1].startswith('$END entries=')
    assert '$MSG qname=%s qtype=A' % p['name'] in dump
    (tmp_path / 'cache.txt').write_text(dump)
    second = make_resolver({'interface': '127.0.0.2'})
    assert second.addr == '127.0.0.2'
    with open(tmp_path / 'cache.txt') as f:
        p2 = subprocess.run([CONTROL, '-s', second.control_socket, 'load-cache'], stdin=f,
                            capture_output=True, text=True, timeout=30)
    assert p2.returncode == 0, p2.stderr
    assert int(fields(p2.stdout)['loaded']) >= len(questions)
    servers_stopped()  # only the loaded cache can answer now
    before = stats(second)
    for (name, rdtype), (rcode, answer, ad) in want.items():
        assert answer or rcode != dns.rcode.NOERROR, (name, rdtype)
        assert seen(second.query(name, rdtype, dnssec=True)) == (rcode, answer, ad), \
            (name, rdtype)
    after = stats(second)
    assert after['cache_hits'] - before['cache_hits'] == len(questions)
    assert after['upstream_sent_udp'] == before['upstream_sent_udp']


def test_load_refuses_garbage(make_resolver, facts):
    r = make_resolver()
    p = subprocess.run([CONTROL, '-s', r.control_socket, 'load-cache'],
                       input='; mangrove cache dump version 1 time 1\n$MSG nonsense\n',
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert 'load-cache: line 2:' in p.stderr, p.stderr
    assert r.query(facts['plain']['name'], 'A').rcode() == dns.rcode.NOERROR
    rc, out, err = ctl(r, '--json', 'dump-cache')
    assert rc == 1 and 'dump-cache has no JSON form' in err


# ---- control-interface (TCP on loopback, with a shared secret) ----

def secret_file(tmp_path, text='0123456789abcdef-secret', mode=0o600):
    path = tmp_path / 'control.key'
    path.write_text(text + '\n')
    os.chmod(path, mode)
    return str(path)


def test_control_interface_with_secret(make_resolver, tmp_path):
    key = secret_file(tmp_path)
    r = make_resolver({'control-socket': '""', 'control-interface': '127.0.0.1@8953',
                       'control-secret-file': key})
    p = subprocess.run([CONTROL, '-c', r.conf, 'status'], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 0, p.stderr
    assert fields(p.stdout)['config-file'] == r.conf
    p = subprocess.run([CONTROL, '-i', '127.0.0.1@8953', '-k', key, '--json', 'stats'],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)['control.unauthorised'] == 0
    wrong = tmp_path / 'wrong.key'
    wrong.write_text('not-the-secret-at-all\n')
    p = subprocess.run([CONTROL, '-i', '127.0.0.1@8953', '-k', str(wrong), 'stop'],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and 'not authorised' in p.stderr, p
    assert r.proc.poll() is None  # the stop was refused
    p = subprocess.run([CONTROL, '-c', r.conf, 'stats'], capture_output=True, text=True,
                       timeout=10)
    assert fields(p.stdout)['control.unauthorised'] == '1'


@pytest.mark.parametrize('override, message', [
    ({'control-interface': '192.0.2.1@8953'}, 'is not a loopback address'),
    ({'control-interface': '127.0.0.1@8953'}, 'control-interface needs control-secret-file'),
])
def test_control_interface_config_errors(world, tmp_path, override, message):
    conf = write_config(str(tmp_path / 'm.conf'), world, str(tmp_path / 'log'), override)
    p = subprocess.run([MANGROVE, '-n', '-c', conf], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 1
    assert conf + ':' in p.stderr and message in p.stderr, p.stderr


def test_control_secret_readable_by_all_refused(world, tmp_path):
    key = secret_file(tmp_path, mode=0o644)
    conf = write_config(str(tmp_path / 'm.conf'), world, str(tmp_path / 'log'),
                        {'control-interface': '127.0.0.1@8953', 'control-secret-file': key})
    p = subprocess.run([MANGROVE, '-n', '-c', conf], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 1
    assert 'may be read by every user' in p.stderr, p.stderr


# ---- explain ----

def explain(r, *args):
    out = ok(r, 'explain', *args)
    head, _, steps = out.partition('steps:\n')
    return fields(head), [line.strip() for line in steps.splitlines()]


def test_explain_secure_name(make_resolver):
    r = make_resolver()
    name = CASES['algorithms']['13']
    f, steps = explain(r, name)
    assert f['verdict'] == 'secure' and f['ad'] == 'yes' and f['rcode'] == 'NOERROR', f
    assert 'first-failure' not in f
    assert steps[0].startswith('anchor . ')
    zone = name.split('.', 1)[1]
    assert any(s.startswith('zone %s DS tag=' % zone) and 'matches DNSKEY' in s for s in steps)
    assert any(s.startswith('zone %s RRSIG A %s by ' % (zone, name)) and s.endswith(': valid')
               for s in steps), steps
    assert steps[-1] == 'verdict secure'
    # Explaining neither answers from nor fills the message cache.
    before = stats(r)
    explain(r, name)
    after = stats(r)
    assert after['cache.message.entries'] == before['cache.message.entries']


@pytest.mark.parametrize('hook, ede, check', [
    ('bad-sig', EDE_BOGUS, 'bad signature'),
    ('expired', 7, 'signature expired'),
    ('not-yet-valid', 8, 'not yet valid'),
])
def test_explain_bogus_names_the_failing_step(make_resolver, hook, ede, check):
    r = make_resolver()
    name = CASES['broken'][hook]
    f, steps = explain(r, name)
    assert f['verdict'] == 'bogus' and f['rcode'] == 'SERVFAIL', f
    assert f['ede'].startswith('%d (' % ede), f
    assert check in f['first-failure'], f
    assert steps[-1].startswith('verdict bogus EDE %d' % ede), steps[-1]
    # The client gets the same EDE.
    a = ask_do(r, name)
    assert [o.code for o in a.options if o.otype == dns.edns.EDE] == [ede]


def test_explain_insecure_and_json(make_resolver, facts):
    r = make_resolver()
    name = facts['insecure']['name']
    f, steps = explain(r, name)
    assert f['verdict'] == 'insecure', f
    assert any(' insecure: ' in s for s in steps), steps
    doc = json.loads(ok(r, '--json', 'explain', CASES['broken']['bad-sig'], 'A'))
    assert doc['verdict'] == 'bogus' and doc['type'] == 'A'
    kinds = [s['kind'] for s in doc['steps']]
    assert kinds[-1] == 'verdict' and 'rrsig' in kinds
    assert any(s['check'] == 'bad signature' for s in doc['steps'])


def test_explain_under_nta(make_resolver):
    r = make_resolver()
    zone = CASES['broken']['bad-sig'].split('.', 1)[1]
    ok(r, 'nta', 'add', zone)
    f, steps = explain(r, CASES['broken']['bad-sig'])
    assert f['verdict'] == 'insecure', (f, steps)
    assert any('negative trust anchor' in s or ' nta ' in s.lower() for s in steps), steps


def test_explain_unreachable(make_resolver, facts, servers_stopped):
    r = make_resolver({'request-timeout': '2000'})
    servers_stopped()
    start = time.monotonic()
    f, steps = explain(r, 'nothing-cached.' + facts['plain']['zone'])
    assert time.monotonic() - start < 6
    assert f['rcode'] == 'SERVFAIL' and f['verdict'] == 'indeterminate', (f, steps)
    assert f['ede'].startswith('22 ('), f
    assert ctl(r, 'status')[0] == 0
