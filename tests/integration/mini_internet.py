#!/usr/bin/python3
"""mini_internet.py - a signed mini-Internet on 127.0.0.0/8 for Mangrove's tests.

Writes the zone files of a root, two TLDs and leaf zones into a work dir,
signs them bottom-up with ldns tools (DS records go into the parent before
the parent is signed), writes the root trust anchor and a root hints file,
and runs one authoritative server per address: NSD for most, Knot DNS for
a few leaf zones (pre-signed, Knot does no signing), plus a "silent" one that
holds its sockets but never answers (a server that times out), and a "slow"
one of our own (dnspython) that answers every query SLOW_DELAY seconds late
and appends each question it gets to a log (what the resolver asked, and how
often: joined questions, QNAME minimisation).

The world is a table built by plan(): one add_zone() call per zone, with
its NS set, where it is served, algorithm, NSEC/NSEC3 and records. What
the tests need to know (addresses, names, expected records) is plan()'s
facts, in World.info and DIR/world.json too. The DNSSEC edge cases
(_dnssec_cases(): every algorithm, denials, opt-out, broken chains, KeyTrap)
are rows too, each bent at signing time by a hook of SIGN_HOOKS. Names use
the TLDs lab. and example. (not test., which resolvers may answer locally,
RFC 6761 §6.2).

Library:   w = World(dir); w.build(); w.start(); ...; w.stop()
Command:   mini_internet.py up DIR      build, start, write DIR/world.json
           mini_internet.py down DIR    stop what `up` started
Non-goal: anything outside 127.0.0.0/8. The servers are started only inside a
private network namespace (unshare -rn, MANGROVE_NETNS=1).
"""

import base64
import concurrent.futures
import heapq
import json
import os
import random
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

DEFAULT_TTL = 300
SOA_MINIMUM = 60  # negative-caching TTL (RFC 2308 §5)
NSEC3_HASH_SHA1 = 1
READY_TIMEOUT = 15.0  # seconds for all servers to answer
STOP_TIMEOUT = 5.0  # seconds for one server to exit after SIGTERM
# The slow server's delay: below the resolver's first timeout for an unknown
# server (400 ms), so that a question is not sent twice because of it.
SLOW_DELAY = 0.2

ALG_RSASHA1 = 5
ALG_RSASHA1_NSEC3 = 7
ALG_RSASHA256 = 8
ALG_RSASHA512 = 10
ALG_ECDSAP256 = 13
ALG_ECDSAP384 = 14
ALG_ED25519 = 15
ALG_ED448 = 16
_KEYGEN_ALG = {ALG_RSASHA1: 'RSASHA1', ALG_RSASHA1_NSEC3: 'RSASHA1-NSEC3-SHA1',
               ALG_RSASHA256: 'RSASHA256', ALG_RSASHA512: 'RSASHA512',
               ALG_ECDSAP256: 'ECDSAP256SHA256', ALG_ECDSAP384: 'ECDSAP384SHA384',
               ALG_ED25519: 'ED25519', ALG_ED448: 'ED448'}
_RSA_ALGS = (ALG_RSASHA1, ALG_RSASHA1_NSEC3, ALG_RSASHA256, ALG_RSASHA512)


def _fqdn(name):
    return name if name.endswith('.') else name + '.'


def _is_sub(name, zone):
    """True if name is zone or below it (names are lower-case FQDNs)."""
    return zone == '.' or name == zone or name.endswith('.' + zone)


def _depth(name):
    return 0 if name == '.' else name.count('.')


class Zone:
    """One zone: its NS set, where it is really served, how it is signed."""

    def __init__(self, name, ns, records=(), serve=None, software='nsd',
                 alg=ALG_ECDSAP256, split_keys=False, denial='nsec',
                 salt='-', iterations=0, signed=True, hook=None, bits=2048):
        self.name = _fqdn(name.lower())
        # [(ns name, address)]: published in the zone and its parent; an
        # address is turned into an A record in the zone that owns the
        # name and into glue wherever a parent needs it.
        self.ns = [(_fqdn(n.lower()), a) for n, a in ns]
        # Addresses where a server is authoritative for this zone; by
        # default every NS address (a dead or lame NS is left out here).
        self.serve = list(serve) if serve is not None else [a for _, a in self.ns]
        self.records = list(records)  # zone-file lines, relative to the origin
        self.software = software  # 'nsd', 'knot' or 'slow'
        self.alg = alg
        self.split_keys = split_keys  # KSK + ZSK, else one combined key
        self.denial = denial  # 'nsec', 'nsec3' or 'nsec3-optout'
        self.salt = salt  # hex, '-' for none
        self.iterations = iterations
        self.signed = signed
        # A name in SIGN_HOOKS: how signing breaks or bends the zone (DNSSEC
        # edge cases, test_dnssec_cases.py); None for a zone signed as usual.
        self.hook = hook
        self.bits = bits  # RSA key size
        self.ds = []  # filled by signing (zone-file lines)
        self.keys = []  # key tags


def _big_txt_strings():
    """Six 220-character strings: the answer is ~1.4 kB (> 1232, < 4000)."""
    out = []
    for i in range(6):
        body = ''.join(chr(ord('a') + (i + j) % 26) for j in range(216))
        out.append('%03d-%s' % (i, body))
    return out


def _fill_txt_string():
    """One 200-character string for the wildcard TXT of fill.lab."""
    return 'fill-' + ''.join(chr(ord('a') + j % 26) for j in range(195))


