"""cache-size is honoured (DESIGN.md "Limits that are part of the design"):
far more distinct answers than the cache holds pass through a daemon with a
small cache, and its memory grows by no more than the budget plus a fixed
overhead; the same load against a large cache grows by much more, so it is
the budget, not the load, that bounds memory.

The load: distinct names under the wildcards of fill.lab (mini_internet.py),
TXT and A for each, sent once over UDP (never retried) with a bounded number
in flight, by a hand-rolled non-blocking loop (dnspython message objects
would make the client, not the daemon, the bottleneck)."""

import collections
import os
import selectors
import socket
import struct
import time

import dns.rcode
import pytest

from helpers import control_stats, rdata_of

SMALL, SMALL_KIB = '1m', 1024
LARGE = '256m'
# Eight shards: each gets 128 KiB of the small budget, more than any DNS
# message (at most 64 KiB) plus its entry overhead, so no reply is refused
# for being larger than its shard.
SHARDS = '8'
NAMES = 80000  # 160,000 questions: over 20 MiB of distinct answers
WARM_NAMES = 300
INFLIGHT = 200
WALL = 40.0  # seconds at most per load run, whatever is left unsent
QUERY_TIMEOUT = 2.0  # a query unanswered this long counts as lost
# The fixed overhead allowed on top of the budget. Measured on the 2-core
# box this suite was written on (1 worker, 200 in flight; VmRSS growth from
# after the warm-up to after the 160,000 questions):
#   cache-size 64k (the minimum): +0.5 to +1.0 MiB (VmHWM +1.3 MiB at most)
#   1m: +1.0 to +1.6 MiB;  4m: +4.8 MiB;  16m: +17.1 MiB;  256m: +84 MiB
# i.e. about 1.03 x budget + 0.7 MiB. What is not the cache's scales with
# the questions in flight, not with the load (64k with 32 in flight: +0.05
# MiB): up to 200 live requests, each with its parsed upstream reply (ldns
# objects, some KiB), the answer being built and its arena, which malloc
# keeps for reuse once freed. The slope above 1 (3 to 6% in runs with 200 to
# 256 in flight) is malloc rounding and holes between entries of different
# sizes: at most 62 KiB at 1m. 4 MiB is 2.5 times the largest growth seen
# at 1m, room for timing noise, and still a twentieth of what the same load
# costs the 256m cache.
OVERHEAD_KIB = 4096
# Once the cache is full, memory must stop growing: the second half of the
# load (80,000 questions) may add at most this much to the bytes the heap
# has handed out (memory.heap_bytes from mangrove-control stats, read with
# nothing in flight). A leak of one byte per question would add 78 KiB.
# Seen: -1 to +1 KiB. VmRSS is not used for this: when the kernel counts
# pages that malloc touched moves it by several hundred KiB either way
# (+696 KiB in one CI run, -260 in others) with the heap unchanged.
SECOND_HALF_KIB = 32
# The large cache keeps every answer, so the same load must grow it by much
# more than the small one is allowed (seen: +84 MiB).
LARGE_MIN_KIB = 4 * (SMALL_KIB + OVERHEAD_KIB)
OPT_LEN = 11  # the OPT record the daemon adds to each reply, not cached

QTYPE = {'A': 1, 'TXT': 16}
# RFC 6891 §6.1.2: an OPT RR, root owner, payload 1232, no flags.
OPT = b'\x00' + struct.pack('!HHIH', 41, 1232, 0, 0)


def wire_query(qid, name, rdtype):
    """A recursive query with EDNS (RFC 1035 §4.1.1) for a name of ASCII labels."""
    qname = b''.join(bytes([len(x)]) + x.encode() for x in name.rstrip('.').split('.'))
    return (struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 1) + qname + b'\x00'
            + struct.pack('!HH', QTYPE[rdtype], 1) + OPT)


Load = collections.namedtuple('Load', 'sent noerror servfail other lost answer_bytes seconds')


