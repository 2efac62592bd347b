"""The control socket and mangrove-control (issue 4): status, stats,
verbosity, flush-all and stop through the real binary, and the error
paths: no daemon, unknown commands, garbage on the socket."""

import os
import socket
import subprocess

import dns.rcode

from helpers import MANGROVE, STOP_TIMEOUT, control, control_stats, write_config


def start(make_resolver, tmp_path):
    sock = str(tmp_path / 'ctl.sock')
    return make_resolver({'control-socket': sock}), sock


stats = control_stats


def test_status(make_resolver, tmp_path):
    r, sock = start(make_resolver, tmp_path)
    rc, out, err = control(sock, 'status')
    assert rc == 0, err
    fields = dict(line.split(': ', 1) for line in out.splitlines())
    assert fields['version'].startswith('mangrove ')
    assert int(fields['uptime']) >= 0
    assert int(fields['workers']) >= 1
    assert fields['config-file'] == r.conf
    assert int(fields['cache.max_bytes']) > 0
    assert oct(os.stat(sock).st_mode & 0o777) == oct(0o660)


def test_socket_from_config_file(make_resolver, tmp_path):
    r, sock = start(make_resolver, tmp_path)
    rc, out, err = control(None, 'status', conf=r.conf)
    assert rc == 0, err
    assert 'workers: ' in out


def test_stats_move_by_queries_sent(make_resolver, tmp_path, facts):
    r, sock = start(make_resolver, tmp_path)
    name = facts['plain']['name']
    r.query(name, 'A')
    before = stats(sock)
    for _ in range(5):
        assert r.query(name, 'A').rcode() == dns.rcode.NOERROR
    r.query(name, 'A', tcp=True)
    after = stats(sock)
    assert after['queries_udp'] - before['queries_udp'] == 5
    assert after['queries_tcp'] - before['queries_tcp'] == 1
    assert after['answers_rcode.NOERROR'] - before['answers_rcode.NOERROR'] == 6
    assert after['cache_hits'] - before['cache_hits'] == 6
    assert after['upstream_sent_udp'] == before['upstream_sent_udp']
    for key in ('limits.timeout', 'dropped.acl_deny', 'cache.entries', 'send_errors'):
        assert key in after


def test_verbosity(make_resolver, tmp_path, facts):
    r, sock = start(make_resolver, tmp_path)
    name = facts['plain']['name']
    r.query(name, 'A')
    rc, out, err = control(sock, 'verbosity', '3')
    assert rc == 0, err
    r.query(name, 'AAAA')
    with open(r.outfile) as f:  # -d: the log goes to standard error
        log = f.read()
    assert 'control: verbosity 3' in log
    assert '%s type 1 class 1: resolve' % name not in log  # verbosity 2 before
    assert '%s type 28 class 1: resolve' % name in log  # one line per query now
    rc, out, err = control(sock, 'verbosity', '6')
    assert rc == 1
    assert 'error: verbosity must be a number from 0 to 5' in err


def test_flush_all_sends_the_next_query_upstream(make_resolver, tmp_path, facts):
    r, sock = start(make_resolver, tmp_path)
    name = facts['plain']['name']
    r.query(name, 'A')
    s1 = stats(sock)
    r.query(name, 'A')
    s2 = stats(sock)
    assert s2['cache_hits'] - s1['cache_hits'] == 1
    assert s2['upstream_sent_udp'] == s1['upstream_sent_udp']
    rc, out, err = control(sock, 'flush-all')
    assert rc == 0, err
    assert int(out.split()[1]) == s2['cache.entries'] > 0
    assert stats(sock)['cache.entries'] == 0
    assert r.query(name, 'A').rcode() == dns.rcode.NOERROR
    s3 = stats(sock)
    assert s3['cache_misses'] - s2['cache_misses'] >= 1
    assert s3['upstream_sent_udp'] > s2['upstream_sent_udp']


def test_stop_exits_zero(make_resolver, tmp_path):
    r, sock = start(make_resolver, tmp_path)
    rc, out, err = control(sock, 'stop')
    assert rc == 0, err
    assert r.proc.wait(STOP_TIMEOUT) == 0
    r.proc = None
    assert not os.path.exists(sock), 'socket file left behind'
    rc, out, err = control(sock, 'status')
    assert rc == 2


def test_no_daemon_names_the_socket(tmp_path):
    sock = str(tmp_path / 'none.sock')
    rc, out, err = control(sock, 'status')
    assert rc == 2
    assert sock in err and 'No such file or directory' in err


def test_unknown_command(make_resolver, tmp_path):
    r, sock = start(make_resolver, tmp_path)
    rc, out, err = control(sock, 'reboot')
    assert rc == 1
    assert "error: unknown command 'reboot'" in err
    assert out == ''


def test_garbage_costs_nothing_else(make_resolver, tmp_path, facts):
    r, sock = start(make_resolver, tmp_path)
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stalled.connect(sock)
    stalled.sendall(b'sta')  # and then nothing
    for junk in (b'\x00\xff\xfe garbage\n', b'x' * 10000, b'\n'):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(sock)
            s.sendall(junk)
            reply = s.recv(65536)
            assert reply.startswith(b'error: '), reply
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(sock)  # gone before sending anything
    assert r.query(facts['plain']['name'], 'A').rcode() == dns.rcode.NOERROR
    rc, out, err = control(sock, 'status')
    assert rc == 0, err
    counts = stats(sock)
    assert counts['control.rejected'] == 3
    assert counts['control.dropped'] >= 1  # the one that sent nothing
    assert counts['control.requests'] == 2  # status and this stats
    stalled.close()


def test_stale_socket_replaced(make_resolver, tmp_path):
    sock = str(tmp_path / 'ctl.sock')
    old = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old.bind(sock)
    old.close()
    make_resolver({'control-socket': sock})
    rc, out, err = control(sock, 'status')
    assert rc == 0, err


def test_other_file_not_replaced(world, tmp_path):
    path = tmp_path / 'ctl.sock'
    path.write_text('keep me\n')
    conf = write_config(str(tmp_path / 'm.conf'), world, str(tmp_path / 'log'),
                        {'control-socket': str(path), 'logfile': None})
    p = subprocess.run([MANGROVE, '-d', '-c', conf], capture_output=True, text=True,
                       timeout=STOP_TIMEOUT * 2)
    assert p.returncode == 1
    assert 'exists and is not a socket' in p.stderr
    assert path.read_text() == 'keep me\n'


def test_request_size_limit(make_resolver, tmp_path):
    r, sock = start(make_resolver, tmp_path)
    for line, ok in ((b'status' + b' ' * 4090 + b'\r\n', True),
                     (b'status' + b' ' * 4091 + b'\n', False)):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(sock)
            s.sendall(line)
            reply = b''
            while chunk := s.recv(65536):
                reply += chunk
        if ok:
            assert reply.startswith(b'ok\nversion: '), reply
        else:
            assert reply == b'error: request longer than 4096 bytes\n', reply
