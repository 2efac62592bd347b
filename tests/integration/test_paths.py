"""Relative file names in the config (mangrove.conf(5) "Relative file
names"): root-hints, logfile and pidfile are taken relative to the folder
of the config file, not to the working folder, also when the config file
itself is given to -c by a relative name and when the daemon detaches (and
changes its working folder to /). The pid file holds the daemon's pid and
is removed after SIGTERM (mangrove(8) FILES)."""

import os
import shutil
import signal
import subprocess
import time

import pytest

from helpers import (MANGROVE, START_TIMEOUT, STOP_TIMEOUT, Resolver, rdata_of,
                     write_config)


def relative_setup(world, tmp_path):
    """tmp/etc/mangrove.conf naming hints/root.hints, run/mangrove.pid and
    log/mangrove.log by relative names, and an empty tmp/elsewhere to start
    the daemon from. Returns (etc folder, -c argument from elsewhere, elsewhere)."""
    etc = tmp_path / 'etc'
    for sub in ('hints', 'run', 'log'):
        (etc / sub).mkdir(parents=True)
    shutil.copy(world.root_hints, str(etc / 'hints' / 'root.hints'))
    write_config(str(etc / 'mangrove.conf'), world, 'log/mangrove.log',
                 {'root-hints': 'hints/root.hints', 'pidfile': 'run/mangrove.pid'})
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    return etc, os.path.join('..', 'etc', 'mangrove.conf'), elsewhere


def read_pid(path):
    with open(path) as f:
        text = f.read()
    assert text.endswith('\n') and text.strip().isdigit(), repr(text)
    return int(text)


def assert_resolves(r, facts):
    """Only the test root hints lead to www.plain.lab. (the built-in ones
    are unreachable in the namespace)."""
    p = facts['plain']
    assert rdata_of(r.query(p['name'], 'A'), p['name'], 'A') == sorted(p['A'])


def test_relative_paths_in_the_foreground(world, facts, tmp_path):
    etc, conf, elsewhere = relative_setup(world, tmp_path)
    pidfile = etc / 'run' / 'mangrove.pid'
    r = Resolver(world, tmp_path, conf=conf, cwd=str(elsewhere))
    try:
        r.start()
        assert_resolves(r, facts)
        assert pidfile.exists(), 'no pid file in %s; the working folder has %s' % (
            etc / 'run', os.listdir(str(elsewhere)))
        assert read_pid(str(pidfile)) == r.pid
        assert os.listdir(str(elsewhere)) == [], 'files made in the working folder'
        assert r.stop() == 0, r.log_tail()
    finally:
        r.kill()
    assert not pidfile.exists(), 'pid file left after SIGTERM'


def _alive(pid):
    """Running (not a zombie) and not yet reaped."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def _is_our_daemon(pid, conf):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            args = f.read().split(b'\0')
    except OSError:
        return False
    return args[:1] == [MANGROVE.encode()] and conf.encode() in args


def test_relative_paths_when_detached(world, facts, tmp_path):
    """Without -d the daemon forks, changes to / and only then writes its pid
    file, logs to the log file and reads nothing more: the names must have
    been made absolute when the config was read."""
    etc, conf, elsewhere = relative_setup(world, tmp_path)
    pidfile = str(etc / 'run' / 'mangrove.pid')
    logfile = str(etc / 'log' / 'mangrove.log')
    p = subprocess.run([MANGROVE, '-c', conf], cwd=str(elsewhere), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=START_TIMEOUT)
    pid = read_pid(pidfile) if os.path.exists(pidfile) else None
    try:
        assert p.returncode == 0, p.stderr
        assert pid is not None, 'no pid file in %s' % (etc / 'run')
        assert _alive(pid) and _is_our_daemon(pid, conf), 'pid %d is not the daemon' % pid
        assert os.readlink('/proc/%d/cwd' % pid) == '/'
        r = Resolver(world, tmp_path, conf=conf)  # a client only: not started
        assert_resolves(r, facts)
        with open(logfile) as f:
            assert 'started' in f.read()
        assert os.listdir(str(elsewhere)) == []
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(pid), 'still running %.0f s after SIGTERM' % STOP_TIMEOUT
        assert not os.path.exists(pidfile), 'pid file left after SIGTERM'
    finally:
        if pid is not None and _alive(pid) and _is_our_daemon(pid, conf):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize('missing', ['hints', 'run'])
def test_relative_names_are_not_taken_from_the_working_folder(world, tmp_path, missing):
    """The same names under the working folder do not help: with the
    config folder's hints/ or run/ gone, the start fails."""
    etc, conf, elsewhere = relative_setup(world, tmp_path)
    shutil.copytree(str(etc / missing), str(elsewhere / missing))
    shutil.rmtree(str(etc / missing))
    p = subprocess.run([MANGROVE, '-d', '-c', conf], cwd=str(elsewhere),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=START_TIMEOUT)
    assert p.returncode == 1, 'started without %s/: %s' % (missing, p.stderr)
    assert os.path.join('etc', missing) in p.stderr, p.stderr
