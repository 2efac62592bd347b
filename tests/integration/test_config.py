"""The command line and the config: `-n` checks a file, errors name the
file and line, access-control refuses clients it does not allow, SIGTERM
ends the daemon cleanly."""

import os
import re
import signal
import subprocess
import time

import dns.message
import dns.rcode
import pytest

from helpers import MANGROVE, SRCDIR, STOP_TIMEOUT, write_config


def check_conf(path):
    """Run `mangrove -n -c path`; (status, stderr)."""
    if not os.access(MANGROVE, os.X_OK):
        pytest.fail('%s is not built' % MANGROVE, pytrace=False)
    p = subprocess.run([MANGROVE, '-n', '-c', path], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=10)
    return p.returncode, p.stderr


def test_check_sample_config(world):
    rc, err = check_conf(os.path.join(SRCDIR, 'etc', 'mangrove.conf'))
    assert rc == 0, err


def test_check_test_config(world, tmp_path):
    path = write_config(str(tmp_path / 'test.conf'), world, str(tmp_path / 'log'))
    rc, err = check_conf(path)
    assert rc == 0, err


@pytest.mark.parametrize('lines,bad_line', [
    (['server:', '    verbosity: 1', '    no-such-option: 3'], 3),
    (['server:', '    port: not-a-number', '    verbosity: 1'], 2),
    (['server:', '    verbosity: 1', '', '    access-control: 127.0.0.0/33 allow'], 4),
    (['server:', '    interface: 127.0.0.1', 'verbosity 2'], 3),
], ids=['unknown-option', 'bad-number', 'bad-prefix', 'no-colon'])
def test_check_bad_config_names_file_and_line(tmp_path, lines, bad_line):
    path = tmp_path / 'bad.conf'
    path.write_text('\n'.join(lines) + '\n')
    rc, err = check_conf(str(path))
    assert rc == 1, 'status %d, stderr: %s' % (rc, err)
    assert re.search(r'bad\.conf:%d\b' % bad_line, err), err


def test_check_missing_config_names_file(tmp_path):
    path = str(tmp_path / 'missing.conf')
    rc, err = check_conf(path)
    assert rc == 1, 'status %d, stderr: %s' % (rc, err)
    assert 'missing.conf' in err


@pytest.mark.parametrize('tcp', [False, True], ids=['udp', 'tcp'])
def test_access_control_refuses_other_clients(make_resolver, facts, tcp):
    """Only 127.0.0.1/32 is allowed: a client on 127.0.0.99 gets REFUSED."""
    r = make_resolver({'access-control': ['127.0.0.0/8 refuse', '127.0.0.1/32 allow']})
    name = facts['plain']['name']
    ans = r.query(name, 'A', tcp=tcp, source=facts['other_client'])
    assert ans.rcode() == dns.rcode.REFUSED, dns.rcode.to_text(ans.rcode())
    assert not ans.answer
    ans = r.query(name, 'A', tcp=tcp, source=facts['resolver'])
    assert ans.rcode() == dns.rcode.NOERROR and ans.answer


def test_sigterm_exits_zero(make_resolver, facts):
    r = make_resolver()
    assert r.query(facts['plain']['name'], 'A').answer
    t0 = time.monotonic()
    assert r.stop() == 0
    assert time.monotonic() - t0 < STOP_TIMEOUT


def test_sigterm_with_requests_in_flight(make_resolver, facts):
    """SIGTERM while a request waits on a dead server still exits 0."""
    r = make_resolver()
    for i in range(5):
        q = dns.message.make_query('n%d.%s' % (i, facts['lame']['name']), 'A')
        r.send_nowait(q.to_wire())
    time.sleep(0.1)  # let the daemon read them and start resolving
    r.proc.send_signal(signal.SIGTERM)
    assert r.proc.wait(STOP_TIMEOUT) == 0
    r.proc = None