def plan():
    """The world: (zones, extra servers {addr: software}, dead addresses, facts)."""
    zones = []

    def add_zone(*args, **kw):
        z = Zone(*args, **kw)
        zones.append(z)
        return z

    www_a = ['192.0.2.10', '192.0.2.11']
    www_aaaa = ['2001:db8::10']
    www_mx = ['10 mail.plain.lab.', '20 mx2.plain.lab.']
    www_txt = ['"hello from plain.lab"', '"v=spf1 -all"']
    ttl_a = '192.0.2.36'
    big = _big_txt_strings()
    dead_addr = '127.0.9.9'
    lame_addr = '127.0.3.7'
    silent_addr = '127.0.9.10'
    fill_a = '192.0.2.1'
    fill_txt = _fill_txt_string()
    slow_addr = '127.0.3.10'
    slow_a = '192.0.2.70'
    slow_txt = '"slow answer"'

    add_zone('.', [('a.root-servers.lab.', '127.0.1.1'),
                   ('b.root-servers.lab.', '127.0.1.2')],
             alg=ALG_RSASHA256, split_keys=True, denial='nsec')
    add_zone('lab.', [('ns1.lab.', '127.0.2.1')],
             alg=ALG_ECDSAP256, split_keys=True, denial='nsec3-optout',
             salt='aabbccdd', iterations=1)
    add_zone('example.', [('ns1.example.', '127.0.2.2')],
             alg=ALG_RSASHA256, denial='nsec')
    # A plain zone: A, AAAA, MX, TXT; NXDOMAIN and NODATA names; TTL 3600.
    add_zone('plain.lab.', [('ns1.plain.lab.', '127.0.3.1')],
             alg=ALG_ECDSAP256, denial='nsec',
             records=['www A ' + a for a in www_a]
             + ['www AAAA ' + a for a in www_aaaa]
             + ['www MX ' + m for m in www_mx]
             + ['www TXT ' + t for t in www_txt]
             + ['mail A 192.0.2.25', 'mx2 A 192.0.2.26',
                'nodata TXT "only a TXT here"',
                'ttl 3600 A ' + ttl_a])
    # A big TXT RRset (needs TCP after TC=1) and an NSEC3 zone (no opt-out).
    add_zone('big.example.', [('ns1.big.example.', '127.0.3.2')],
             alg=ALG_RSASHA256, split_keys=True, denial='nsec3',
             salt='beef', iterations=0,
             records=['big TXT "%s"' % s for s in big]
             + ['hop CNAME www.plain.lab.', 'nodata TXT "x"'])
    # CNAMEs into other zones: www -> plain.lab, chain -> big.example -> plain.lab.
    add_zone('cname.example.', [('ns1.cname.example.', '127.0.3.3')],
             alg=ALG_ECDSAP256, denial='nsec',
             records=['www CNAME www.plain.lab.', 'chain CNAME hop.big.example.'])
    # Served by Knot DNS: a DNAME, NSEC3.
    add_zone('dname.lab.', [('ns1.dname.lab.', '127.0.3.4')],
             software='knot', alg=ALG_ECDSAP256, split_keys=True,
             denial='nsec3', salt='0102', iterations=0,
             records=['sub DNAME plain.lab.', 'www A 192.0.2.40',
                      'nodata TXT "x"'])
    # Glueless: its NS name lives in plain.lab (no glue in example.).
    add_zone('glueless.example.', [('ns-glueless.plain.lab.', '127.0.3.5')],
             alg=ALG_RSASHA256, denial='nsec3', salt='cafe', iterations=1,
             records=['www A 192.0.2.50'])
    # Four NS: nothing listens on the first (ICMP port unreachable), the
    # second never answers (a timeout), the third is lame (REFUSED), the
    # fourth works. Only the bad ones come with glue, so a resolver that
    # tries addresses it has before resolving NS names meets them first.
    add_zone('lame.lab.', [('ns-dead.lame.lab.', dead_addr),
                            ('ns-silent.lame.lab.', silent_addr),
                            ('ns-lame.lame.lab.', lame_addr),
                            ('ns-good.plain.lab.', '127.0.3.6')],
             serve=['127.0.3.6'], alg=ALG_ECDSAP256, denial='nsec',
             records=['www A 192.0.2.60'])
    # An unsigned zone under the opt-out TLD (an insecure delegation).
    add_zone('insecure.lab.', [('ns1.insecure.lab.', '127.0.3.8')],
             signed=False, records=['www A 192.0.2.80'])
    # Wildcards (RFC 4592): any number of distinct names that resolve, to
    # fill a cache (test_memory.py).
    add_zone('fill.lab.', [('ns1.fill.lab.', '127.0.3.9')],
             alg=ALG_ECDSAP256, denial='nsec',
             records=['* A ' + fill_a, '* TXT "%s"' % fill_txt])
    # Unsigned, served by the slow server (slow() below): every name below
    # the zone answers (wildcards), SLOW_DELAY late, and is logged.
    add_zone('slow.lab.', [('ns1.slow.lab.', slow_addr)], software='slow',
             signed=False, records=['* A ' + slow_a, '* TXT ' + slow_txt])

    cases = _dnssec_cases(add_zone)

    # Up but authoritative for nothing; bound but never answering.
    extra_servers = {lame_addr: 'nsd', silent_addr: 'silent'}
    facts = {
        'resolver': '127.0.0.1',
        'other_client': '127.0.0.99',
        'dead_address': dead_addr,
        'lame_address': lame_addr,
        'silent_address': silent_addr,
        'plain': {'name': 'www.plain.lab.', 'zone': 'plain.lab.',
                  'A': www_a, 'AAAA': www_aaaa, 'MX': www_mx, 'TXT': www_txt},
        'ttl': {'name': 'ttl.plain.lab.', 'type': 'A', 'ttl': 3600, 'rdata': [ttl_a]},
        'big_txt': {'name': 'big.big.example.', 'strings': big},
        'cname': {'name': 'www.cname.example.',
                  'chain': ['www.cname.example.', 'www.plain.lab.'], 'A': www_a},
        'cname_chain': {'name': 'chain.cname.example.',
                        'chain': ['chain.cname.example.', 'hop.big.example.',
                                  'www.plain.lab.'], 'A': www_a},
        'dname': {'name': 'www.sub.dname.lab.', 'owner': 'sub.dname.lab.',
                  'target': 'plain.lab.', 'cname_target': 'www.plain.lab.',
                  'A': www_a},
        'knot': {'name': 'www.dname.lab.', 'A': ['192.0.2.40']},
        'glueless': {'name': 'www.glueless.example.', 'A': ['192.0.2.50']},
        'lame': {'name': 'www.lame.lab.', 'A': ['192.0.2.60']},
        'insecure': {'name': 'www.insecure.lab.', 'A': ['192.0.2.80']},
        # Every name below the zone but ns1.fill.lab. is a wildcard answer.
        'fill': {'zone': 'fill.lab.', 'wildcard': '*.fill.lab.',
                 'A': [fill_a], 'TXT': [fill_txt]},
        # Every name below the zone but ns1.slow.lab. is a wildcard answer;
        # the server's question log is servers[address].querylog.
        'slow': {'zone': 'slow.lab.', 'address': slow_addr, 'delay': SLOW_DELAY,
                 'A': [slow_a], 'TXT': [slow_txt]},
        'cases': cases,  # DNSSEC edge cases: _dnssec_cases()
        'nxdomain': [
            {'name': 'nx.plain.lab.', 'zone': 'plain.lab.'},  # NSEC
            {'name': 'nx.big.example.', 'zone': 'big.example.'},  # NSEC3
            {'name': 'nx.dname.lab.', 'zone': 'dname.lab.'},  # Knot, NSEC3
            {'name': 'nx-tld.lab.', 'zone': 'lab.'},  # NSEC3 opt-out
        ],
        'nodata': [
            {'name': 'nodata.plain.lab.', 'type': 'A', 'zone': 'plain.lab.'},
            {'name': 'nodata.big.example.', 'type': 'A', 'zone': 'big.example.'},
            {'name': 'nodata.dname.lab.', 'type': 'A', 'zone': 'dname.lab.'},
            {'name': 'www.plain.lab.', 'type': 'SRV', 'zone': 'plain.lab.'},
        ],
    }
    return zones, extra_servers, [dead_addr], facts


