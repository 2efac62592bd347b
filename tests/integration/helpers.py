"""Helpers for the integration tests (the fixtures are in conftest.py):
the mangrove daemon (config, start, stop), clients that send from any
127.0.0.x source address, and answer-section helpers."""

import os
import selectors
import signal
import socket
import struct
import subprocess
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import pytest

from mini_internet import is_listening

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get('MANGROVE_SRCDIR') or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get('MANGROVE_BUILDDIR') or SRCDIR
MANGROVE = os.path.join(BUILDDIR, 'src', 'mangrove')
CONTROL = os.path.join(BUILDDIR, 'src', 'mangrove-control')

RESOLVER_ADDR = '127.0.0.1'
START_TIMEOUT = 10.0  # daemon: listening and answering
STOP_TIMEOUT = 5.0  # daemon: exit after SIGTERM
QUERY_TIMEOUT = 5.0


def write_config(path, world, logfile, overrides=None):
    """Write a mangrove.conf for the mini-Internet. overrides maps an option
    to a value, a list of values (repeated lines), or None (left out)."""
    opts = {
        'interface': RESOLVER_ADDR,
        'port': '53',
        'root-hints': world.root_hints,
        'trust-anchor-file': world.trust_anchor,
        'do-not-query-localhost': 'no',
        'access-control': ['127.0.0.0/24 allow'],
        'verbosity': '2',
        'logfile': logfile,
        # Never the built-in /run/mangrove: each daemon has its own.
        'control-socket': os.path.join(os.path.dirname(os.path.abspath(path)), 'control.sock'),
    }
    opts.update(overrides or {})
    lines = ['server:']
    for key, val in opts.items():
        if val is None:
            continue
        for v in (val if isinstance(val, list) else [val]):
            lines.append('    %s: %s' % (key, v))
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


class Resolver:
    """One mangrove daemon process and clients to talk to it."""

    def __init__(self, world, workdir, overrides=None, *, conf=None, cwd=None):
        """conf: use this config file (as given to -c, so it may be relative
        to cwd) instead of writing one; cwd: the daemon's working folder."""
        self.world = world
        self.dir = str(workdir)
        self.logfile = os.path.join(self.dir, 'mangrove.log')
        self.outfile = os.path.join(self.dir, 'mangrove.out')
        if conf is None:
            conf = write_config(os.path.join(self.dir, 'mangrove.conf'), world,
                                self.logfile, overrides)
        self.conf = conf
        self.control_socket = os.path.join(self.dir, 'control.sock')
        self.cwd = cwd
        # The address start() waits on: the daemon's own interface, or it
        # would see another daemon already listening on the default one.
        iface = (overrides or {}).get('interface')
        if isinstance(iface, list):
            iface = iface[0]
        self.addr = iface if iface and '@' not in iface else RESOLVER_ADDR
        self.proc = None

    def start(self):
        if not os.access(MANGROVE, os.X_OK):
            pytest.fail('%s is not built' % MANGROVE, pytrace=False)
        with open(self.outfile, 'ab') as out:
            self.proc = subprocess.Popen([MANGROVE, '-d', '-c', self.conf],
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=out, start_new_session=True,
                                         cwd=self.cwd)
        deadline = time.monotonic() + START_TIMEOUT
        while not is_listening(self.addr, 53):
            self._check_alive(deadline)
            time.sleep(0.02)
        while True:
            try:  # any answer will do: the daemon is serving
                self.query('.', 'NS', timeout=min(2.0, max(0.1, deadline - time.monotonic())))
                return
            except (dns.exception.Timeout, OSError):
                self._check_alive(deadline)

    def _check_alive(self, deadline):
        if self.proc.poll() is not None:
            self.proc = None
            pytest.fail('mangrove exited during start-up; its output:\n' + self.log_tail(),
                        pytrace=False)
        if time.monotonic() > deadline:
            self.kill()
            pytest.fail('mangrove did not answer within %.0f s; its output:\n%s'
                        % (START_TIMEOUT, self.log_tail()), pytrace=False)

    def stop(self):
        """SIGTERM; return the exit status (None if it had to be killed)."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        self.proc = None
        return rc

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
            self.proc = None

    @property
    def pid(self):
        """The daemon's process id (None when not running)."""
        return self.proc.pid if self.proc is not None else None

    def status_kib(self, field='VmRSS'):
        """A memory field of /proc/PID/status (VmRSS, VmHWM, ...) in KiB."""
        with open('/proc/%d/status' % self.pid) as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
        raise KeyError(field)

    def cpu_seconds(self):
        """User plus system CPU time the daemon has used, all threads
        (/proc/PID/stat utime + stime; clock-tick resolution, 10 ms)."""
        with open('/proc/%d/stat' % self.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def log_tail(self, lines=40):
        text = ''
        for path in (self.outfile, self.logfile):
            try:
                with open(path, errors='replace') as f:
                    tail = f.readlines()[-lines:]
                text += '--- %s\n%s' % (path, ''.join(tail))
            except OSError:
                pass
        return text

    # ---- clients ----

    def query(self, name, rdtype='A', *, tcp=False, source=RESOLVER_ADDR,
              payload=1232, edns=0, dnssec=False, rd=True, timeout=QUERY_TIMEOUT):
        """Ask the resolver; returns the dns.message.Message answer.
        edns: version, None for none; payload: advertised UDP size."""
        q = dns.message.make_query(name, rdtype)
        # Set EDNS in one call: make_query() clears the version when it
        # clears DO (dnspython 2.3 with Python 3.11 IntFlag inversion).
        if edns is not None:
            q.use_edns(edns, ednsflags=dns.flags.DO if dnssec else 0, payload=payload)
        if not rd:
            q.flags &= ~dns.flags.RD
        return self.send(q, tcp=tcp, source=source, timeout=timeout)

    def send(self, q, *, tcp=False, source=RESOLVER_ADDR, timeout=QUERY_TIMEOUT):
        if tcp:
            return dns.query.tcp(q, self.addr, timeout=timeout, source=source)
        return dns.query.udp(q, self.addr, timeout=timeout, source=source)

    def raw_udp(self, data, *, source=RESOLVER_ADDR, timeout=1.0):
        """Send raw bytes over UDP; the reply's bytes, or None if none came."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((source, 0))
            s.settimeout(timeout)
            s.sendto(data, (self.addr, 53))
            try:
                return s.recv(65535)
            except socket.timeout:
                return None

    def tcp_connect(self, *, source=RESOLVER_ADDR, timeout=QUERY_TIMEOUT):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.settimeout(timeout)
        s.connect((self.addr, 53))
        return s

    def send_nowait(self, data, *, source=RESOLVER_ADDR):
        """Send raw bytes over UDP and do not wait for a reply."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((source, 0))
            s.sendto(data, (self.addr, 53))


def control(sock, *args, conf=None):
    """Run mangrove-control with -s sock (or -c conf); (exit status, stdout, stderr)."""
    cmd = [CONTROL] + (['-c', conf] if conf else ['-s', sock]) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    return p.returncode, p.stdout, p.stderr


def ctl(r, *args):
    """mangrove-control against resolver r's own control socket."""
    return control(r.control_socket, *args)


def control_stats(sock):
    """mangrove-control stats as a dict of integers."""
    rc, out, err = control(sock, 'stats')
    assert rc == 0, err
    return {k: int(v) for k, v in (line.split(': ') for line in out.splitlines())}


def rrset_texts(msg, section='answer'):
    """{(owner, type): sorted rdata texts} for one section of a message."""
    out = {}
    for rrset in getattr(msg, section):
        key = (rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype))
        out[key] = sorted(out.get(key, []) + [rr.to_text() for rr in rrset])
    return out


