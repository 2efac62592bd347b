#!/usr/bin/python3
"""bench.py - Mangrove side by side with Unbound under dnsperf.

Run it through bench/run, which puts it in a private network namespace
(`unshare -rn`, loopback only). It builds (or reuses) the signed
mini-Internet with two big leaf zones (bench/world.py), then for each
repetition and each test starts Mangrove, runs the test, stops it, starts
Unbound, runs the same test, stops it (A B A B ...). Each run starts with
an empty cache. A run's numbers count only if dnsperf got NOERROR for at
least 99% of its queries and a sample of 50 of the test's names comes back
NOERROR with AD and the right address. Prints the medians per metric for
each resolver and the Mangrove/Unbound ratio; writes the same as JSON.

Tests (--only):
  cachehit    warm 10k names, then dnsperf at full speed for --duration s:
              resolver CPU per answered query, queries/s, core busy share
  cold-ecdsa  --cold-queries unique names of the ECDSA P-256 leaf, each
              resolved and validated once (dnsperf -c 16 -n 1): CPU per
              resolution, resolutions/s
  cold-rsa    the same in the RSA-2048 leaf
  latency     warm 10k names, dnsperf -Q --rate for --latency-duration s:
              latency percentiles of the answers (dnsperf -v), CPU per query
  memory      --fill names resolved: VmRSS growth per cached RRset
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get('MANGROVE_SRCDIR') or os.path.dirname(HERE)
BUILDDIR = os.environ.get('MANGROVE_BUILDDIR') or SRCDIR
# Appended, not inserted: a PYTHONPATH copy of mini_internet.py goes first.
sys.path.append(os.path.join(SRCDIR, 'tests', 'integration'))

import mini_internet  # noqa: E402
import dnsperf  # noqa: E402
import resolvers  # noqa: E402
import world as bworld  # noqa: E402

TESTS = ['cachehit', 'cold-ecdsa', 'cold-rsa', 'latency', 'memory']
PRIME = 4  # names h0..h3 of each zone: asked first, so keys are cached
FIRST = 16  # measured names start at h16
SAMPLE = 50  # names checked per run

# (test, metric key, label, unit, 'lower' or 'higher' is better)
METRICS = [
    ('cachehit', 'cpu_us', 'cache hit: CPU per query', 'us', 'lower'),
    ('cachehit', 'qps', 'cache hit: answers/s', 'q/s', 'higher'),
    ('cachehit', 'busy_pct', 'cache hit: resolver CPUs busy', '%', None),
    ('cold-ecdsa', 'cpu_us', 'cold ECDSA: CPU per resolution', 'us', 'lower'),
    ('cold-ecdsa', 'qps', 'cold ECDSA: resolutions/s', 'q/s', 'higher'),
    ('cold-rsa', 'cpu_us', 'cold RSA: CPU per resolution', 'us', 'lower'),
    ('cold-rsa', 'qps', 'cold RSA: resolutions/s', 'q/s', 'higher'),
    ('latency', 'p50_ms', 'fixed rate: p50 latency', 'ms', 'lower'),
    ('latency', 'p99_ms', 'fixed rate: p99 latency', 'ms', 'lower'),
    ('latency', 'p999_ms', 'fixed rate: p99.9 latency', 'ms', 'lower'),
    ('latency', 'cpu_us', 'fixed rate: CPU per query', 'us', 'lower'),
    ('memory', 'bytes_per_rrset', 'memory: RSS per cached RRset', 'B', 'lower'),
    ('memory', 'rss_mib', 'memory: RSS after the fill', 'MiB', 'lower'),
]

# Tests whose figures other processes do not change (RSS): never noisy.
NOISE_FREE = {'memory'}

QUICK = {'names': 10000, 'hot': 2000, 'cold_queries': 5000, 'fill': 5000,
         'duration': 5, 'latency_duration': 5, 'repetitions': 1}
FULL = {'names': 200000, 'hot': 10000, 'cold_queries': 50000, 'fill': 100000,
        'duration': 15, 'latency_duration': 10, 'repetitions': 5}


def log(msg):
    print(msg, flush=True)


def cpu_busy_ticks(cpus=None):
    """Busy clock ticks so far of the given CPUs, or of all (/proc/stat:
    every column but idle and iowait; steal counts as busy)."""
    total = 0
    with open('/proc/stat') as f:
        for line in f:
            parts = line.split()
            n = parts[0][3:]
            if parts[0].startswith('cpu') and n.isdigit() and (cpus is None or int(n) in cpus):
                v = [int(x) for x in parts[1:9]]
                total += sum(v) - v[3] - v[4]
    return total


def our_ticks():
    """CPU ticks used so far by the processes of this network namespace
    (this script, the resolver, the servers, dnsperf): utime + stime +
    cutime + cstime of each, so children already reaped count too."""
    me = os.readlink('/proc/self/ns/net')
    total = 0
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            if os.readlink('/proc/%s/ns/net' % pid) != me:
                continue
            with open('/proc/%s/stat' % pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        total += sum(int(x) for x in fields[11:15])
    return total


class Noise:
    """How much CPU other processes took while a run went on: on the
    resolver's CPUs (beside the resolver), and on the whole machine (beside
    everything this bench runs), each as a percentage of those CPUs' time."""

    def __init__(self, d, cpus):
        self.d, self.cpus = d, cpus
        self.t0 = time.monotonic()
        self.res0, self.all0 = cpu_busy_ticks(cpus), cpu_busy_ticks()
        self.own0, self.ours0 = d.cpu_seconds(), our_ticks()

    def result(self):
        wall = time.monotonic() - self.t0
        own = (self.d.cpu_seconds() - self.own0) * resolvers.CLK_TCK
        beside_resolver = cpu_busy_ticks(self.cpus) - self.res0 - own
        beside_us = cpu_busy_ticks() - self.all0 - (our_ticks() - self.ours0)
        def pct(ticks, ncpu):
            return round(100.0 * max(0, ticks) / resolvers.CLK_TCK / (wall * ncpu), 1)
        return pct(beside_resolver, len(self.cpus)), pct(beside_us, os.cpu_count())