CASES_NSD = '127.0.4.1'  # the DNSSEC edge-case zones
CASES_KNOT = '127.0.4.2'  # some of them on Knot DNS, and the unsigned children


def _dnssec_cases(add_zone):
    """The zones of test_dnssec_cases.py, one row each; returns their facts.
    Each zone has its own NS name, all on CASES_NSD or CASES_KNOT; RSA keys
    are 1024 bits (keygen time; the validator takes any size up to 4096)."""
    def case(name, records=(), serve=CASES_NSD, **kw):
        software = 'knot' if serve == CASES_KNOT else 'nsd'
        add_zone(name, [('ns1.' + name, serve)], records=records, software=software,
                 **kw)

    algs = [ALG_RSASHA1, ALG_RSASHA1_NSEC3, ALG_RSASHA256, ALG_RSASHA512,
            ALG_ECDSAP256, ALG_ECDSAP384, ALG_ED25519, ALG_ED448]
    for alg in algs:  # RFC 5155 §2: algorithm 7 means NSEC3, 5 means NSEC
        case('alg%d.example.' % alg, ['www A 192.0.2.%d' % (100 + alg)], alg=alg,
             bits=1024, denial='nsec3' if alg == ALG_RSASHA1_NSEC3 else 'nsec',
             serve=CASES_KNOT if alg == ALG_ED448 else CASES_NSD)
    # Denial of existence, NSEC (NSD) and NSEC3 (Knot): *.wild makes wild.
    # an empty non-terminal.
    denial_records = ['www A 192.0.2.120', '*.wild A 192.0.2.121']
    case('nsec.example.', denial_records, denial='nsec')
    case('nsec3.example.', denial_records, denial='nsec3', serve=CASES_KNOT)
    # An opt-out span over an unsigned, DS-less child.
    case('optout.example.', ['www A 192.0.2.130'], denial='nsec3-optout',
         hook='optout-span')
    case('child.optout.example.', ['www A 192.0.2.131'], signed=False,
         serve=CASES_KNOT)
    # Broken chains, and DS records we cannot use: the hook says how (SIGN_HOOKS).
    broken = {'badsig': 'bad-sig', 'expired': 'expired', 'future': 'not-yet-valid',
              'wrongds': 'ds-other-key', 'zskonly': 'dnskey-zsk-only',
              'nosigs': 'ds-but-no-rrsigs', 'unsigned-ds': 'ds-but-unsigned',
              'alg253': 'ds-alg-253', 'digest3': 'ds-digest-3'}
    for i, (label, hook) in enumerate(sorted(broken.items())):
        case(label + '.example.', ['www A 192.0.2.%d' % (140 + i)], hook=hook,
             split_keys=hook == 'dnskey-zsk-only')
    case('iter200.example.', ['www A 192.0.2.160'], denial='nsec3', iterations=200)
    # secure -> insecure -> secure
    case('chain-s.example.', ['www CNAME www.chain-u.lab.'])
    case('chain-u.lab.', ['www CNAME www.alg13.example.'], signed=False, serve=CASES_KNOT)
    case('keytrap.lab.', ['* A 192.0.2.190'], alg=ALG_RSASHA256, bits=1024,
         split_keys=True, hook='keytrap')
    # An RRset of two records of 1000 RDATA octets each (RFC 3597 syntax).
    case('bigrdata.example.', ['www TYPE65280 \\# 1000 ' + '%02x' % i * 1000
                               for i in (1, 2)])
    return {
        'algorithms': {str(a): 'www.alg%d.example.' % a for a in algs},
        'denial': {'nsec': 'nsec.example.', 'nsec3': 'nsec3.example.'},
        'optout': {'parent': 'optout.example.', 'child': 'child.optout.example.',
                   'name': 'www.child.optout.example.', 'A': ['192.0.2.131']},
        'broken': {hook: 'www.%s.example.' % label for label, hook in broken.items()},
        'iter200': {'zone': 'iter200.example.', 'iterations': 200},
        'chain': {'name': 'www.chain-s.example.',
                  'chain': ['www.chain-s.example.', 'www.chain-u.lab.',
                            'www.alg13.example.'], 'A': ['192.0.2.113']},
        'keytrap': {'zone': 'keytrap.lab.', 'keys': KEYTRAP_KEYS, 'sigs': KEYTRAP_SIGS},
        'anchor_zone': 'alg13.example.',
        'bigrdata': {'name': 'www.bigrdata.example.', 'type': 'TYPE65280',
                     'rdlen': 1000, 'count': 2},
    }


def facts():
    """What the tests need to know about the world (no building needed)."""
    return plan()[3]


def _run(cmd, cwd=None):
    """Run a tool, return stdout; raise with its stderr on failure."""
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (' '.join(cmd), p.returncode,
                                                   p.stderr.strip()))
    return p.stdout


def in_private_netns():
    """True if this process runs in a namespace with only the loopback link."""
    if os.environ.get('MANGROVE_NETNS') != '1':
        return False
    with open('/proc/net/dev') as f:
        links = [line.split(':')[0].strip() for line in f.readlines()[2:]]
    return links == ['lo']


