"""The mini-Internet itself, checked without mangrove: every zone verifies,
the chain of trust from root.key down is whole, and the servers behave as
the resolver tests assume (authoritative where they should be, lame and
dead where they should be, TC=1 for the big TXT over UDP)."""

import subprocess

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from helpers import rdata_of


def ask(addr, name, rdtype, tcp=False):
    q = dns.message.make_query(name, rdtype, want_dnssec=True, payload=1232)
    q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, addr, timeout=2)
    return dns.query.udp(q, addr, timeout=2)


def signed_zones(world):
    """Signed zones, but not those a signing hook bends on purpose
    (mini_internet.SIGN_HOOKS; test_dnssec_cases.py checks them)."""
    return [z for z in world.zones if z.signed and not z.hook]


def find(msg, section, name, rdtype):
    """(rrset, its rrsig rrset) from a message section."""
    name = dns.name.from_text(name)
    sec = getattr(msg, section)
    rrset = next((r for r in sec if r.name == name and r.rdtype == rdtype), None)
    sig = next((r for r in sec if r.name == name and r.rdtype == dns.rdatatype.RRSIG
                and r.covers == rdtype), None)
    return rrset, sig


def test_every_signed_zone_verifies(world):
    for z in signed_zones(world):
        p = subprocess.run(['ldns-verify-zone', world.zonefiles[z.name]],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        assert p.returncode == 0, '%s: %s' % (z.name, p.stdout)


def test_algorithms_and_denial_are_mixed(world):
    zs = signed_zones(world)
    assert {z.alg for z in zs} >= {8, 13}
    assert {z.denial for z in zs} >= {'nsec', 'nsec3', 'nsec3-optout'}
    assert any(z.software == 'knot' for z in world.zones)


def test_each_server_is_authoritative_for_its_zones(world):
    for addr, srv in world.servers.items():
        for zone in srv.zones:
            r = ask(addr, zone, 'SOA')
            assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA, (addr, zone)
            assert rdata_of(r, zone, 'SOA'), (addr, zone)


def test_lame_server_refuses_and_dead_address_is_silent(world, facts):
    r = ask(facts['lame_address'], facts['lame']['name'], 'A')
    assert r.rcode() == dns.rcode.REFUSED
    assert facts['dead_address'] not in world.servers
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(dns.message.make_query(facts['lame']['name'], 'A'),
                      facts['dead_address'], timeout=0.3)


def test_silent_server_never_answers(world, facts):
    q = dns.message.make_query(facts['lame']['name'], 'A')
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(q, facts['silent_address'], timeout=0.3)
    with pytest.raises(dns.exception.Timeout):
        dns.query.tcp(q, facts['silent_address'], timeout=0.3)


def test_chain_of_trust_from_root_key(world):
    """DNSKEY of each signed zone is self-signed and matched by a DS the
    parent signed; the root KSK matches root.key."""
    with open(world.trust_anchor) as f:
        anchor = [line.split()[-4:] for line in f if line.strip()]
    keys = {}
    for z in sorted(signed_zones(world), key=lambda z: z.name.count('.')):
        r = ask(z.serve[0], z.name, 'DNSKEY', tcp=True)
        dnskey, sig = find(r, 'answer', z.name, dns.rdatatype.DNSKEY)
        assert dnskey is not None and sig is not None, z.name
        dns.dnssec.validate(dnskey, sig, {dnskey.name: dnskey})
        keys[z.name] = dnskey
        if z.name == '.':
            ds_texts = [' '.join(a).lower() for a in anchor]
        else:
            parent = world.by_name[world.parent(z.name)]
            pr = ask(parent.serve[0], z.name, 'DS')
            ds, ds_sig = find(pr, 'answer', z.name, dns.rdatatype.DS)
            assert ds is not None and ds_sig is not None, z.name
            pname = dns.name.from_text(parent.name)
            dns.dnssec.validate(ds, ds_sig, {pname: keys[parent.name]})
            ds_texts = [rd.to_text().lower() for rd in ds]
        made = [dns.dnssec.make_ds(dnskey.name, k, 'SHA256').to_text().lower()
                for k in dnskey if k.flags & 0x0001]
        assert set(made) & set(ds_texts), '%s: no KSK matches the DS' % z.name


def test_unsigned_zone_has_no_ds_and_optout_nsec3(world):
    for z in world.zones:
        if z.signed:
            continue
        parent = world.by_name[world.parent(z.name)]
        r = ask(parent.serve[0], z.name, 'DS')
        assert r.rcode() == dns.rcode.NOERROR and not r.answer
        nsec3 = [rs for rs in r.authority if rs.rdtype == dns.rdatatype.NSEC3]
        assert nsec3 and all(rd.flags & 1 for rs in nsec3 for rd in rs), z.name


def test_nsec3_parameters(world):
    for z in signed_zones(world):
        r = ask(z.serve[0], z.name, 'NSEC3PARAM')
        got = rdata_of(r, z.name, 'NSEC3PARAM')
        if z.denial == 'nsec':
            assert not got, z.name
        else:
            salt = z.salt.lower()
            assert got == ['1 0 %d %s' % (z.iterations, salt)], z.name


def test_big_txt_needs_tcp(world, facts):
    name = facts['big_txt']['name']
    addr = world.by_name[world.closest_zone(name)].serve[0]
    r = ask(addr, name, 'TXT')
    assert r.flags & dns.flags.TC
    r = ask(addr, name, 'TXT', tcp=True)
    strings = sorted(b''.join(rd.strings).decode() for rd in r.answer[0])
    assert strings == sorted(facts['big_txt']['strings'])
    assert 1232 < len(r.to_wire()) < 4000


def test_glueless_referral_has_no_glue(world, facts):
    name = facts['glueless']['name']
    zone = world.closest_zone(name)
    parent = world.by_name[world.parent(zone)]
    r = ask(parent.serve[0], name, 'A')
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    ns = rdata_of(r, zone, 'NS', 'authority')
    assert ns and not any(rs.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
                          for rs in r.additional)