def cpus_allowed(pid):
    """The CPU list a process may run on (/proc/PID/status), to show the pinning."""
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('Cpus_allowed_list:'):
                return line.split()[1]
    return '?'


def loadavg():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


class Bench:
    def __init__(self, args, world):
        self.args = args
        self.world = world
        self.runs = []
        self.cut_short = False  # the time limit stopped it
        self.qdir = os.path.join(args.workdir, 'queries')
        os.makedirs(self.qdir, exist_ok=True)
        self.files = {}
        self.pairs = {}
        hot = range(FIRST, FIRST + args.hot)
        self._names('hot', 'ecdsa', hot)
        self._names('cold-ecdsa', 'ecdsa', range(FIRST, FIRST + args.cold_queries))
        self._names('cold-rsa', 'rsa', range(FIRST, FIRST + args.cold_queries))
        self._names('fill', 'ecdsa', range(FIRST, FIRST + args.fill))
        self.prime = [(bworld.name(k, i), bworld.address(i))
                      for k in bworld.ZONES for i in range(PRIME)]

    def _names(self, key, kind, indexes):
        pairs = [(bworld.name(kind, i), bworld.address(i)) for i in indexes]
        self.pairs[key] = pairs
        self.files[key] = dnsperf.write_datafile(os.path.join(self.qdir, key + '.txt'),
                                                 [n for n, _ in pairs])

    def daemon(self, label, rundir):
        a = self.args
        cls = resolvers.Mangrove if label == 'mangrove' else resolvers.Unbound
        binary = a.mangrove if label == 'mangrove' else a.unbound
        return cls(binary, rundir, self.world, a.workers, a.cache_bytes, a.resolver_cpus)

    def perf(self, key, out, **kw):
        kw.setdefault('flags', self.args.dnsperf_flags)
        return dnsperf.run(self.files[key], out, **kw)

    # ---- the tests: each returns (metrics, problems, details) ----

    def warm(self, d, out):
        """Resolve the hot names once (cold), so the test that follows hits the cache."""
        r = self.perf('hot', out + '.warm', seconds=self.args.bound, once=True)
        return r.problems()

    def t_cachehit(self, d, out):
        a = self.args
        problems = self.warm(d, out)
        c0, t0 = d.cpu_seconds(), time.monotonic()
        r = self.perf('hot', out, seconds=a.duration)
        cpu = d.cpu_seconds() - c0
        wall = time.monotonic() - t0
        m = {'cpu_us': 1e6 * cpu / max(1, r.completed), 'qps': r.qps,
             'busy_pct': 100.0 * cpu / max(1e-9, r.runtime or wall) / len(a.resolver_cpu_set)}
        return m, problems + r.problems(), {'dnsperf': r.summary(), 'cpu_s': cpu}

    def _cold(self, key, d, out):
        c0 = d.cpu_seconds()
        r = self.perf(key, out, seconds=self.args.bound, once=True)
        cpu = d.cpu_seconds() - c0
        m = {'cpu_us': 1e6 * cpu / max(1, r.completed), 'qps': r.qps}
        return m, r.problems(), {'dnsperf': r.summary(), 'cpu_s': cpu}

    def t_cold_ecdsa(self, d, out):
        return self._cold('cold-ecdsa', d, out)

    def t_cold_rsa(self, d, out):
        return self._cold('cold-rsa', d, out)

    def t_latency(self, d, out):
        a = self.args
        problems = self.warm(d, out)
        c0 = d.cpu_seconds()
        r = self.perf('hot', out, seconds=a.latency_duration, rate=a.rate, verbose=True)
        cpu = d.cpu_seconds() - c0
        problems += r.problems()
        if not r.latencies:
            return {}, problems + ['no latencies from dnsperf -v'], {'dnsperf': r.summary()}
        if r.qps < 0.97 * a.rate:
            problems.append('rate %.0f q/s, below 97%% of %d' % (r.qps, a.rate))
        lat = r.latencies
        m = {'p50_ms': 1e3 * dnsperf.percentile(lat, 50),
             'p99_ms': 1e3 * dnsperf.percentile(lat, 99),
             'p999_ms': 1e3 * dnsperf.percentile(lat, 99.9),
             'cpu_us': 1e6 * cpu / max(1, r.completed)}
        details = {'dnsperf': r.summary(), 'cpu_s': cpu, 'answers': len(lat),
                   'max_ms': 1e3 * max(lat)}
        return m, problems, details

    def t_memory(self, d, out):
        rss0 = d.rss_kib()
        r = self.perf('fill', out, seconds=self.args.bound, once=True)
        time.sleep(0.2)  # let the last answers be stored
        rss1 = d.rss_kib()
        m = {'bytes_per_rrset': 1024.0 * (rss1 - rss0) / max(1, r.noerror),
             'rss_mib': rss1 / 1024.0}
        return m, r.problems(), {'dnsperf': r.summary(), 'rss_kib': [rss0, rss1]}

    # ---- one run: start, prime, test, check, stop ----

    def sample_key(self, test):
        return {'cachehit': 'hot', 'latency': 'hot', 'memory': 'fill'}.get(test, test)

    def run_one(self, rep, test, label):
        """Start a resolver with an empty cache, prime it, run one test,
        check a sample of answers, stop it; returns the run's record."""
        rundir = os.path.join(self.args.workdir, 'runs', '%d-%s-%s' % (rep, test, label))
        d = self.daemon(label, rundir)
        rec = {'rep': rep, 'test': test, 'resolver': label, 'load1': loadavg(),
               'metrics': {}, 'problems': [], 'details': {}}
        try:
            d.start()
            rec['resolver_cpus'] = cpus_allowed(d.pid)
            bad = dnsperf.check(self.prime, count=len(self.prime))
            if bad:
                rec['problems'].append('priming: ' + '; '.join(bad[:3]))
                return rec
            self.measure(d, rec, os.path.join(rundir, 'dnsperf.out'))
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            rec['problems'].append('run failed: %s' % e)
            if not d.alive():
                rec['problems'].append('%s is not running; its output:\n%s' % (label, d.tail()))
        finally:
            d.stop()
        return rec

    def measure(self, d, rec, out):
        """The test itself, with the share of the resolver CPUs that other
        processes took meanwhile, and the sample check after it."""
        a = self.args
        noise = Noise(d, a.resolver_cpu_set)
        m, problems, details = getattr(self, 't_' + rec['test'].replace('-', '_'))(d, out)
        rec['others_pct'], rec['machine_others_pct'] = noise.result()
        if a.resolver_cpu_set & a.client_cpu_set:  # dnsperf and servers are "others" there
            rec['others_pct'] = None
        rec['noisy'] = rec['test'] not in NOISE_FREE and max(
            rec['others_pct'] or 0, rec['machine_others_pct']) > a.max_others
        bad = dnsperf.check(self.pairs[self.sample_key(rec['test'])], count=SAMPLE,
                            seed=rec['rep'])
        if bad:
            problems.append('%d of %d sample answers bad: %s'
                            % (len(bad), SAMPLE, '; '.join(bad[:3])))
        if not d.alive():
            problems.append('%s died during the run' % rec['resolver'])
        rec.update(metrics=m, problems=problems, details=details)

    def run(self, tests, repetitions, deadline):
        order = ['mangrove', 'unbound']
        for rep in range(repetitions):
            for test in tests:
                for label in order:
                    if time.monotonic() > deadline:
                        log('time limit reached: stopping before rep %d %s %s'
                            % (rep + 1, test, label))
                        self.cut_short = True
                        return
                    rec = self.run_one(rep, test, label)
                    if rec.get('noisy') and not rec['problems']:
                        log(self.line(rec) + '  (noisy: done again)')
                        rec['superseded'] = True
                        self.runs.append(rec)
                        rec = self.run_one(rep, test, label)
                    self.runs.append(rec)
                    log(self.line(rec))

    @staticmethod
    def line(rec):
        m = ' '.join('%s=%.4g' % kv for kv in sorted(rec['metrics'].items()))
        others = []
        if rec.get('others_pct') is not None:
            others.append('%.1f%% of the resolver CPU' % rec['others_pct'])
        if rec.get('machine_others_pct') is not None:
            others.append('%.1f%% of the machine' % rec['machine_others_pct'])
        note = 'load1 %.2f' % rec['load1']
        if others:
            note += ', others: ' + ', '.join(others)
        if rec.get('noisy'):
            note += ', noisy'
        bad = ('  UNTRUSTED: ' + ' | '.join(rec['problems'])) if rec['problems'] else ''
        return 'rep %d %-10s %-8s %s  [%s]%s' % (rec['rep'] + 1, rec['test'], rec['resolver'],
                                                 m, note, bad)