class Server:
    """One authoritative server process on one address."""

    def __init__(self, addr, software, zones, workdir):
        self.addr = addr
        self.software = software
        self.zones = zones  # names of zones it is authoritative for
        self.dir = os.path.join(workdir, 'srv-' + addr)
        self.conf = os.path.join(self.dir, software + '.conf')
        self.log = os.path.join(self.dir, software + '.log')
        self.pidfile = os.path.join(self.dir, software + '.pid')
        self.querylog = os.path.join(self.dir, 'queries.log')  # slow only
        self.proc = None
        self.pid = None

    def write_conf(self, zonefiles):
        os.makedirs(self.dir, exist_ok=True)
        if self.software == 'nsd':
            text = self._nsd_conf(zonefiles)
        elif self.software == 'knot':
            text = self._knot_conf(zonefiles)
        elif self.software == 'slow':
            text = json.dumps({'addr': self.addr, 'delay': SLOW_DELAY,
                               'querylog': self.querylog,
                               'zones': {z: zonefiles[z] for z in self.zones}},
                              indent=1) + '\n'
        else:
            text = '# silent: UDP and TCP bound on %s port 53, never answering\n' % self.addr
        with open(self.conf, 'w') as f:
            f.write(text)

    def _nsd_conf(self, zonefiles):
        d = self.dir
        out = ['server:',
               '    ip-address: %s@53' % self.addr,
               '    do-ip6: no',
               '    server-count: 1',
               '    username: ""',
               '    chroot: ""',
               '    database: ""',
               '    zonesdir: "%s"' % d,
               '    zonelistfile: "%s/zone.list"' % d,
               '    xfrdfile: "%s/xfrd.state"' % d,
               '    xfrdir: "%s"' % d,
               '    pidfile: "%s"' % self.pidfile,
               '    logfile: "%s"' % self.log,
               '    verbosity: 1',
               '    zonefiles-write: 0',
               '    rrl-ratelimit: 0',
               '    rrl-whitelist-ratelimit: 0',
               '    hide-version: yes',
               'remote-control:',
               '    control-enable: no']
        for z in self.zones:
            out += ['zone:', '    name: "%s"' % z, '    zonefile: "%s"' % zonefiles[z]]
        return '\n'.join(out) + '\n'

    def _knot_conf(self, zonefiles):
        d = self.dir
        out = ['server:',
               '    rundir: "%s"' % d,
               '    pidfile: "%s"' % self.pidfile,
               '    listen: %s@53' % self.addr,
               '    udp-workers: 1',
               '    tcp-workers: 1',
               '    background-workers: 1',
               'log:',
               '  - target: stderr',
               '    any: info',
               'database:',
               '    storage: "%s"' % d,
               'template:',
               '  - id: default',
               '    storage: "%s"' % d,
               '    zonefile-sync: -1',
               '    zonefile-load: whole',
               '    journal-content: none',
               '    dnssec-signing: off',
               'zone:']
        for z in self.zones:
            out += ['  - domain: "%s"' % z, '    file: "%s"' % zonefiles[z]]
        return '\n'.join(out) + '\n'

    def start(self):
        if self.software == 'nsd':
            cmd = ['nsd', '-d', '-c', self.conf]
        elif self.software == 'knot':
            cmd = ['knotd', '-c', self.conf]
        elif self.software == 'slow':
            cmd = [sys.executable, os.path.abspath(__file__), 'slow', self.addr, self.conf]
        else:
            cmd = [sys.executable, os.path.abspath(__file__), 'silent', self.addr, self.conf]
        with open(os.path.join(self.dir, 'stderr.log'), 'ab') as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=err, start_new_session=True)
        self.pid = self.proc.pid

    def log_tail(self, lines=30):
        text = ''
        for path in (self.log, os.path.join(self.dir, 'stderr.log')):
            try:
                with open(path, errors='replace') as f:
                    text += ''.join(f.readlines()[-lines:])
            except OSError:
                pass
        return text

    def answers(self):
        """True once the server answers an SOA query for each of its zones
        with AA (or, with no zones, answers anything at all); a silent
        one once its sockets are bound."""
        if self.software == 'silent':
            return is_listening(self.addr, 53)
        timeout = 0.2 + (SLOW_DELAY if self.software == 'slow' else 0)
        for z in self.zones or ['.']:
            q = dns.message.make_query(z, 'SOA')
            q.flags &= ~dns.flags.RD
            try:
                r = dns.query.udp(q, self.addr, timeout=timeout)
            except (dns.exception.Timeout, OSError):
                return False
            if self.zones and (r.rcode() != dns.rcode.NOERROR
                               or not r.flags & dns.flags.AA):
                return False
        return True

    def exited(self):
        if self.proc is not None:
            return self.proc.poll() is not None
        return not _pid_alive(self.pid)

    def stop(self):
        if self.pid is None:
            return
        if self.proc is None and not self._is_ours():
            self.pid = None  # gone, and the pid may belong to someone else now
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not self._wait_exit(STOP_TIMEOUT):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._wait_exit(STOP_TIMEOUT)
        self.proc = None
        self.pid = None

    def _is_ours(self):
        """The pid (from world.json) still runs this server's config."""
        try:
            with open('/proc/%d/cmdline' % self.pid, 'rb') as f:
                return self.conf.encode() in f.read().split(b'\0')
        except OSError:
            return False

    def _wait_exit(self, timeout):
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _pid_alive(self.pid):
                return True
            time.sleep(0.02)
        return False


def is_listening(addr, port):
    """True if a UDP socket and a listening TCP socket are on addr:port."""
    want = '%08X:%04X' % (int.from_bytes(bytes(map(int, addr.split('.'))), 'little'), port)
    found = set()
    for proto in ('udp', 'tcp'):
        with open('/proc/net/' + proto) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[1] == want and (proto == 'udp' or cols[3] == '0A'):
                    found.add(proto)
    return found == {'udp', 'tcp'}


