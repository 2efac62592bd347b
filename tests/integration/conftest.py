"""Fixtures for Mangrove's integration tests.

- world: the signed mini-Internet (mini_internet.py), one per session.
- resolver / make_resolver: a mangrove daemon on 127.0.0.1:53 using the
  mini-Internet's root hints, stopped with SIGTERM after the test, which must
  make it exit 0 within a few seconds.
- servers_stopped: call it to stop every authoritative server (they are
  started again after the test).
- slow_log: the questions the slow server gets during the test.
- summary_note: print a measurement after the run.
- The daemon and client helpers themselves are in helpers.py.

Everything here runs inside the private network namespace set up by `run`;
every wait is bounded.
"""

import pytest

import mini_internet
from helpers import QueryLog, Resolver

_timings = {}
_notes = []  # measurements to print after the run (summary_note)


def pytest_terminal_summary(terminalreporter):
    if _timings:
        terminalreporter.write_line(
            'mini-Internet: %d zones, %d servers; build+sign %.2f s, start %.2f s'
            % (_timings['zones'], _timings['servers'], _timings['build_s'],
               _timings['start_s']))
    for line in _notes:
        terminalreporter.write_line(line)


@pytest.fixture
def summary_note():
    """Call with a line of text to print it after the run (measurements)."""
    return _notes.append


@pytest.fixture(scope='session')
def world(tmp_path_factory):
    """The running mini-Internet; stopped at the end of the session."""
    w = mini_internet.World(str(tmp_path_factory.mktemp('world')))
    w.build()
    w.start()
    _timings.update(w.timings, zones=len(w.zones), servers=len(w.servers))
    yield w
    w.stop()


@pytest.fixture
def facts(world):
    return world.facts


@pytest.fixture
def servers_stopped(world):
    """Stops every authoritative server when called; restarts them after."""
    stopped = []

    def stop():
        world.stop()
        stopped.append(True)

    yield stop
    if stopped:
        world.start()


@pytest.fixture
def slow_log(world):
    """The questions the slow server (slow.lab.) receives from now on."""
    return QueryLog(world.servers[world.facts['slow']['address']].querylog)


class ResolverFactory:
    """Starts daemons with config overrides; remembers them for teardown."""

    def __init__(self, world, tmp_path):
        self.world = world
        self.tmp_path = tmp_path
        self.started = []

    def __call__(self, overrides=None):
        d = self.tmp_path / ('mangrove%d' % len(self.started))
        d.mkdir()
        r = Resolver(self.world, d, overrides)
        self.started.append(r)
        r.start()
        return r


@pytest.fixture
def make_resolver(world, tmp_path):
    """Factory: start a daemon with config overrides; all are stopped (and
    must exit 0 on SIGTERM) at teardown."""
    factory = ResolverFactory(world, tmp_path)
    yield factory
    for r in factory.started:
        rc = r.stop()
        assert rc == 0, 'mangrove exit status %r after SIGTERM (want 0)\n%s' % (
            rc, r.log_tail())


@pytest.fixture
def resolver(make_resolver):
    """A daemon with the default test config and an empty cache."""
    return make_resolver()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the daemons' log tails to the report."""
    outcome = yield
    rep = outcome.get_result()
    factory = getattr(item, 'funcargs', {}).get('make_resolver')
    if rep.failed and isinstance(factory, ResolverFactory):
        for r in factory.started:
            rep.sections.append(('mangrove log (%s)' % r.dir, r.log_tail()))