def rdata_of(msg, name, rdtype, section='answer'):
    """Sorted rdata texts of one RRset in a section ([] if absent)."""
    return rrset_texts(msg, section).get((name.lower(), rdtype), [])


def ttls_of(msg, name, rdtype):
    """TTLs of the RRsets (name, rdtype) in the answer section."""
    return [rrset.ttl for rrset in msg.answer
            if rrset.name.to_text().lower() == name.lower()
            and dns.rdatatype.to_text(rrset.rdtype) == rdtype]


def frame(wire):
    """A DNS message with the TCP length prefix (RFC 1035 §4.2.2)."""
    return struct.pack('!H', len(wire)) + wire


def tcp_read_frames(sock, count, timeout):
    """Read up to count length-prefixed messages within timeout seconds."""
    deadline = time.monotonic() + timeout
    buf = b''
    frames = []
    while len(frames) < count and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65535)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack('!H', buf[:2])[0]:
            n = struct.unpack('!H', buf[:2])[0]
            frames.append(buf[2:2 + n])
            buf = buf[2 + n:]
    return frames


class QueryLog:
    """The questions the slow server of the mini-Internet (mini_internet.py)
    received from the moment this object was made: [(name, TYPE)], names in
    lower case with the final dot, in the order they arrived."""

    def __init__(self, path):
        self.path = path
        try:
            self.start = os.path.getsize(path)
        except OSError:
            self.start = 0

    def entries(self):
        with open(self.path) as f:
            f.seek(self.start)
            return [tuple(line.split()) for line in f if line.strip()]

    def count(self, name, rdtype=None):
        """How often name (of any type, or of rdtype) was asked."""
        return sum(1 for n, t in self.entries()
                   if n == name.lower() and (rdtype is None or t == rdtype))


def ask_all(addr, queries, *, sources=None, timeout=QUERY_TIMEOUT):
    """Send each query (dns.message.Message) over UDP from its own socket,
    all before reading any reply; wait at most timeout seconds in total.
    sources: a source address per query (default RESOLVER_ADDR). Returns a
    list like queries: the reply Message, or None for no (matching) reply."""
    sel = selectors.DefaultSelector()
    socks = []
    try:
        for i, q in enumerate(queries):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind((sources[i] if sources else RESOLVER_ADDR, 0))
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
        for s, q in zip(socks, queries):
            s.sendto(q.to_wire(), (addr, 53))
        replies = [None] * len(queries)
        deadline = time.monotonic() + timeout
        while any(r is None for r in replies) and time.monotonic() < deadline:
            for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
                i = key.data
                try:
                    data = socks[i].recv(65535)
                except BlockingIOError:
                    continue
                try:
                    r = dns.message.from_wire(data)
                except dns.exception.DNSException:
                    continue
                if r.id == queries[i].id and replies[i] is None:
                    replies[i] = r
                    sel.unregister(socks[i])
        return replies
    finally:
        for s in socks:
            s.close()
        sel.close()