def silent(addr):
    """A server that is there but never answers: UDP queries pile up
    unread (no ICMP error), TCP connections are queued, never accepted."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 53))
    t.listen(1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


def _has_below(zone, name):
    """True if a name of the zone lies below name (so that name exists,
    as an empty non-terminal if it has no node of its own, RFC 4592 §2.2.2)."""
    return any(n != name and n.is_subdomain(name) for n in zone.nodes)


def auth_reply(zones, query):
    """An authoritative reply from dnspython zones {origin: zone}: the
    RRset asked for, NODATA or NXDOMAIN with the SOA (RFC 2308 §3), and
    wildcards as RFC 4592 §3.3.1 has them. Non-goals: delegations, CNAME,
    DNSSEC (the zones it serves are unsigned)."""
    r = dns.message.make_response(query, our_payload=1232)
    if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
        r.set_rcode(dns.rcode.NOTIMP if query.opcode() != dns.opcode.QUERY
                    else dns.rcode.FORMERR)
        return r
    qname, rdtype = query.question[0].name, query.question[0].rdtype
    origins = [o for o in zones if qname.is_subdomain(o)]
    if not origins:
        r.set_rcode(dns.rcode.REFUSED)
        return r
    zone = zones[max(origins, key=len)]
    r.flags |= dns.flags.AA
    node = zone.get_node(qname)
    if node is None and not _has_below(zone, qname):
        ce = qname.parent()  # the closest encloser (RFC 4592 §3.3.1)
        while ce != zone.origin and zone.get_node(ce) is None and not _has_below(zone, ce):
            ce = ce.parent()
        node = zone.get_node(dns.name.from_text('*', ce))
        if node is None:
            r.set_rcode(dns.rcode.NXDOMAIN)
    rds = node.get_rdataset(dns.rdataclass.IN, rdtype) if node is not None else None
    if rds is not None:
        r.find_rrset(r.answer, qname, dns.rdataclass.IN, rdtype, create=True).update(rds)
        return r
    soa = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)
    rrset = r.find_rrset(r.authority, zone.origin, dns.rdataclass.IN, dns.rdatatype.SOA,
                         create=True)
    rrset.update(soa)
    rrset.ttl = min(soa.ttl, soa[0].minimum)
    return r


class SlowServer:
    """An authoritative server that answers every query `delay` seconds
    after it came (UDP and TCP, many at once) and appends each question to
    a log, one "name TYPE" line per query, as it arrives."""

    def __init__(self, conf):
        self.addr = conf['addr']
        self.delay = conf['delay']
        self.zones = {}
        for origin, path in conf['zones'].items():
            z = dns.zone.from_file(path, origin, relativize=False)
            self.zones[z.origin] = z
        self.log = open(conf['querylog'], 'a')
        self.lock = threading.Lock()

    def answer(self, wire, udp):
        """The reply's wire form for a query's wire form, or None (not a query)."""
        try:
            q = dns.message.from_wire(wire)
        except Exception:  # anything malformed: no answer, like a server that drops it
            return None
        if q.flags & dns.flags.QR:
            return None
        if q.question:
            with self.lock:
                self.log.write('%s %s\n' % (q.question[0].name.to_text().lower(),
                                             dns.rdatatype.to_text(q.question[0].rdtype)))
                self.log.flush()
        r = auth_reply(self.zones, q)
        limit = 65535
        if udp:
            limit = max(512, q.payload) if q.edns >= 0 else 512
        try:
            return r.to_wire(max_size=limit)
        except dns.exception.TooBig:  # RFC 2181 §9: TC=1 and nothing else
            r = dns.message.make_response(q, our_payload=1232)
            r.flags |= dns.flags.AA | dns.flags.TC
            return r.to_wire(max_size=limit)

    def serve(self):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((self.addr, 53))
        u.setblocking(False)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((self.addr, 53))
        t.listen(16)
        t.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(u, selectors.EVENT_READ)
        sel.register(t, selectors.EVENT_READ)
        due = []  # (time to send, sequence, peer, reply wire)
        seq = 0
        while True:
            wait = max(0.0, due[0][0] - time.monotonic()) if due else None
            for key, _ in sel.select(wait):
                try:
                    if key.fileobj is u:
                        data, peer = u.recvfrom(65535)
                        out = self.answer(data, True)
                        if out is not None:
                            seq += 1
                            heapq.heappush(due, (time.monotonic() + self.delay, seq, peer, out))
                    else:
                        conn, _ = t.accept()
                        threading.Thread(target=self._tcp, args=(conn,), daemon=True).start()
                except (BlockingIOError, InterruptedError):
                    pass
            while due and due[0][0] <= time.monotonic():
                _, _, peer, out = heapq.heappop(due)
                try:
                    u.sendto(out, peer)
                except OSError:
                    pass

    def _tcp(self, conn):
        """One TCP connection (RFC 7766 §8 framing), its queries in turn."""
        conn.setblocking(True)
        conn.settimeout(10)
        try:
            with conn:
                while True:
                    head = _recv_exact(conn, 2)
                    if head is None:
                        return
                    data = _recv_exact(conn, struct.unpack('!H', head)[0])
                    if data is None:
                        return
                    out = self.answer(data, False)
                    time.sleep(self.delay)
                    if out is not None:
                        conn.sendall(struct.pack('!H', len(out)) + out)
        except OSError:
            pass


def _recv_exact(conn, n):
    buf = b''
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def slow(conf_path):
    """Run a SlowServer from its JSON config until SIGTERM."""
    with open(conf_path) as f:
        conf = json.load(f)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    SlowServer(conf).serve()


def _pid_alive(pid):
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is as good as gone
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


# ---- signing hooks: DNSSEC edge cases (test_dnssec_cases.py) ----
#
# A zone's `hook` names an entry of SIGN_HOOKS, which bends one step of
# World._sign: 'window' (now -> (inception, expiration) for ldns-signzone),
# 'args' (more ldns-signzone options), 'before' (edit what is signed) and
# 'after' (edit the signed zone, the DS that goes into the parent, or what
# is served). Each hook breaks one thing and says what in its docstring.

KEYTRAP_KEYS = 100  # DNSKEYs sharing the key tag of the zone's ZSK (ZSK included)
KEYTRAP_SIGS = 100  # RRSIGs over the wildcard A RRset, all naming that tag
_KEYTRAP_MODULUS_BYTES = 512  # 4096 bits: the largest RSA modulus validators take
_KEYTRAP_EXPONENT_BYTES = 8  # 64 bits: the largest exponent Mangrove takes


class SignJob:
    """One zone being signed: its files and keys, for the hooks."""

    def __init__(self, world, zone, zonefile, kdir, keys, now):
        self.world = world
        self.zone = zone
        self.unsigned = zonefile  # as World._zone_text wrote it
        self.to_sign = zonefile  # what ldns-signzone reads ('before' may change it)
        self.signed = zonefile + '.signed'
        self.serve = self.signed  # what the server loads ('after' may change it)
        self.kdir = kdir
        self.keys = keys  # key base names, KSK first
        self.now = now

    def key_path(self, i):
        return os.path.join(self.kdir, self.keys[i])

    def read(self, path):
        with open(path) as f:
            return f.read().splitlines()

    def write(self, path, lines):
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')

    def dnskey_rdata(self, i):
        """The DNSKEY RDATA of key i (wire bytes), from its .key file
        ('owner IN DNSKEY flags protocol algorithm key ;comment')."""
        for line in self.read(self.key_path(i) + '.key'):
            f = line.split(';', 1)[0].split()
            if len(f) >= 7 and f[1:3] == ['IN', 'DNSKEY']:
                return struct.pack('!HBB', int(f[3]), int(f[4]), int(f[5])) + \
                    base64.b64decode(''.join(f[6:]))
        raise RuntimeError('no DNSKEY in %s.key' % self.key_path(i))


def _rr_fields(line):
    """(owner, ttl, class, type, rdata) of a 'name ttl IN TYPE rdata' line
    (ldns tools write records so), or None for anything else."""
    f = line.split(None, 4)
    if len(f) < 5 or f[2] != 'IN' or line.startswith((';', '$')):
        return None
    return f


def _rrsig_covers(line, owner=None, covered=None):
    """True for an RRSIG line (of owner, over type covered when given)."""
    f = _rr_fields(line)
    return (f is not None and f[3] == 'RRSIG'
            and (owner is None or f[0].lower() == owner)
            and (covered is None or f[4].split()[0] == covered))


def _rsa_tag(rdata):
    """Key tag of DNSKEY RDATA bytes (RFC 4034 Appendix B)."""
    ac = 0
    for i, b in enumerate(rdata):
        ac += b if i & 1 else b << 8
    ac += (ac >> 16) & 0xFFFF
    return ac & 0xFFFF


def _hook_bad_sig_after(job):
    """Corrupt the RRSIG over www A: one byte of the signature flipped."""
    owner = 'www.' + job.zone.name
    out, done = [], 0
    for line in job.read(job.signed):
        if _rrsig_covers(line, owner, 'A'):
            head, sig = line.rsplit(None, 1)
            raw = bytearray(base64.b64decode(sig))
            raw[len(raw) // 2] ^= 0xFF
            line = '%s %s' % (head, base64.b64encode(bytes(raw)).decode())
            done += 1
        out.append(line)
    if done != 1:
        raise RuntimeError('bad-sig: %d RRSIGs over %s A' % (done, owner))
    job.write(job.signed, out)


def _hook_ds_other_key_after(job):
    """The parent's DS is the digest of a key the zone does not publish."""
    kb = _run(['ldns-keygen', '-a', _KEYGEN_ALG[job.zone.alg], '-k', job.zone.name],
              cwd=job.kdir).strip()
    ds = _run(['ldns-key2ds', '-n', '-2', os.path.join(job.kdir, kb + '.key')])
    job.zone.ds = [line.strip() for line in ds.splitlines() if line.strip()]


