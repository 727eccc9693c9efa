#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Receive: storescu (each transfer syntax on the wire as itself) and gdcmscu send the standard
set; every object must be archived byte-for-byte (element values and pixel data), indexed with
the right patient in UTF-8, and listed by `ferry-cli studies --json`."""

import os
import re

import ferrytest as ft

# storescu option that makes each transfer syntax the preferred one on the wire.
TS_FLAGS = {
    ft.IMPLICIT_LE: ['-xi'],
    ft.EXPLICIT_LE: ['-xe'],
    ft.JPEG_BASELINE: ['-xy'],
    ft.JPEG_LS_LOSSLESS: ['-xt'],
    ft.RLE_LOSSLESS: ['-xr'],
}


def send_with_storescu(port, manifest, aet):
    for ts, flags in TS_FLAGS.items():
        files = [m['path'] for m in manifest if m['transfer_syntax'] == ts]
        if not files:
            continue
        r = ft.storescu(port, files, aet=aet, extra=flags + ['-pdu', '131072'])
        statuses = dict(r.responses)
        bad = [(os.path.basename(f), statuses.get(f)) for f in files
               if not (statuses.get(f) or '').startswith('Success')]
        ft.check(r.returncode == 0 and not bad,
                 'storescu %s exited %d; not acknowledged with Success: %s\n%s'
                 % (' '.join(flags), r.returncode, bad, r.stdout[-3000:]))
        # The test is only meaningful if the file went over the wire in its own syntax.
        for line in r.stdout.splitlines():
            m = re.search(r'Converting transfer syntax: (.*) -> (.*)$', line)
            ft.check(not m or m.group(1).strip() == m.group(2).strip(),
                     'storescu converted instead of sending as-is (%s): %s'
                     % (' '.join(flags), line))


def check_studies(home, manifests):
    """manifests: list of (manifest, calling_ae)."""
    studies = ft.studies_json(home)
    by_uid = {s.get('study_instance_uid'): s for s in studies}
    problems = []
    for manifest, ae in manifests:
        expected = {}
        for m in manifest:
            expected.setdefault(m['study_instance_uid'], []).append(m)
        for uid, items in expected.items():
            s = by_uid.get(uid)
            if s is None:
                problems.append('study %s (%s) not listed' % (uid, items[0]['patient_name']))
                continue
            for key in ('study_instance_uid', 'patient_id', 'patient_name', 'study_date',
                        'modality', 'calling_ae', 'instances'):
                if key not in s:
                    problems.append('study %s: member %r missing in %r' % (uid, key, s))
            want = {'patient_id': items[0]['patient_id'],
                    'patient_name': items[0]['patient_name'],
                    'study_date': '20240315', 'calling_ae': ae, 'instances': len(items)}
            for k, v in want.items():
                got = s.get(k)
                if k == 'study_date' and isinstance(got, str):
                    got = got.replace('-', '')
                if got != v:
                    problems.append('study %s (%s): %s is %r, expected %r'
                                    % (uid, items[0]['patient_name'], k, s.get(k), v))
            mod = s.get('modality')
            if not mod or items[0]['modality'] not in str(mod):
                problems.append('study %s: modality %r, expected to contain %r'
                                % (uid, mod, items[0]['modality']))
    ft.check(not problems, 'ferry-cli studies --json:\n  ' + '\n  '.join(problems))


def check_no_phi(home, srv, manifest):
    texts = {'serve stdout/stderr': srv.output(limit=10 ** 9).encode('utf-8')}
    logs = os.path.join(home.path, 'logs')
    for root, _, files in os.walk(logs):
        for f in files:
            with open(os.path.join(root, f), 'rb') as fh:
                texts[os.path.relpath(os.path.join(root, f), home.path)] = fh.read()
    needles = set()
    for m in manifest:
        needles.add(m['patient_id'].encode('utf-8'))
        family = m['patient_name'].split('^')[0]
        needles.add(family.encode('utf-8'))
        try:
            needles.add(family.encode('latin-1'))
        except UnicodeEncodeError:
            pass
    found = ['%r in %s' % (n, where) for where, t in texts.items() for n in sorted(needles)
             if n in t]
    ft.check(not found, 'patient names or IDs in operational logs (PHI logging is off by '
             'default): %s' % found[:10])


def body():
    data = ft.mkdtemp(prefix='ferry-data-')
    set_a = ft.generate_set(os.path.join(data, 'storescu'), tag='A', seed=11)
    set_g = ft.generate_set(os.path.join(data, 'gdcm'), tag='G', seed=12)

    home = ft.FerryHome(config={'version': 1, 'receiver': {'ae_title': 'FERRY',
                                                          'disk_reserve_mb': 0}})
    srv = ft.FerryServer(home).start()
    ft.check(srv.ae == 'FERRY', 'serve announced AE %r, expected FERRY' % srv.ae)
    ft.log('serve listening on port', srv.port)

    r = ft.echoscu(srv.port)
    ft.check(r.returncode == 0 and 'Received Echo Response (Success)' in r.stdout,
             'echoscu failed (exit %d):\n%s' % (r.returncode, r.stdout))
    r = ft.ferry_cmd(home, ['echo', '127.0.0.1', str(srv.port), '--aec', 'FERRY'])
    ft.check(r.returncode == 0, 'ferry-cli echo to its own server exited %d:\n%s'
             % (r.returncode, r.stdout))

    send_with_storescu(srv.port, set_a, aet='MODALITY1')
    ft.log('storescu sent %d objects' % len(set_a))

    results = ft.gdcmscu_store(srv.port, [m['path'] for m in set_g], aet='GDCM')
    ft.log('gdcmscu exit codes (not a verdict):', [x.returncode for x in results])

    ft.check(srv.alive(), 'ferry-cli serve died while receiving:\n' + srv.output())

    missing_g = [os.path.basename(m['path']) for m in set_g
                 if m['sop_instance_uid'] not in home.instance_by_uid()]
    ft.check(not missing_g, 'objects sent by gdcmscu that did not arrive: %s\ngdcmscu output '
             'of the first: %s' % (missing_g, results[0].stdout[-1500:]))

    ft.assert_archived(home, set_a, calling_ae='MODALITY1')
    ft.assert_archived(home, set_g, calling_ae='GDCM')

    # UTF-8 in the database, whatever the object's character set was.
    names = {r['patient_id']: r['patient_name'] for r in home.query(
        'SELECT patient_id, patient_name FROM patients')}
    for pid, name in (('PID-L1-A', ft.NAME_LATIN1), ('PID-U8-A', ft.NAME_UTF8),
                      ('PID-NS-A', ft.NAME_NO_SCS), ('PID-AS-A', ft.NAME_ASCII)):
        ft.check(names.get(pid) == name, 'patients row %s has name %r, expected %r'
                 % (pid, names.get(pid), name))

    # Archive names never come from a UID; only known files under archive/.
    rel = [r['file_path'] for r in home.instances()]
    ft.assert_no_partial_files(home, rel)

    check_studies(home, [(set_a, 'MODALITY1'), (set_g, 'GDCM')])

    r = ft.echoscu(srv.port)
    ft.check(r.returncode == 0, 'echo after the transfers failed:\n' + r.stdout)
    srv.stop()

    # No PHI in operational logs by default (RELIABILITY.md 9): the serve output and logs/.
    check_no_phi(home, srv, set_a + set_g)

    # After a restart everything is still there and listed.
    srv = ft.FerryServer(home).start()
    check_studies(home, [(set_a, 'MODALITY1'), (set_g, 'GDCM')])
    srv.stop()
    ft.check(home.integrity_check() == ['ok'], 'integrity_check: %s' % home.integrity_check())


if __name__ == '__main__':
    ft.main(body)
