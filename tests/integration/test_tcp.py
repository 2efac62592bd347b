"""TCP client connections (RFC 7766): the idle timeout (§6.2.3) closes a
connection with nothing to do, but neither one that keeps asking nor one
whose question is still being resolved; the limits on connections per
client address and in total (mangrove.conf(5), counted per worker, so these
tests run one worker). src/net/tcp.c accepts a connection over a limit and
closes it before reading anything: the client sees its connection closed
(FIN, or RST if its query was already in) and never an answer."""

import socket
import time

import dns.message
import dns.rcode

from helpers import frame, rdata_of, tcp_read_frames

IDLE_MS = 500


def closed_within(sock, timeout):
    """Seconds until the server closed sock (EOF or reset), None if it is
    still open after timeout; fails if data arrives instead."""
    t0 = time.monotonic()
    sock.settimeout(timeout)
    try:
        data = sock.recv(65535)
    except socket.timeout:
        return None
    except (ConnectionResetError, BrokenPipeError):
        return time.monotonic() - t0
    assert not data, 'unexpected data on an idle connection: %r' % data
    return time.monotonic() - t0


def ask(sock, name, rdtype='A', timeout=2.0):
    """One framed query on sock; its answer, or None (no answer, closed)."""
    q = dns.message.make_query(name, rdtype)
    try:
        sock.sendall(frame(q.to_wire()))
        frames = tcp_read_frames(sock, 1, timeout)
    except (ConnectionResetError, BrokenPipeError):
        return None
    if not frames:
        return None
    r = dns.message.from_wire(frames[0])
    assert r.id == q.id
    return r


def assert_served(sock, facts):
    p = facts['plain']
    r = ask(sock, p['name'])
    assert r is not None, 'no answer on %s' % (sock.getsockname(),)
    assert r.rcode() == dns.rcode.NOERROR
    assert rdata_of(r, p['name'], 'A') == sorted(p['A'])


def assert_not_served(sock, facts):
    """Connected (the kernel completed the handshake) but closed by the
    server without an answer."""
    assert ask(sock, facts['plain']['name']) is None, 'over the limit, yet answered'
    assert closed_within(sock, 2.0) is not None, 'over the limit, yet left open'


def served_again(r, facts, source, timeout=3.0):
    """A new connection from source is served within timeout (the server
    notices a closed connection on its next loop turn, not at once)."""
    p = facts['plain']
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with r.tcp_connect(source=source) as s:
            a = ask(s, p['name'], timeout=1.0)
            if a is not None and rdata_of(a, p['name'], 'A') == sorted(p['A']):
                return True
        time.sleep(0.05)
    return False


def test_idle_connection_is_closed(make_resolver):
    r = make_resolver({'tcp-idle-timeout': str(IDLE_MS)})
    with r.tcp_connect() as s:
        took = closed_within(s, 3.0)
    assert took is not None, 'idle connection still open after 3 s'
    assert IDLE_MS / 1000 - 0.05 <= took <= 1.0, 'closed after %.2f s' % took


def test_active_connection_stays_open(make_resolver, facts):
    """A query every 200 ms for three idle timeouts: all on one connection,
    which closes once the client stops."""
    r = make_resolver({'tcp-idle-timeout': str(IDLE_MS)})
    p = facts['plain']
    r.query(p['name'], 'A')  # cached: each answer below comes at once
    with r.tcp_connect() as s:
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < 3 * IDLE_MS / 1000:
            assert_served(s, facts)
            n += 1
            time.sleep(0.2)
        assert n >= 6
        took = closed_within(s, 3.0)
    assert took is not None and took <= 1.0, 'not closed once idle: %r' % took


def test_connection_waiting_for_an_answer_is_not_idle(make_resolver, facts):
    """A question that takes longer than the idle timeout (the slow server
    answers SLOW_DELAY late, twice with QNAME minimisation) still gets its
    answer on the connection (RFC 7766 §6.2.3: idle means no query pending)."""
    idle_ms = 100
    r = make_resolver({'tcp-idle-timeout': str(idle_ms)})
    name = 'q.tcp-pending.' + facts['slow']['zone']
    with r.tcp_connect() as s:
        t0 = time.monotonic()
        a = ask(s, name, 'TXT', timeout=5.0)
        took = time.monotonic() - t0
        assert a is not None, 'no answer: connection closed while resolving?'
        assert rdata_of(a, name, 'TXT') == facts['slow']['TXT']
        assert took > 2 * idle_ms / 1000, 'answered in %.2f s: proves nothing' % took
        assert closed_within(s, 2.0) is not None


def test_per_client_limit(make_resolver, facts):
    """Four connections from one address are served; the fifth from it is
    closed unanswered while another address is still served; once one of
    the four closes, that address is served again."""
    r = make_resolver({'workers': '1', 'tcp-max-connections-per-client': '4'})
    conns = []
    try:
        for _ in range(4):
            conns.append(r.tcp_connect())
            assert_served(conns[-1], facts)
        with r.tcp_connect() as fifth:
            assert_not_served(fifth, facts)
        with r.tcp_connect(source='127.0.0.2') as other:
            assert_served(other, facts)
        for s in conns:  # the four were not disturbed
            assert_served(s, facts)
        conns.pop().close()
        assert served_again(r, facts, '127.0.0.1'), 'a closed connection still counts'
    finally:
        for s in conns:
            s.close()


def test_total_limit(make_resolver, facts):
    """tcp-max-connections 4: four clients on four addresses are served,
    a fifth address is not, until one of the four goes."""
    r = make_resolver({'workers': '1', 'tcp-max-connections': '4',
                       'tcp-max-connections-per-client': '4'})
    conns = []
    try:
        for i in range(4):
            conns.append(r.tcp_connect(source='127.0.0.%d' % (i + 1)))
            assert_served(conns[-1], facts)
        with r.tcp_connect(source='127.0.0.5') as fifth:
            assert_not_served(fifth, facts)
        for s in conns:
            assert_served(s, facts)
        conns.pop(0).close()
        assert served_again(r, facts, '127.0.0.5'), 'a closed connection still counts'
    finally:
        for s in conns:
            s.close()