def _hook_dnskey_zsk_only_after(job):
    """The DNSKEY RRset is signed by the ZSK only: the KSK, which the DS
    names, signs nothing (signed with -A, the KSK's RRSIG removed)."""
    ksk_tag = job.zone.keys[0]
    out = [line for line in job.read(job.signed)
           if not (_rrsig_covers(line, job.zone.name, 'DNSKEY')
                   and int(_rr_fields(line)[4].split()[6]) == ksk_tag)]
    job.write(job.signed, out)


def _hook_no_rrsigs_after(job):
    """Served with its DNSKEYs and NSECs but without any RRSIG (the DS is
    in the parent)."""
    job.write(job.signed, [line for line in job.read(job.signed)
                           if not _rrsig_covers(line)])


def _hook_unsigned_after(job):
    """Served unsigned, no DNSKEY at all, while the parent has its DS."""
    job.serve = job.unsigned


def _ds_rewrite(job, algorithm=None, digest_type=None):
    out = []
    for line in job.zone.ds:
        owner, ttl, cls, _, rdata = _rr_fields(line)
        tag, alg, dtype, digest = rdata.split(None, 3)
        out.append('%s %s %s DS %s %s %s %s' % (
            owner, ttl, cls, tag, algorithm or alg, digest_type or dtype, digest))
    job.zone.ds = out


def _hook_ds_alg_253_after(job):
    """The parent's only DS has algorithm 253 (PRIVATEDNS), which no
    validator implements; the zone itself is signed with algorithm 13."""
    _ds_rewrite(job, algorithm=253)


def _hook_ds_digest_3_after(job):
    """The parent's only DS has digest type 3 (GOST R 34.11-94, RFC 5933),
    which Mangrove does not implement; the 32 digest bytes are SHA-256's."""
    _ds_rewrite(job, digest_type=3)


def _unsigned_children_lines(job, lines):
    """The delegation and glue lines of the zone's unsigned children."""
    kids = [c.name for c in job.world.zones
            if not c.signed and job.world.parent(c.name) == job.zone.name]
    return [line for line in lines
            if line.split() and any(_is_sub(line.split()[0].lower(), k) for k in kids)]


def _hook_optout_span_before(job):
    """Sign without the unsigned delegations (they are added back after):
    no NSEC3 record is made for them, so each is only covered by an NSEC3
    with the opt-out flag (RFC 5155 §6). ldns-signzone -p alone still makes
    an NSEC3 (flags 1, type NS) for every unsigned delegation."""
    lines = job.read(job.unsigned)
    kids = _unsigned_children_lines(job, lines)
    if not kids:
        raise RuntimeError('optout-span: %s has no unsigned child' % job.zone.name)
    job.to_sign = job.unsigned + '.optout'
    job.write(job.to_sign, [line for line in lines if line not in kids])


def _hook_optout_span_after(job):
    job.write(job.signed, job.read(job.signed) + ['$TTL %d' % DEFAULT_TTL]
              + _unsigned_children_lines(job, job.read(job.unsigned)))


def _keytrap_decoy(zsk_rdata, n, rng):
    """DNSKEY RDATA of an RSA key (flags 256, algorithm 8) with a 4096-bit
    modulus and a 64-bit exponent whose key tag equals the ZSK's: random
    bytes, then one 16-bit word of the modulus solved for the tag. No
    private key exists for it; checking a signature with it costs a full
    RSA public operation (the most expensive one the validator allows).
    The exponent length is in the three-octet form of RFC 3110 §2 (a zero,
    then two octets; legal for any length), so that the decoys sort before
    the real ZSK in the DNSKEY RRset (canonical order, RFC 4034 §6.3) and
    every key a validator tries is an expensive one."""
    want = _rsa_tag(zsk_rdata)
    exponent = bytes([0x80 | rng.randrange(256)]) + bytes(
        rng.randrange(256) for _ in range(_KEYTRAP_EXPONENT_BYTES - 2)) + bytes(
        [rng.randrange(256) | 1])
    modulus = bytearray([0xFF]) + bytearray(
        rng.randrange(256) for _ in range(_KEYTRAP_MODULUS_BYTES - 2)) + bytearray(
        [rng.randrange(256) | 1])
    rdata = bytearray(zsk_rdata[:4]) + struct.pack('!BH', 0, len(exponent)) + exponent + modulus
    pos = len(rdata) // 2 & ~1  # an even RDATA offset: one word of the tag sum
    rdata[pos:pos + 2] = b'\0\0'
    ac = sum(b if i & 1 else b << 8 for i, b in enumerate(rdata))
    for high in (ac >> 16, (ac >> 16) + 1):  # tag = (x + (x >> 16)) mod 2^16
        x = (high << 16) | ((want - high) & 0xFFFF)
        if x >> 16 == high and ac <= x <= ac + 0xFFFF:
            rdata[pos:pos + 2] = (x - ac).to_bytes(2, 'big')
            break
    if _rsa_tag(rdata) != want:
        raise RuntimeError('keytrap: decoy %d: no word gives tag %d' % (n, want))
    return bytes(rdata)


def _hook_keytrap_before(job):
    """KeyTrap (CVE-2023-50387): publish KEYTRAP_KEYS - 1 decoy DNSKEYs
    whose key tag and algorithm are the ZSK's, signed into the DNSKEY RRset
    by the KSK, so that the DNSKEY RRset itself validates. The ZSK is
    written into the zone too: ldns-signzone adds a key from its .key file
    only when no DNSKEY of the zone has its tag, so it would leave it out."""
    zsk_rdata = job.dnskey_rdata(1)
    if job.zone.keys[0] == job.zone.keys[1]:
        raise RuntimeError('keytrap: KSK and ZSK share a tag, build again')
    rng = random.Random(job.zone.name)
    lines = job.read(job.unsigned)
    lines.append('@ IN DNSKEY 256 3 8 %s' % base64.b64encode(zsk_rdata[4:]).decode())
    for n in range(KEYTRAP_KEYS - 1):
        rdata = _keytrap_decoy(zsk_rdata, n, rng)
        lines.append('@ IN DNSKEY 256 3 8 %s' % base64.b64encode(rdata[4:]).decode())
    job.to_sign = job.unsigned + '.keytrap'
    job.write(job.to_sign, lines)


