"""dnsperf.py - run dnsperf 2.10 and read its report; check answers with dnspython."""

import math
import random
import re
import subprocess

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from resolvers import ADDR, PORT

QUERY_TIMEOUT = 5  # dnsperf -t: seconds before a query counts as lost
SLACK = 30  # seconds a dnsperf run may take beyond its -l limit before it is killed


class Report:
    """What one dnsperf run printed: counts, rcodes, run time, latencies."""

    def __init__(self, text, latencies):
        self.text = text
        self.sent = _int(text, r'Queries sent:\s+(\d+)')
        self.completed = _int(text, r'Queries completed:\s+(\d+)')
        self.lost = _int(text, r'Queries lost:\s+(\d+)')
        self.runtime = _float(text, r'Run time \(s\):\s+([\d.]+)')
        self.qps = _float(text, r'Queries per second:\s+([\d.]+)')
        self.response_size = _int(text, r'Average packet size:.*response (\d+)')
        self.rcodes = {}
        m = re.search(r'Response codes:\s+(.*)', text)
        if m:
            for code, count in re.findall(r'([A-Z]+) (\d+) \(', m.group(1)):
                self.rcodes[code] = int(count)
        self.latencies = latencies  # seconds, one per answer (verbose runs only)

    @property
    def noerror(self):
        return self.rcodes.get('NOERROR', 0)

    def problems(self, min_share=0.99):
        """Why this run's numbers are not to be trusted ([] if they are)."""
        if self.sent == 0:
            return ['dnsperf sent nothing']
        out = []
        if self.noerror < min_share * self.sent:
            out.append('NOERROR for %d of %d queries sent (%s, lost %d)'
                       % (self.noerror, self.sent, self.rcodes, self.lost))
        return out

    def summary(self):
        return {'sent': self.sent, 'completed': self.completed, 'lost': self.lost,
                'rcodes': self.rcodes, 'runtime_s': self.runtime, 'qps': self.qps,
                'response_bytes': self.response_size}


def _int(text, pattern):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else 0


def _float(text, pattern):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else 0.0


def write_datafile(path, names, rdtype='A'):
    with open(path, 'w') as f:
        f.write(''.join('%s %s\n' % (n, rdtype) for n in names))
    return path


def run(datafile, outfile, *, seconds, once=False, clients=16, outstanding=100,
        rate=None, verbose=False, flags=('-D',)):
    """One dnsperf run against the resolver: through the file once (once)
    or in a loop, for at most `seconds`. Returns a Report."""
    cmd = ['dnsperf', '-s', ADDR, '-p', str(PORT), '-d', datafile, '-c', str(clients),
           '-T', '1', '-q', str(outstanding), '-t', str(QUERY_TIMEOUT), '-l', str(seconds)]
    cmd += list(flags)
    if once:
        cmd += ['-n', '1']
    if rate:
        cmd += ['-Q', str(rate)]
    if verbose:
        cmd.append('-v')
    with open(outfile, 'w') as out:
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                           timeout=seconds + QUERY_TIMEOUT + SLACK)
    latencies = []
    head = []
    with open(outfile, errors='replace') as f:
        for line in f:
            if line.startswith('> '):  # -v: "> RCODE name type latency"
                if verbose:
                    latencies.append(float(line.rsplit(None, 1)[1]))
            else:
                head.append(line)
    text = ''.join(head)
    if p.returncode != 0:
        raise RuntimeError('dnsperf failed (%d): %s' % (p.returncode, text[-2000:]))
    if verbose:  # the per-query lines are big; keep the report only
        with open(outfile, 'w') as f:
            f.write(text)
    return Report(text, latencies)


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    return s[max(0, min(len(s), math.ceil(p / 100.0 * len(s))) - 1)]


def ask(name, timeout=3.0):
    """One validating client's question: EDNS with DO and AD set."""
    q = dns.message.make_query(name, 'A')
    q.use_edns(0, ednsflags=dns.flags.DO, payload=1232)
    q.flags |= dns.flags.AD
    return dns.query.udp(q, ADDR, port=PORT, timeout=timeout)


def check(pairs, count=50, seed=0):
    """Ask a sample of (name, address) pairs; each must come back NOERROR
    with AD and the A record. Returns the failures as text ([] = good)."""
    pairs = list(pairs)
    sample = random.Random(seed).sample(pairs, min(count, len(pairs)))
    bad = []
    for name, addr in sample:
        try:
            r = ask(name)
        except Exception as e:  # a timeout or a garbled reply is a failure to report
            bad.append('%s: %s' % (name, type(e).__name__))
            continue
        rdata = [rr.to_text() for rrset in r.answer if rrset.rdtype == dns.rdatatype.A
                 for rr in rrset]
        if r.rcode() != dns.rcode.NOERROR or not r.flags & dns.flags.AD or addr not in rdata:
            bad.append('%s: %s%s %s' % (name, dns.rcode.to_text(r.rcode()),
                                        ' AD' if r.flags & dns.flags.AD else ' no AD',
                                        rdata))
    return bad