class Blaster:
    """Sends questions over a few non-blocking UDP sockets, each once, with
    at most `inflight` unanswered, and tallies the replies by header."""

    def __init__(self, addr, nsocks=4):
        self.addr = addr
        self.sel = selectors.DefaultSelector()
        self.socks = []
        for k in range(nsocks):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind(('127.0.0.1', 0))
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, k)
            self.socks.append(s)
        self.next_id = [0] * nsocks

    def close(self):
        for s in self.socks:
            self.sel.unregister(s)
            s.close()
        self.sel.close()

    def run(self, questions, inflight, wall):
        """Send every (name, type) once; stop after wall seconds. Returns a Load."""
        self.pending = {}  # (socket index, id) -> send time
        self.order = collections.deque()  # (send time, key), oldest first
        self.counts = collections.Counter()
        start = time.monotonic()
        end = start + wall
        i = 0
        while (i < len(questions) or self.pending) and time.monotonic() < end:
            while len(self.pending) < inflight and i < len(questions):
                if not self._send(i, questions[i]):
                    break
                i += 1
            for skey, _ in self.sel.select(0.05):
                self._receive(skey.data)
            self._expire(time.monotonic() - QUERY_TIMEOUT)
        c = self.counts
        return Load(i, c['noerror'], c['servfail'], c['other'],
                    c['lost'] + len(self.pending), c['answer_bytes'],
                    round(time.monotonic() - start, 3))

    def _send(self, i, question):
        k = i % len(self.socks)
        qid = self.next_id[k]
        self.next_id[k] = (qid + 1) & 0xffff
        if (k, qid) in self.pending:  # wrapped onto a query still out: drop it
            self.pending.pop((k, qid))
            self.counts['lost'] += 1
        try:
            self.socks[k].sendto(wire_query(qid, *question), (self.addr, 53))
        except BlockingIOError:
            return False
        now = time.monotonic()
        self.pending[(k, qid)] = now
        self.order.append((now, (k, qid)))
        return True

    def _receive(self, k):
        while True:
            try:
                data = self.socks[k].recv(65535)
            except BlockingIOError:
                return
            if len(data) < 12 or self.pending.pop((k, struct.unpack('!H', data[:2])[0]),
                                                  None) is None:
                continue  # late or unknown: not counted
            rcode = data[3] & 0x0f
            ancount = struct.unpack('!H', data[6:8])[0]
            if rcode == dns.rcode.NOERROR and ancount > 0:
                self.counts['noerror'] += 1
                self.counts['answer_bytes'] += len(data)
            elif rcode == dns.rcode.SERVFAIL:
                self.counts['servfail'] += 1
            else:
                self.counts['other'] += 1

    def _expire(self, before):
        while self.order and self.order[0][0] < before:
            _, key = self.order.popleft()
            if self.pending.get(key) is not None and self.pending[key] < before:
                del self.pending[key]
                self.counts['lost'] += 1


def questions(prefix, first, count, zone):
    """Names prefix<n>.zone for n in [first, first + count), each for TXT and A."""
    out = []
    for n in range(first, first + count):
        name = '%s%d.%s' % (prefix, n, zone)
        out += [(name, 'TXT'), (name, 'A')]
    return out


Run = collections.namedtuple('Run', 'cache_size rss_before rss_half rss_after hwm_before '
                                    'hwm_after heap_before heap_half heap_after warm loads')


def memory(r, sock):
    """(VmRSS, VmHWM, heap in use) of the daemon in KiB; fails the test if
    it has died."""
    assert r.proc.poll() is None, 'mangrove died under load:\n' + r.log_tail()
    heap = control_stats(sock)['memory.heap_bytes'] // 1024
    return r.status_kib('VmRSS'), r.status_kib('VmHWM'), heap