def _hook_keytrap_after(job):
    """Replace the RRSIG over the wildcard's A RRset by KEYTRAP_SIGS RRSIGs
    that name the shared key tag and carry 512 random bytes (below every
    decoy's modulus, so each check runs the whole RSA operation): none is
    valid, and a validator that tries every key with every signature
    (RFC 4035 §5.3.1 read literally) does KEYTRAP_KEYS * KEYTRAP_SIGS
    RSA-4096 operations for one answer."""
    owner = '*.' + job.zone.name
    rng = random.Random(owner)
    out, real = [], None
    for line in job.read(job.signed):
        if _rrsig_covers(line, owner, 'A'):
            real = line
        else:
            out.append(line)
    if real is None:
        raise RuntimeError('keytrap: no RRSIG over %s A' % owner)
    name, ttl, cls, _, rdata = _rr_fields(real)
    f = rdata.split()
    if int(f[6]) != job.zone.keys[1]:
        raise RuntimeError('keytrap: %s A not signed by the ZSK' % owner)
    for _ in range(KEYTRAP_SIGS):
        sig = bytes([0x01]) + bytes(rng.randrange(256) for _ in range(
            _KEYTRAP_MODULUS_BYTES - 1))
        out.append('%s %s %s RRSIG %s %s' % (name, ttl, cls, ' '.join(f[:8]),
                                              base64.b64encode(sig).decode()))
    job.write(job.signed, out)


def _days(n):
    return n * 86400


SIGN_HOOKS = {
    'bad-sig': {'after': _hook_bad_sig_after},
    # Every signature expired a day ago / valid only from tomorrow on.
    'expired': {'window': lambda now: (now - _days(30), now - _days(1))},
    'not-yet-valid': {'window': lambda now: (now + _days(1), now + _days(30))},
    'ds-other-key': {'after': _hook_ds_other_key_after},
    'dnskey-zsk-only': {'args': ['-A'], 'after': _hook_dnskey_zsk_only_after},
    'ds-but-no-rrsigs': {'after': _hook_no_rrsigs_after},
    'ds-but-unsigned': {'after': _hook_unsigned_after},
    'ds-alg-253': {'after': _hook_ds_alg_253_after},
    'ds-digest-3': {'after': _hook_ds_digest_3_after},
    'optout-span': {'before': _hook_optout_span_before, 'after': _hook_optout_span_after},
    'keytrap': {'before': _hook_keytrap_before, 'after': _hook_keytrap_after},
}


