"""world.py - the signed mini-Internet at benchmark scale.

The world of tests/integration/mini_internet.py plus two big leaf zones,
each with `names` A records h0 .. h<names-1> (one RRset per name, so a cold
resolution of a new name costs one signature check):

    bench-ecdsa.lab.     ECDSA P-256 (algorithm 13), NSEC, on 127.0.5.1
    bench-rsa.example.   RSA-2048 (algorithm 8), NSEC, on 127.0.5.2

Their parents are lab. (ECDSA, NSEC3 opt-out) and example. (RSA) of the
test world. The signed world is kept in its folder and used again by later
runs while its signatures have more than REUSE_DAYS days to live and the
code that made it (mini_internet.py, this file) is unchanged; signing 2 x
200k names takes minutes (ldns-signzone is single-threaded).
"""

import hashlib
import json
import os
import time

import mini_internet
from mini_internet import ALG_ECDSAP256, ALG_RSASHA256, Zone

ZONES = {  # key: (zone, NS address, algorithm, RSA bits)
    'ecdsa': ('bench-ecdsa.lab.', '127.0.5.1', ALG_ECDSAP256, 2048),
    'rsa': ('bench-rsa.example.', '127.0.5.2', ALG_RSASHA256, 2048),
}
STAMP = 'bench-world.json'
REUSE_DAYS = 20  # mini_internet.py signs for 30 days


def name(kind, i):
    """The i-th name of a bench zone ('ecdsa' or 'rsa')."""
    return 'h%d.%s' % (i, ZONES[kind][0])


def address(i):
    """The A record of the i-th name (the same in both zones)."""
    return '10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255)


def bench_zones(names):
    """The two big leaf zones as mini_internet Zone objects."""
    out = []
    for zone, addr, alg, bits in ZONES.values():
        records = ['h%d A %s' % (i, address(i)) for i in range(names)]
        out.append(Zone(zone, [('ns1.' + zone, addr)], records=records, alg=alg,
                        bits=bits, split_keys=True, denial='nsec'))
    return out


def _fingerprint(names):
    h = hashlib.sha256()
    for path in (mini_internet.__file__, __file__):
        with open(path, 'rb') as f:
            h.update(f.read())
    h.update(str(names).encode())
    return h.hexdigest()


def needed_servers(w):
    """Addresses of the servers on the path to the bench zones (root,
    lab., example., the two leaves): the others are not started."""
    zones = ['.', 'lab.', 'example.'] + [z for z, _, _, _ in ZONES.values()]
    return sorted({a for z in zones for a in w.by_name[z].serve})


def _reusable(w, names):
    try:
        with open(os.path.join(w.dir, STAMP)) as f:
            stamp = json.load(f)
        with open(os.path.join(w.dir, 'world.json')) as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return None
    if stamp.get('fingerprint') != _fingerprint(names):
        return None
    if time.time() > stamp.get('built_at', 0) + REUSE_DAYS * 86400:
        return None
    return stamp, saved


def _restore(w, saved):
    """Take a built world's files from its world.json instead of building."""
    for zname, z in saved['zones'].items():
        if zname in w.by_name:
            w.by_name[zname].ds = z['ds']
            w.by_name[zname].keys = z['keys']
            if z['file']:
                w.zonefiles[zname] = z['file']
    w.root_hints = saved['root_hints']
    w.trust_anchor = saved['trust_anchor']
    missing = [p for p in list(w.zonefiles.values()) + [w.root_hints, w.trust_anchor]
               if not os.path.exists(p)]
    if missing:
        raise RuntimeError('saved world in %s lacks %s' % (w.dir, missing[0]))


def prepare(workdir, names, rebuild=False, log=print):
    """A built (or reused) World with the bench zones, not yet started.
    Returns (world, {'reused': bool, 'build_s': seconds or None})."""
    w = mini_internet.World(workdir, extra_zones=bench_zones(names))
    found = None if rebuild else _reusable(w, names)
    if found is not None:
        stamp, saved = found
        _restore(w, saved)
        log('world: reusing %s (%d names per zone, built %s, in %.0f s)'
            % (w.dir, names, time.strftime('%Y-%m-%d %H:%M', time.localtime(stamp['built_at'])),
               stamp['build_s']))
        return w, {'reused': True, 'build_s': stamp['build_s']}
    stamp_path = os.path.join(w.dir, STAMP)
    if os.path.exists(stamp_path):
        os.unlink(stamp_path)
    log('world: building and signing in %s (%d names per bench zone) ...' % (w.dir, names))
    t0 = time.monotonic()
    w.build()
    build_s = round(time.monotonic() - t0, 1)
    with open(stamp_path, 'w') as f:
        json.dump({'fingerprint': _fingerprint(names), 'names': names,
                   'built_at': time.time(), 'build_s': build_s}, f)
    log('world: built and signed in %.1f s' % build_s)
    return w, {'reused': False, 'build_s': build_s}
