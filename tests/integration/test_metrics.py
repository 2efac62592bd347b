"""The Prometheus endpoint (issue 4): metrics-interface serves GET /metrics
in the text format 0.0.4, checked with promtool; the counters move by the
queries sent; and the HTTP server's limits: 404, 405, 400, an oversized
request, a client that sends nothing, too many clients."""

import shutil
import socket
import subprocess
import time

import dns.rcode
import pytest

from helpers import RESOLVER_ADDR, STOP_TIMEOUT

PORT = 9253
TIMEOUT = 5.0  # METRICS_TIMEOUT_MS in src/daemon/metrics.c
CLIENTS = 16  # METRICS_CLIENTS
REQUEST_MAX = 4096  # METRICS_REQUEST_MAX
CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'


def tcp_listening(addr, port):
    """True if a TCP socket listens on addr:port (/proc/net/tcp, without
    connecting: a connection would count in the server's counters)."""
    want = '%08X:%04X' % (int.from_bytes(bytes(map(int, addr.split('.'))), 'little'), port)
    with open('/proc/net/tcp') as f:
        return any(cols[1] == want and cols[3] == '0A'
                   for cols in (line.split() for line in f.readlines()[1:]))


def wait_listening(port, timeout=5.0):
    """The daemon answers DNS once its workers run; the metrics server was
    started before them, but wait for it all the same (bounded)."""
    deadline = time.monotonic() + timeout
    while not tcp_listening(RESOLVER_ADDR, port):
        if time.monotonic() > deadline:
            pytest.fail('nothing listens on %s port %d' % (RESOLVER_ADDR, port),
                        pytrace=False)
        time.sleep(0.02)


def start(make_resolver, **overrides):
    r = make_resolver(dict({'metrics-interface': '%s@%d' % (RESOLVER_ADDR, PORT)},
                           **overrides))
    wait_listening(PORT)
    return r