def load_run(make_resolver, facts, cache_size, sock):
    """Start a daemon with cache_size, warm it, send the load in two halves
    and read its memory in between; the daemon is left running."""
    zone = facts['fill']['zone']
    # Without trust anchors: this test measures the cache, and validating
    # 160,000 wildcard answers would make it a test of signature speed.
    r = make_resolver({'cache-size': cache_size, 'cache-shards': SHARDS,
                       'workers': '1', 'verbosity': '1', 'control-socket': sock,
                       'trust-anchor-file': None, 'root-trust-anchor': 'no'})
    b = Blaster(r.addr)
    try:
        warm = b.run(questions('warm', 0, WARM_NAMES, zone), INFLIGHT, 10.0)
        rss0, hwm0, heap0 = memory(r, sock)
        half = NAMES // 2
        first = b.run(questions('n', 0, half, zone), INFLIGHT, WALL / 2)
        rss1, _, heap1 = memory(r, sock)
        second = b.run(questions('n', half, NAMES - half, zone), INFLIGHT, WALL / 2)
        rss2, hwm2, heap2 = memory(r, sock)
    finally:
        b.close()
    run = Run(cache_size, rss0, rss1, rss2, hwm0, hwm2, heap0, heap1, heap2, warm,
              (first, second))
    print(describe(run))
    return r, run


def describe(run):
    sent = sum(x.sent for x in run.loads)
    secs = sum(x.seconds for x in run.loads)
    return ('cache-size %s: VmRSS %d KiB after warm-up, %d at half load, %d after '
            '(+%d KiB); VmHWM %d -> %d; heap in use %d, %d, %d KiB; '
            '%d questions in %.1f s (%.0f/s); %r'
            % (run.cache_size, run.rss_before, run.rss_half, run.rss_after,
               run.rss_after - run.rss_before, run.hwm_before, run.hwm_after,
               run.heap_before, run.heap_half, run.heap_after,
               sent, secs, sent / secs, run.loads))


def check_answers(r, facts):
    """The daemon still resolves: a fresh name, one from the load, a known one."""
    fill = facts['fill']
    for name in ('after-load.' + fill['zone'], 'n7.' + fill['zone']):
        for rdtype in ('TXT', 'A'):
            m = r.query(name, rdtype)
            assert m.rcode() == dns.rcode.NOERROR, (name, rdtype, dns.rcode.to_text(m.rcode()))
            got = rdata_of(m, name, rdtype)
            want = ['"%s"' % t for t in fill['TXT']] if rdtype == 'TXT' else fill['A']
            assert got == sorted(want), (name, rdtype, got)
    p = facts['plain']
    m = r.query(p['name'], 'A')
    assert rdata_of(m, p['name'], 'A') == sorted(p['A'])


def check_load(run):
    """Nearly every question got a real answer, and enough data went by."""
    sent = sum(x.sent for x in run.loads)
    noerror = sum(x.noerror for x in run.loads)
    assert sent == 2 * NAMES, 'only %d of %d questions sent within %.0f s: %s' % (
        sent, 2 * NAMES, WALL, describe(run))
    assert noerror >= 0.98 * sent, describe(run)
    assert sum(x.servfail for x in run.loads) <= 0.01 * sent, describe(run)
    # Each NOERROR reply was stored in the message cache as its wire bytes
    # (without the OPT record), so this is a lower bound of what passed
    # through it; the RRset cache took the answer RRsets as well.
    stored = sum(x.answer_bytes - OPT_LEN * x.noerror for x in run.loads)
    assert stored >= 20 * SMALL_KIB * 1024, (stored, describe(run))


@pytest.mark.skipif(bool(os.environ.get('MANGROVE_SANITIZERS')),
                    reason='under AddressSanitizer RSS counts its quarantine and shadow '
                           'memory, not the cache; the plain build runs this test')
def test_cache_size_bounds_memory(make_resolver, facts, tmp_path):
    r, small = load_run(make_resolver, facts, SMALL, str(tmp_path / 'small.sock'))
    check_load(small)
    check_answers(r, facts)
    assert r.stop() == 0
    r, large = load_run(make_resolver, facts, LARGE, str(tmp_path / 'large.sock'))
    check_load(large)
    check_answers(r, facts)
    summary = '%s\n%s' % (describe(small), describe(large))

    limit = SMALL_KIB + OVERHEAD_KIB
    assert small.rss_after - small.rss_before <= limit, summary
    assert small.hwm_after - small.hwm_before <= limit, summary
    assert small.heap_after - small.heap_half <= SECOND_HALF_KIB, summary
    assert small.heap_after - small.heap_before <= limit, summary
    assert large.rss_after - large.rss_before >= LARGE_MIN_KIB, summary