def _stats(vals):
    return {'median': statistics.median(vals), 'n': len(vals), 'min': min(vals),
            'max': max(vals)}


def summarise(runs):
    """{test: {metric: {resolver: {median, n, min, max}, ratio}}} over the
    clean runs (trusted, not noisy); where a resolver has no clean run,
    over its noisy ones, marked 'noisy': True."""
    out = {}
    done = {r['test'] for r in runs}
    for test, key, _, _, _ in METRICS:
        if test not in done:
            continue
        row = {}
        for label in ('mangrove', 'unbound'):
            mine = [r for r in runs if r['test'] == test and r['resolver'] == label
                    and key in r['metrics'] and not r['problems']]
            clean = [r['metrics'][key] for r in mine if not r.get('noisy')]
            noisy = [r['metrics'][key] for r in mine
                     if r.get('noisy') and not r.get('superseded')]
            if clean:
                row[label] = _stats(clean)
            elif noisy:
                row[label] = dict(_stats(noisy), noisy=True)
        if 'mangrove' in row and 'unbound' in row and row['unbound']['median']:
            row['ratio'] = row['mangrove']['median'] / row['unbound']['median']
        out.setdefault(test, {})[key] = row
    return out


def table(summary, runs):
    lines = ['%-36s %12s %12s %9s  %-6s %s' % ('metric (median of clean runs)', 'Mangrove',
                                              'Unbound', 'M/U', 'better', 'runs M/U')]
    marked = False
    for test, key, label, unit, better in METRICS:
        row = summary.get(test, {}).get(key)
        if row is None:
            continue
        cells = []
        for lab in ('mangrove', 'unbound'):
            c = row.get(lab)
            cells.append('%12s' % '-' if c is None else
                         '%12s' % (('(%.4g)' if c.get('noisy') else '%.4g') % c['median']))
            marked = marked or bool(c and c.get('noisy'))
        noisy = any(row.get(lab, {}).get('noisy') for lab in ('mangrove', 'unbound'))
        ratio = '%9s' % '-' if 'ratio' not in row else \
            '%9s' % (('(%.3f)' if noisy else '%.3f') % row['ratio'])
        counts = []
        for lab in ('mangrove', 'unbound'):
            c = row.get(lab, {})
            counts.append('%d%s' % (c.get('n', 0), 'n' if c.get('noisy') else ''))
        n = '/'.join(counts)
        lines.append('%-36s %s %s %s  %-6s %s' % ('%s (%s)' % (label, unit), cells[0],
                                                  cells[1], ratio, better or '', n))
    if marked:
        lines.append('(x), Nn: no clean run; median of N noisy runs (other processes '
                     'used the CPUs), not to be trusted')
    untrusted = [r for r in runs if r['problems']]
    loads = [r['load1'] for r in runs]
    if loads:
        lines.append('load average (1 min) at run starts: median %.2f, max %.2f'
                     % (statistics.median(loads), max(loads)))
    for key, where in (('others_pct', 'the resolver CPU'), ('machine_others_pct', 'the machine')):
        others = [r[key] for r in runs if r.get(key) is not None]
        if others:
            lines.append('other processes on %s during runs: median %.1f%%, max %.1f%%'
                         % (where, statistics.median(others), max(others)))
    lines.append('%d runs: %d untrusted (left out), %d noisy and done again, %d noisy'
                 % (len(runs), len(untrusted), len([r for r in runs if r.get('superseded')]),
                    len([r for r in runs if r.get('noisy') and not r.get('superseded')])))
    return '\n'.join(lines)


