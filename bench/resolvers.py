"""resolvers.py - Mangrove and Unbound, configured alike, as bench subjects.

Both listen on 127.0.0.1:53 (one at a time), resolve from the world's root
hints, validate from its trust anchor, and run pinned with taskset. The
settings and why they are equivalent are listed in bench/README.
"""

import os
import shutil
import signal
import subprocess
import time

from mini_internet import is_listening

ADDR = '127.0.0.1'
PORT = 53
START_TIMEOUT = 20.0  # seconds: listening
STOP_TIMEOUT = 10.0  # seconds: exit after SIGTERM
CLK_TCK = os.sysconf('SC_CLK_TCK')


def size_bytes(text):
    """'256m' -> bytes (k, m, g are powers of 1024, as both resolvers read them)."""
    units = {'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}
    if text[-1].lower() in units:
        return int(text[:-1]) * units[text[-1].lower()]
    return int(text)


class Daemon:
    """One resolver process: config, start pinned, CPU and memory, stop."""

    label = '?'

    def __init__(self, binary, workdir, world, workers, cache_size, cpus):
        self.binary = binary
        self.dir = workdir
        self.world = world
        self.workers = workers
        self.cache_size = cache_size  # bytes, all caches together
        self.cpus = cpus  # taskset list, e.g. '0'
        self.proc = None
        os.makedirs(self.dir, exist_ok=True)
        self.out = os.path.join(self.dir, 'stdout.log')
        self.conf = self.write_conf()

    def write_conf(self):
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    def start(self):
        if is_listening(ADDR, PORT):
            raise RuntimeError('%s:%d is taken before %s starts' % (ADDR, PORT, self.label))
        with open(self.out, 'ab') as out:
            self.proc = subprocess.Popen(['taskset', '-c', self.cpus] + self.command(),
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not is_listening(ADDR, PORT):
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError('%s exited during start-up:\n%s' % (self.label, self.tail()))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('%s not listening after %.0f s:\n%s'
                                   % (self.label, START_TIMEOUT, self.tail()))
            time.sleep(0.02)

    def stop(self):
        """SIGTERM (SIGKILL after STOP_TIMEOUT); wait until the port is free."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(STOP_TIMEOUT)
        self.proc = None
        deadline = time.monotonic() + STOP_TIMEOUT
        while is_listening(ADDR, PORT) and time.monotonic() < deadline:
            time.sleep(0.02)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self):
        """utime + stime of the whole process (all threads, /proc/PID/stat
        fields 14 and 15; clock ticks, 10 ms)."""
        with open('/proc/%d/stat' % self.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_kib(self):
        with open('/proc/%d/status' % self.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        raise RuntimeError('no VmRSS for pid %d' % self.pid)

    def tail(self, lines=30):
        try:
            with open(self.out, errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except OSError:
            return ''


def _write(path, lines):
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


class Mangrove(Daemon):
    """The test config of tests/integration/helpers.py write_config(),
    with the worker count, the cache size and logging turned down."""

    label = 'mangrove'

    def write_conf(self):
        return _write(os.path.join(self.dir, 'mangrove.conf'), [
            'server:',
            '    interface: %s' % ADDR,
            '    port: %d' % PORT,
            '    workers: %d' % self.workers,
            '    root-hints: "%s"' % self.world.root_hints,
            '    trust-anchor-file: "%s"' % self.world.trust_anchor,
            '    do-not-query-localhost: no',
            '    access-control: 127.0.0.0/8 allow',
            '    cache-size: %d' % self.cache_size,
            '    edns-buffer-size: 1232',
            '    qname-minimisation: yes',
            '    aggressive-nsec: yes',
            '    verbosity: 0',
            '    logfile: "%s"' % os.path.join(self.dir, 'mangrove.log'),
            '    control-socket: "%s"' % os.path.join(self.dir, 'control.sock'),
        ])

    def command(self):
        return [self.binary, '-d', '-c', self.conf]


class Unbound(Daemon):
    """unbound.conf equivalent to Mangrove's (bench/README says why each line)."""

    label = 'unbound'

    def write_conf(self):
        # Mangrove's one cache-size budget split as Unbound's docs suggest
        # (RRset cache twice the message cache); key and negative caches
        # keep their defaults (4m, 1m) on top.
        msg = self.cache_size // 3
        return _write(os.path.join(self.dir, 'unbound.conf'), [
            'server:',
            '    interface: %s' % ADDR,
            '    port: %d' % PORT,
            '    num-threads: %d' % self.workers,
            '    so-reuseport: yes',
            '    root-hints: "%s"' % self.world.root_hints,
            '    trust-anchor-file: "%s"' % self.world.trust_anchor,
            '    do-not-query-localhost: no',
            '    access-control: 127.0.0.0/8 allow',
            '    msg-cache-size: %d' % msg,
            '    rrset-cache-size: %d' % (self.cache_size - msg),
            '    edns-buffer-size: 1232',
            '    max-udp-size: 1232',
            '    qname-minimisation: yes',
            '    aggressive-nsec: yes',
            '    prefetch: no',
            '    prefetch-key: no',
            '    serve-expired: no',
            '    minimal-responses: yes',
            '    module-config: "validator iterator"',
            '    val-log-level: 0',
            '    verbosity: 0',
            '    log-queries: no',
            '    log-replies: no',
            '    statistics-interval: 0',
            '    extended-statistics: no',
            '    use-syslog: no',
            '    logfile: "%s"' % os.path.join(self.dir, 'unbound.log'),
            '    chroot: ""',
            '    username: ""',
            '    directory: "%s"' % self.dir,
            '    pidfile: ""',
            '    do-daemonize: no',
            'remote-control:',
            '    control-enable: no',
        ])

    def command(self):
        return [self.binary, '-d', '-c', self.conf]


def snapshot(binary, workdir):
    """Copy the binary into the work dir, so that a rebuild during a run
    does not mix two versions; returns the copy's path."""
    os.makedirs(workdir, exist_ok=True)
    dest = os.path.join(workdir, os.path.basename(binary))
    shutil.copy2(binary, dest)
    return dest


def has_sanitizers(binary):
    """True if the binary links AddressSanitizer or UBSan (no bench numbers)."""
    out = subprocess.run(['ldd', binary], capture_output=True, text=True).stdout
    return 'libasan' in out or 'libubsan' in out