class World:
    """The mini-Internet in one work dir."""

    def __init__(self, workdir, extra_zones=()):
        """extra_zones: more Zone objects (the benchmark's big leaf zones,
        bench/); their parents must be in plan()."""
        self.dir = os.path.abspath(workdir)
        self.zones, extra, self.dead, self.facts = plan()
        self.zones += list(extra_zones)
        self.by_name = {z.name: z for z in self.zones}
        self.servers = {}
        for z in self.zones:
            for a in z.serve:
                s = self.servers.setdefault(a, Server(a, z.software, [], self.dir))
                if s.software != z.software:
                    raise ValueError('%s: one address, two server kinds' % a)
                s.zones.append(z.name)
        for a, sw in extra.items():
            self.servers.setdefault(a, Server(a, sw, [], self.dir))
        self.zonefiles = {}
        self.timings = {}

    # ---- building ----

    def closest_zone(self, name):
        best = None
        for z in self.zones:
            if _is_sub(name, z.name) and (best is None or _depth(z.name) > _depth(best)):
                best = z.name
        return best

    def parent(self, zone):
        if zone == '.':
            return None
        return self.closest_zone(zone.split('.', 1)[1] or '.')

    def _zone_text(self, z):
        """Unsigned zone text: SOA, NS, addresses of NS names it owns,
        the zone's records, and child delegations with glue."""
        primary = z.ns[0][0]
        lines = ['$ORIGIN %s' % z.name, '$TTL %d' % DEFAULT_TTL,
                 '@ IN SOA %s hostmaster.%s 1 3600 600 86400 %d'
                 % (primary, '' if z.name == '.' else z.name, SOA_MINIMUM)]
        lines += ['@ IN NS %s' % n for n, _ in z.ns]
        for other in self.zones:  # addresses of NS names this zone owns
            for n, a in other.ns:
                if self.closest_zone(n) == z.name:
                    lines.append('%s IN A %s' % (n, a))
        lines += z.records
        for child in self.zones:
            if child is z or self.parent(child.name) != z.name:
                continue
            lines += ['%s IN NS %s' % (child.name, n) for n, _ in child.ns]
            lines += child.ds
        lines += self._glue(z)
        return '\n'.join(dict.fromkeys(lines)) + '\n'  # no duplicates, in order

    def _glue(self, z):
        """Glue in z (RFC 1034 §4.2.1): addresses of NS names below a zone
        cut in z, for z's own NS set, and for a delegation only when the NS
        name is inside the delegated zone (no sibling glue, so a name
        served from another zone stays glueless)."""
        out = []
        for other in self.zones:
            if other is not z and self.parent(other.name) != z.name:
                continue
            for n, a in other.ns:
                owner = self.closest_zone(n)
                if owner == z.name or not _is_sub(n, z.name):
                    continue
                if other is z or _is_sub(n, other.name):
                    out.append('%s IN A %s' % (n, a))
        return out

    def _keygen(self, z):
        """Make the zone's keys: (key dir, [key base names], KSK first)."""
        kdir = os.path.join(self.dir, 'keys', z.name.strip('.') or 'root')
        os.makedirs(kdir, exist_ok=True)
        alg = _KEYGEN_ALG[z.alg]
        bits = ['-b', str(z.bits)] if z.alg in _RSA_ALGS else []
        ksk = _run(['ldns-keygen', '-a', alg] + bits + ['-k', z.name], cwd=kdir).strip()
        keys = [ksk]
        if z.split_keys:
            keys.append(_run(['ldns-keygen', '-a', alg] + bits + [z.name], cwd=kdir).strip())
        return kdir, keys

    def _sign(self, z, zonefile, now, kdir, keys):
        """Sign zonefile with the keys (KSK first), bent by the zone's hook;
        fills z.keys and z.ds; returns the file the server is to load."""
        ksk = keys[0]
        z.keys = [int(k.rsplit('+', 1)[1]) for k in keys]
        hook = SIGN_HOOKS[z.hook] if z.hook else {}
        job = SignJob(self, z, zonefile, kdir, keys, now)
        inception, expiration = hook['window'](now) if 'window' in hook else (
            now - 3600, now + 30 * 86400)
        cmd = ['ldns-signzone', '-o', z.name, '-f', job.signed,
               '-i', str(inception), '-e', str(expiration)] + hook.get('args', [])
        if z.denial.startswith('nsec3'):
            cmd += ['-n', '-a', str(NSEC3_HASH_SHA1), '-t', str(z.iterations)]
            if z.salt != '-':
                cmd += ['-s', z.salt]
            if z.denial == 'nsec3-optout':
                cmd.append('-p')
        if 'before' in hook:
            hook['before'](job)
        _run(cmd + [job.to_sign] + [os.path.join(kdir, k) for k in keys])
        ds = _run(['ldns-key2ds', '-n', '-2', os.path.join(kdir, ksk + '.key')])
        z.ds = [line.strip() for line in ds.splitlines() if line.strip()]
        if 'after' in hook:
            hook['after'](job)
        return job.serve

    def build(self):
        """Write and sign every zone (children first), the trust anchor,
        the root hints and the server configs."""
        t0 = time.monotonic()
        zdir = os.path.join(self.dir, 'zones')
        if os.path.isdir(zdir):
            shutil.rmtree(zdir)
        if os.path.isdir(os.path.join(self.dir, 'keys')):
            shutil.rmtree(os.path.join(self.dir, 'keys'))
        os.makedirs(zdir)
        now = int(time.time())
        # Keys depend on nothing: make them two at a time (RSA keygen is
        # most of the build time).
        signed = [z for z in self.zones if z.signed]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            made = dict(zip([z.name for z in signed], pool.map(self._keygen, signed)))
        for z in sorted(self.zones, key=lambda z: -_depth(z.name)):
            path = os.path.join(zdir, (z.name.strip('.') or 'root') + '.zone')
            with open(path, 'w') as f:
                f.write(self._zone_text(z))
            self.zonefiles[z.name] = (self._sign(z, path, now, *made[z.name])
                                      if z.signed else path)
        self.trust_anchor = os.path.join(self.dir, 'root.key')
        with open(self.trust_anchor, 'w') as f:
            f.write('\n'.join(self.by_name['.'].ds) + '\n')
        self.root_hints = os.path.join(self.dir, 'root.hints')
        with open(self.root_hints, 'w') as f:
            for n, _ in self.by_name['.'].ns:
                f.write('.\t3600000\tIN\tNS\t%s\n' % n)
            for n, a in self.by_name['.'].ns:
                f.write('%s\t3600000\tIN\tA\t%s\n' % (n, a))
        for s in self.servers.values():
            s.write_conf(self.zonefiles)
        self.timings['build_s'] = round(time.monotonic() - t0, 3)
        self.write_json()

    # ---- running ----

    def start(self, addrs=None):
        """Start the servers (all, or those on addrs) and wait until each answers."""
        if not in_private_netns():
            raise RuntimeError('refusing to start servers outside a private network '
                               'namespace: run inside `unshare -rn` with MANGROVE_NETNS=1')
        t0 = time.monotonic()
        todo = [self.servers[a] for a in (addrs or sorted(self.servers))]
        for s in todo:
            if s.pid is None:
                s.start()
        deadline = time.monotonic() + READY_TIMEOUT
        for s in todo:
            while not s.answers():
                if s.exited() or time.monotonic() > deadline:
                    why = 'exited' if s.exited() else 'did not answer in %.0f s' % READY_TIMEOUT
                    self.stop()
                    raise RuntimeError('%s on %s %s; its log:\n%s'
                                       % (s.software, s.addr, why, s.log_tail()))
                time.sleep(0.02)
        self.timings['start_s'] = round(time.monotonic() - t0, 3)
        self.write_json()

    def stop(self, addrs=None):
        """Stop the servers (all, or those on addrs)."""
        for a in (addrs or sorted(self.servers)):
            self.servers[a].stop()
        self.write_json()

    # ---- facts ----

    @property
    def info(self):
        return {
            'dir': self.dir,
            'root_hints': getattr(self, 'root_hints', None),
            'trust_anchor': getattr(self, 'trust_anchor', None),
            'timings': self.timings,
            'dead_addresses': self.dead,
            'zones': {z.name: {
                'ns': z.ns, 'serve': z.serve, 'software': z.software,
                'signed': z.signed, 'alg': z.alg if z.signed else None,
                'denial': z.denial if z.signed else None, 'hook': z.hook,
                'nsec3_salt': z.salt, 'nsec3_iterations': z.iterations,
                'ds': z.ds, 'keys': z.keys, 'file': self.zonefiles.get(z.name),
                'parent': self.parent(z.name)} for z in self.zones},
            'servers': {a: {'software': s.software, 'zones': s.zones, 'pid': s.pid,
                            'conf': s.conf, 'log': s.log,
                            'querylog': s.querylog if s.software == 'slow' else None}
                        for a, s in self.servers.items()},
            'facts': self.facts,
        }

    def write_json(self):
        os.makedirs(self.dir, exist_ok=True)
        tmp = os.path.join(self.dir, 'world.json.tmp')
        with open(tmp, 'w') as f:
            json.dump(self.info, f, indent=1, sort_keys=True)
        os.replace(tmp, os.path.join(self.dir, 'world.json'))

    @classmethod
    def load(cls, workdir):
        """A World whose server pids come from DIR/world.json (for `down`)."""
        w = cls(workdir)
        with open(os.path.join(w.dir, 'world.json')) as f:
            saved = json.load(f)
        for a, s in saved['servers'].items():
            if a in w.servers:
                w.servers[a].pid = s['pid']
        return w


def main(argv):
    if len(argv) == 4 and argv[1] == 'silent':  # internal: World starts these
        silent(argv[2])
        return 0
    if len(argv) == 4 and argv[1] == 'slow':
        slow(argv[3])
        return 0
    if len(argv) != 3 or argv[1] not in ('up', 'down'):
        sys.stderr.write('usage: %s up|down DIR\n' % argv[0])
        return 2
    if argv[1] == 'up':
        if not in_private_netns():
            sys.stderr.write('mini_internet.py up: run inside `unshare -rn` '
                             'with MANGROVE_NETNS=1\n')
            return 1
        w = World(argv[2])
        w.build()
        try:
            w.start()
        except RuntimeError as e:
            sys.stderr.write('%s\n' % e)
            return 1
        print('mini-Internet up in %s (build %.2f s, start %.2f s); see world.json'
              % (w.dir, w.timings['build_s'], w.timings['start_s']))
        return 0
    World.load(argv[2]).stop()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