def connect(timeout=TIMEOUT + 3):
    s = socket.create_connection((RESOLVER_ADDR, PORT), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_all(s):
    data = b''
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def exchange(raw):
    """Send raw request bytes; (status, headers dict with lower-case keys, body)."""
    with connect() as s:
        s.sendall(raw)
        data = read_all(s)
    head, sep, body = data.partition(b'\r\n\r\n')
    assert sep, 'no complete response: %r' % data[:200]
    lines = head.decode('latin-1').split('\r\n')
    version, status, _reason = lines[0].split(' ', 2)
    assert version in ('HTTP/1.0', 'HTTP/1.1'), lines[0]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return int(status), headers, body


def request(method='GET', path='/metrics', extra=b''):
    return exchange(b'%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n'
                    % (method.encode(), path.encode(), RESOLVER_ADDR.encode(), PORT, extra))


def scrape():
    """GET /metrics: the samples as {'name{labels}': value}."""
    status, headers, body = request()
    assert status == 200, body
    samples = {}
    for line in body.decode().splitlines():
        if line and not line.startswith('#'):
            series, value = line.rsplit(' ', 1)
            samples[series] = float(value)
    return samples


def test_get_metrics_passes_promtool(make_resolver):
    start(make_resolver)
    status, headers, body = request()
    assert status == 200
    assert headers['content-type'] == CONTENT_TYPE
    assert int(headers['content-length']) == len(body)
    assert headers['connection'].lower() == 'close'
    assert b'# TYPE mangrove_queries_udp_total counter\n' in body
    assert b'# TYPE mangrove_answer_latency_seconds histogram\n' in body
    promtool = shutil.which('promtool')
    if promtool is None:
        pytest.skip('promtool is not installed (Debian package prometheus)')
    p = subprocess.run([promtool, 'check', 'metrics'], input=body, capture_output=True,
                       timeout=30)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()
    assert (p.stdout + p.stderr).strip() == b'', 'promtool lint: %r' % (p.stdout + p.stderr)


def test_counters_move_by_queries_sent(make_resolver, facts):
    r = start(make_resolver)
    name = facts['plain']['name']
    r.query(name, 'A')  # now cached
    before = scrape()
    for _ in range(5):
        assert r.query(name, 'A').rcode() == dns.rcode.NOERROR
    r.query(name, 'A', tcp=True)
    after = scrape()

    def delta(series):
        return after[series] - before[series]

    assert delta('mangrove_queries_udp_total') == 5
    assert delta('mangrove_queries_tcp_total') == 1
    assert delta('mangrove_queries_qtype_total{qtype="A"}') == 6
    assert delta('mangrove_answers_rcode_total{rcode="NOERROR"}') == 6
    assert delta('mangrove_cache_hits_total') == 6
    assert delta('mangrove_upstream_sent_udp_total') == 0
    assert delta('mangrove_answer_latency_seconds_count') == 6
    assert delta('mangrove_metrics_requests_total{code="200"}') == 1  # a scrape counts itself
    h = 'mangrove_answer_latency_seconds_bucket{le="%s"}'
    buckets = [after[k] for k in after if k.startswith(h.split('{')[0] + '{')]
    assert buckets == sorted(buckets), 'buckets are not cumulative'
    assert after[h % '+Inf'] == after['mangrove_answer_latency_seconds_count']
    assert after['mangrove_workers'] >= 1
    assert after['mangrove_cache_entries'] > 0
    assert after['mangrove_cache_max_bytes'] > 0


def test_head_is_get_without_body(make_resolver):
    start(make_resolver)
    status, headers, body = request('HEAD')
    assert status == 200
    assert headers['content-type'] == CONTENT_TYPE
    assert int(headers['content-length']) > 1000
    assert body == b''


def test_other_paths_404(make_resolver):
    start(make_resolver)
    for path in ('/other', '/', '/metricsx', '/metrics/'):
        status, headers, body = request(path=path)
        assert status == 404, path
        assert int(headers['content-length']) == len(body)
    status, headers, body = request(path='/metrics?name[]=x')  # a query changes nothing
    assert status == 200
    after = scrape()
    assert after['mangrove_metrics_requests_total{code="404"}'] == 4


def test_other_methods_405(make_resolver):
    start(make_resolver)
    for method in ('POST', 'PUT', 'DELETE', 'get'):  # methods are case-sensitive
        extra = b'Content-Length: 3\r\n' if method == 'POST' else b''
        status, headers, body = request(method, extra=extra)
        assert status == 405, method
        assert 'GET' in [m.strip() for m in headers['allow'].split(',')]
    assert scrape()['mangrove_metrics_requests_total{code="405"}'] == 4


def test_malformed_400(make_resolver):
    start(make_resolver)
    for raw in (b'GARBAGE\r\n\r\n',
                b'GET /metrics\r\n\r\n',  # HTTP/0.9
                b'GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n',
                b'GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n',
                b'GET /metrics HTTP/1.1\r\n\r\n',  # HTTP/1.1 without Host
                b'GET /metrics HTTP/1.0\r\nno colon here\r\n\r\n',
                b'GET /metrics HTTP/1.0\r\nHost : x\r\n\r\n',
                b'\x00\xff\xfe\r\n\r\n'):
        status, headers, body = exchange(raw)
        assert status == 400, raw
    status, headers, body = exchange(b'GET /metrics HTTP/1.0\n\n')  # bare LF, no Host
    assert status == 200


def test_oversized_request_refused(make_resolver, facts):
    r = start(make_resolver)
    raw = b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ' + b'a' * REQUEST_MAX + b'\r\n\r\n'
    with connect() as s:
        s.sendall(raw)
        data = read_all(s)
    assert data == b'' or data.startswith(b'HTTP/1.1 431 '), data[:100]
    assert r.query(facts['plain']['name'], 'A').rcode() == dns.rcode.NOERROR
    assert scrape()['mangrove_metrics_requests_total{code="431"}'] == 1


def test_slow_client_cut_off(make_resolver):
    start(make_resolver)
    silent = connect()
    partial = connect()
    partial.sendall(b'GET /metr')
    t0 = time.monotonic()
    first = scrape()  # served while both wait
    assert first['mangrove_metrics_dropped_total'] == 0
    for s in (silent, partial):
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b''
        assert data == b'', data
        s.close()
    waited = time.monotonic() - t0
    assert TIMEOUT - 1 <= waited <= TIMEOUT + 3, waited
    assert scrape()['mangrove_metrics_dropped_total'] == 2


def test_too_many_clients(make_resolver):
    r = start(make_resolver)
    idle = [connect() for _ in range(CLIENTS)]
    time.sleep(0.2)  # let the server accept them all
    t0 = time.monotonic()
    with connect() as extra:
        extra.sendall(b'GET /metrics HTTP/1.0\r\n\r\n')
        assert read_all(extra) == b''  # closed without a response,
    assert time.monotonic() - t0 < TIMEOUT / 2  # at once, not at the timeout
    for s in idle:
        s.close()
    refused = 0
    deadline = time.monotonic() + 2
    while True:  # the slots free up as the server sees the closes
        try:
            counts = scrape()
            break
        except AssertionError:  # refused like the extra one
            refused += 1
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    assert counts['mangrove_metrics_dropped_total'] == CLIENTS + 1 + refused
    assert r.proc.poll() is None


def test_stop_with_connections_open(make_resolver):
    r = start(make_resolver)
    silent = connect()
    partial = connect()
    partial.sendall(b'GET /metrics HTTP/1.1\r\n')
    t0 = time.monotonic()
    assert r.stop() == 0
    assert time.monotonic() - t0 < STOP_TIMEOUT
    silent.close()
    partial.close()


def test_off_by_default(resolver):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((RESOLVER_ADDR, PORT), timeout=2)
