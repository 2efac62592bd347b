"""Worker threads share one cache (DESIGN.md "Threads"): a name resolved
once is answered by every worker, also when no authoritative server is left.

Which worker answers is the kernel's choice (SO_REUSEPORT hashes the
client's address and port), so the clients use many source ports. The log
does not name the worker (log.c writes the pid only), so the test sees the
workers take part through their threads instead: a worker sleeps in
epoll_wait between packets and has no timer of its own when idle, so each
packet it handles shows as a voluntary context switch of its thread
(/proc/PID/task/TID/status)."""

import os

import dns.message
import dns.rcode

from helpers import ask_all, rdata_of

CLIENTS = 40


def thread_switches(pid):
    """{tid: voluntary context switches} of every thread but the main one."""
    out = {}
    for tid in os.listdir('/proc/%d/task' % pid):
        if int(tid) == pid:
            continue
        try:
            with open('/proc/%d/task/%s/status' % (pid, tid)) as f:
                for line in f:
                    if line.startswith('voluntary_ctxt_switches:'):
                        out[int(tid)] = int(line.split()[1])
        except OSError:
            pass  # a thread that just ended
    return out


def test_cache_is_shared_by_workers(make_resolver, facts, servers_stopped):
    r = make_resolver({'workers': '2'})
    p = facts['plain']
    first = r.query(p['name'], 'A')
    assert rdata_of(first, p['name'], 'A') == sorted(p['A'])
    servers_stopped()
    queries = []
    for _ in range(CLIENTS):
        q = dns.message.make_query(p['name'], 'A')
        q.use_edns(0, ednsflags=0, payload=1232)
        queries.append(q)
    before = thread_switches(r.pid)
    replies = ask_all(r.addr, queries, timeout=3)
    after = thread_switches(r.pid)
    for i, rep in enumerate(replies):
        assert rep is not None, 'client %d: no answer' % i
        assert rep.rcode() == dns.rcode.NOERROR, (i, dns.rcode.to_text(rep.rcode()))
        assert rdata_of(rep, p['name'], 'A') == sorted(p['A']), i
    woke = sorted(tid for tid in after if after[tid] > before.get(tid, after[tid]))
    assert len(woke) >= 2, ('only threads %s of %s woke for %d clients: one worker served all'
                            % (woke, sorted(after), CLIENTS))