def git_describe():
    try:
        return subprocess.run(['git', '-C', SRCDIR, 'describe', '--always', '--dirty'],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def version(cmd):
    """The first line of cmd's output that says 'Version'."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [x.strip() for x in (p.stdout + p.stderr).splitlines() if 'Version' in x]
    return lines[0] if lines else None


def parse_args(argv):
    p = argparse.ArgumentParser(description='Mangrove vs Unbound under dnsperf (see bench/README)')
    p.add_argument('--quick', action='store_true',
                   help='small zones, 1 repetition, short runs: a smoke run')
    p.add_argument('--repetitions', type=int, help='A B rounds per test (5; quick 1)')
    p.add_argument('--workers', type=int, default=1, help='resolver threads, both (1)')
    p.add_argument('--only', action='append', default=[],
                   help='run only this test (repeatable, or comma-separated): ' + ', '.join(TESTS))
    p.add_argument('--names', type=int, help='names per bench leaf zone (200000; quick 10000)')
    p.add_argument('--hot', type=int, help='names of the cache-hit and latency tests (10000)')
    p.add_argument('--cold-queries', type=int, help='unique names per cold run (50000)')
    p.add_argument('--fill', type=int, help='names cached by the memory test (100000)')
    p.add_argument('--duration', type=float, help='seconds of the cache-hit run (15)')
    p.add_argument('--latency-duration', type=float, help='seconds of the fixed-rate run (10)')
    p.add_argument('--rate', type=int, default=10000, help='queries/s of the fixed-rate run')
    p.add_argument('--bound', type=float, default=300,
                   help='seconds at most for one pass through a name list (300)')
    p.add_argument('--cache-size', default='512m',
                   help='cache memory of each resolver, k/m/g (512m)')
    p.add_argument('--query-flags', choices=['do', 'edns', 'plain'], default='do',
                   help='queries dnsperf sends: EDNS with DO (default), EDNS, no EDNS')
    p.add_argument('--resolver-cpus', default='0', help='taskset CPU list of the resolver (0)')
    p.add_argument('--client-cpus', default='1',
                   help='CPU list of dnsperf and the authoritative servers (1)')
    p.add_argument('--mangrove', default=os.path.join(BUILDDIR, 'src', 'mangrove'))
    p.add_argument('--unbound', default=shutil.which('unbound') or '/usr/sbin/unbound')
    p.add_argument('--world', help='folder of the signed world, reused between runs '
                   '(default: $TMPDIR/mangrove-bench-world/NAMES)')
    p.add_argument('--rebuild', action='store_true', help='build and sign the world anew')
    p.add_argument('--workdir', help='folder for this run (default: a new temporary one)')
    p.add_argument('--keep', action='store_true',
                   help='keep the logs and dnsperf reports of good runs too')
    p.add_argument('--json', help='write the results here too (always: WORKDIR/results.json)')
    p.add_argument('--max-others', type=float, default=10,
                   help='percent of the resolver CPU, or of the whole machine, other '
                   'processes may take during a run; above it the run is noisy: done '
                   'again once, and left out of the medians while clean runs exist (10)')
    p.add_argument('--time-limit', type=float, default=30,
                   help='minutes: no new run starts after this (30)')
    a = p.parse_args(argv)
    preset = QUICK if a.quick else FULL
    for k, v in preset.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.only = [t for item in a.only for t in item.split(',') if t] or TESTS
    for t in a.only:
        if t not in TESTS:
            p.error('unknown test %r (tests: %s)' % (t, ', '.join(TESTS)))
    need = FIRST + max(a.hot, a.cold_queries, a.fill)
    if a.names < need:
        p.error('--names %d: the tests need %d names per zone' % (a.names, need))
    try:
        a.resolver_cpu_set = {int(c) for c in a.resolver_cpus.split(',')}
        a.client_cpu_set = {int(c) for c in a.client_cpus.split(',')}
    except ValueError:
        p.error('--resolver-cpus and --client-cpus take CPU numbers separated by commas')
    a.cache_bytes = resolvers.size_bytes(a.cache_size)
    a.dnsperf_flags = {'do': ['-D'], 'edns': ['-e'], 'plain': []}[a.query_flags]
    tmp = os.environ.get('TMPDIR', '/tmp')
    a.world = a.world or os.path.join(tmp, 'mangrove-bench-world', str(a.names))
    return a


def main(argv):
    a = parse_args(argv)
    if not mini_internet.in_private_netns():
        sys.stderr.write('bench.py: run it through bench/run (a private network namespace)\n')
        return 2
    for path in (a.mangrove, a.unbound):
        if not os.access(path, os.X_OK):
            sys.stderr.write('bench.py: %s is not an executable\n' % path)
            return 2
    if resolvers.has_sanitizers(a.mangrove):
        sys.stderr.write('bench.py: %s is built with sanitizers; build without them\n'
                         % a.mangrove)
        return 2
    a.workdir = a.workdir or tempfile.mkdtemp(prefix='mangrove-bench.')
    os.makedirs(a.workdir, exist_ok=True)
    mangrove_src = a.mangrove
    a.mangrove = resolvers.snapshot(a.mangrove, os.path.join(a.workdir, 'bin'))
    started = time.monotonic()
    w, build = bworld.prepare(a.world, a.names, rebuild=a.rebuild, log=log)
    # The authoritative servers and dnsperf inherit this process's CPUs.
    os.sched_setaffinity(0, a.client_cpu_set)
    addrs = bworld.needed_servers(w)
    w.start(addrs)
    pinned = sorted({cpus_allowed(w.servers[x].pid) for x in addrs})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    bench = Bench(a, w)
    ok = False
    try:
        log('world: %d servers up in %.1f s on CPUs %s; resolvers on CPUs %s; work dir %s'
            % (len(addrs), w.timings['start_s'], ','.join(pinned), a.resolver_cpus,
               a.workdir))
        bench.run(a.only, a.repetitions, started + 60 * a.time_limit)
        ok = True
    finally:
        w.stop(addrs)
        summary = summarise(bench.runs)
        result = {
            'date': datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
            'command': ' '.join(['bench/run'] + list(argv)),
            'complete': ok and not bench.cut_short,
            'options': {k: v for k, v in vars(a).items()
                        if k not in ('dnsperf_flags', 'resolver_cpu_set', 'client_cpu_set')},
            'mangrove': {'binary': mangrove_src, 'git': git_describe()},
            'unbound': version([a.unbound, '-V']),
            'dnsperf': version(['dnsperf', '-h']),
            'nproc': os.cpu_count(),
            'world': dict(build, names=a.names, dir=w.dir),
            'summary': summary,
            'runs': bench.runs,
            'elapsed_s': round(time.monotonic() - started, 1),
        }
        text = table(summary, bench.runs)
        for path in [os.path.join(a.workdir, 'results.json')] + ([a.json] if a.json else []):
            with open(path, 'w') as f:
                json.dump(result, f, indent=1, sort_keys=True)
        print()
        print(text)
        print('%.1f s in all; results in %s' % (result['elapsed_s'],
                                                 a.json or os.path.join(a.workdir, 'results.json')))
        if ok and not a.keep and not any(r['problems'] for r in bench.runs):
            for sub in ('runs', 'queries', 'bin'):  # results.json stays
                shutil.rmtree(os.path.join(a.workdir, sub), ignore_errors=True)
        else:
            print('work files (resolver logs, dnsperf reports) kept in %s' % a.workdir)
    return 0 if ok and all(not r['problems'] for r in bench.runs) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
