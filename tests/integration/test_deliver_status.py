#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Honest delivery (RELIABILITY.md 6), row by row against real DICOM peers: ferry-test-scp
instances on 127.0.0.1 answer with chosen statuses, refuse a SOP class or reject the
association. Each sending device goes to its own destination, so every outcome is one study:

  WARN   every store answered 0xB000            -> delivered-with-warning, status recorded
  FULL   every store answered 0xA700            -> retrying; SCP restarted healthy and
                                                   `ferry-cli retry --all` -> delivered
  MIXED  one object 0xA900, one 0xC000, rest OK -> those two outbox with their status and a
                                                   reason; the others delivered
  SOPC   CT Image Storage refused (no context)  -> the CT object outbox, the reason names the
                                                   SOP class; the US objects of the same study
                                                   delivered (a poison item does not block)
  PERM   association rejected permanently       -> outbox
  TRANS  association rejected transiently       -> retrying
Then with the peers healthy again, `ferry-cli resend --outbox` sends the outbox again and every
row ends delivered; the peers hold every object."""

import os

import delivertest as dt
import ferrytest as ft

HOUR = 3600


def body():
    data = ft.mkdtemp(prefix='ferry-data-')
    mixed_study = dt.make_study(os.path.join(data, 'mixed'), 5, modality='US',
                                patient_id='PID-MIX', accession='ACC-MIX', seed=5)
    a900 = mixed_study[1]['sop_instance_uid']
    c000 = mixed_study[3]['sop_instance_uid']
    scps = {
        'WARN': dt.TestScp('WARN', ['--status', '0xB000']),
        'FULL': dt.TestScp('FULL', ['--status', '0xA700']),
        'MIXED': dt.TestScp('MIXED', ['--status-for', a900 + '=0xA900',
                                      '--status-for', c000 + '=0xC000']),
        'SOPC': dt.TestScp('SOPC', ['--refuse-sop-class', ft.CT_STORAGE]),
        'PERM': dt.TestScp('PERM', ['--reject', 'permanent']),
        'TRANS': dt.TestScp('TRANS', ['--reject', 'transient']),
    }
    for s in scps.values():
        s.start()

    studies = {'MIXED': mixed_study}
    for n, name in enumerate(['WARN', 'FULL', 'PERM', 'TRANS']):
        studies[name] = dt.make_study(os.path.join(data, name.lower()), 3, modality='US',
                                      patient_id='PID-' + name, accession='ACC-' + name,
                                      seed=10 + n)
    sopc = dt.make_study(os.path.join(data, 'sopc'), 4, modality='US', patient_id='PID-SOPC',
                         accession='ACC-SOPC', seed=20)
    sopc_ct = dt.make_study(os.path.join(data, 'sopc-ct'), 1, modality='CT',
                            patient_id='PID-SOPC', accession='ACC-SOPC', seed=21,
                            study_uid=sopc[0]['study_instance_uid'])
    # The CT object goes in the middle of the study.
    studies['SOPC'] = sopc[:2] + sopc_ct + sopc[2:]

    # FULL and TRANS retry every hour: only `retry --all` (or a resend) brings them back early.
    long_retry = {'FULL', 'TRANS'}
    cfg = dt.config(
        destinations=[dt.destination(name, s.port, name,
                                     interval=HOUR if name in long_retry else 1)
                      for name, s in scps.items()],
        devices=[{'name': 'Device ' + name, 'ae_title': 'DEV_' + name, 'destinations': [name]}
                 for name in scps])
    home = ft.FerryHome(config=cfg)
    srv = ft.FerryServer(home).start()
    for name, study in studies.items():
        dt.storescu_ok(srv.port, [m['path'] for m in study], aet='DEV_' + name)

    expected = {}
    for name, study in studies.items():
        for m in study:
            expected[(m['sop_instance_uid'], name)] = {
                'WARN': 'delivered-with-warning', 'FULL': 'retrying', 'PERM': 'outbox',
                'TRANS': 'retrying', 'MIXED': 'delivered', 'SOPC': 'delivered'}[name]
    expected[(a900, 'MIXED')] = 'outbox'
    expected[(c000, 'MIXED')] = 'outbox'
    ct_uid = sopc_ct[0]['sop_instance_uid']
    expected[(ct_uid, 'SOPC')] = 'outbox'

    def settled(rows):
        m = {(r['sop_instance_uid'], r['destination']): r['state'] for r in rows}
        return all(m.get(k) == v for k, v in expected.items())
    rows = dt.wait_queue(home, settled, 40)
    led = dt.by_key(rows)
    problems = []
    for k, want in sorted(expected.items(), key=lambda kv: kv[0][1]):
        r = led.get(k)
        if r is None:
            problems.append('%s -> %s: no ledger row' % k)
        elif r['state'] != want:
            problems.append('%s -> %s: state %s, expected %s (status %r, error %r)'
                            % (k[0][-12:], k[1], r['state'], want, r['last_status'],
                               r['last_error']))
    ft.check(not problems, 'ledger states:\n  ' + '\n  '.join(problems) + '\n' +
             dt.describe(rows, 40))
    ft.check(not set(led) - set(expected), 'unexpected ledger rows: %s' % (set(led) - set(expected)))

    # What each row says, as an admin reads it.
    for (uid, name), r in led.items():
        if name == 'WARN':
            ft.check(r['last_status'] == 0xB000, 'WARN: last_status %r, expected 0xB000 (%r)'
                     % (r['last_status'], r))
        if name == 'FULL':
            ft.check(r['last_status'] == 0xA700 and r['next_attempt'],
                     'FULL: a 0xA700 answer must be recorded with a next attempt: %r' % r)
        if name == 'MIXED' and uid in (a900, c000):
            want = 0xA900 if uid == a900 else 0xC000
            ft.check(r['last_status'] == want, 'MIXED: last_status %r, expected 0x%04X: %r'
                     % (r['last_status'], want, r))
            ft.check(r['last_error'] or r['last_status_meaning'],
                     'MIXED: an outbox row without a reason: %r' % r)
        if name == 'SOPC' and uid == ct_uid:
            reason = '%s %s' % (r['last_error'], r['last_status_meaning'])
            ft.check(ft.CT_STORAGE in reason or 'CT Image Storage' in reason,
                     'SOPC: the outbox reason does not name the refused SOP class '
                     '(CT Image Storage, %s): %r' % (ft.CT_STORAGE, r))
        if name in ('PERM', 'TRANS'):
            ft.check(r['last_error'], '%s: association rejection without a reason: %r'
                     % (name, r))
        if name == 'TRANS':
            ft.check(r['next_attempt'], 'TRANS: retrying without a next attempt: %r' % r)

    # The delivered ones are at their peers; nothing went where it was refused.
    got = {name: s.received_uids() for name, s in scps.items()}
    for (uid, name), want in expected.items():
        if want.startswith('delivered'):
            ft.check(uid in got[name], '%s: ledger says %s but the peer has no %s'
                     % (name, want, uid))
    ft.check(ct_uid not in got['SOPC'], 'SOPC received the CT object it refused')
    ft.check(not got['PERM'] and not got['TRANS'], 'a rejecting peer received objects')

    # FULL: the PACS has room again; retry now instead of in an hour.
    scps['FULL'].stop()
    scps['FULL'] = dt.TestScp('FULL', port=scps['FULL'].port).start()
    r = ft.ferry_cmd(home, ['retry', '--all'])
    ft.check(r.returncode == 0, 'ferry-cli retry --all exited %d:\n%s' % (r.returncode, r.stdout))
    full = [m['sop_instance_uid'] for m in studies['FULL']]
    rows = dt.wait_queue(home, dt.all_in(full, 'FULL', 'delivered'), 20)
    ft.check(dt.all_in(full, 'FULL', 'delivered')(rows),
             'FULL not delivered after the peer recovered and retry --all:\n'
             + dt.describe([x for x in rows if x['destination'] == 'FULL'])
             + '\nthe peer said:\n' + '\n'.join(scps['FULL'].lines[-30:]))

    # Everyone healthy; the outbox is sent again.
    for name in ('MIXED', 'SOPC', 'PERM', 'TRANS'):
        scps[name].stop()
        scps[name] = dt.TestScp(name, port=scps[name].port).start()
    r = ft.ferry_cmd(home, ['resend', '--outbox'])
    ft.check(r.returncode == 0, 'ferry-cli resend --outbox exited %d:\n%s'
             % (r.returncode, r.stdout))
    outbox = [k for k, v in expected.items() if v == 'outbox']
    ft.check(('%d deliver' % len(outbox)) in r.stdout,
             'resend --outbox should requeue the %d outbox rows:\n%s' % (len(outbox), r.stdout))
    # TRANS retries hourly: bring it forward too.
    ft.ferry_cmd(home, ['retry', '--to', 'TRANS'])

    def all_delivered(rows):
        m = {(x['sop_instance_uid'], x['destination']): x['state'] for x in rows}
        return all(m.get(k) in dt.DELIVERED for k in expected)
    rows = dt.wait_queue(home, all_delivered, 30)
    led = dt.by_key(rows)
    bad = ['%s -> %s: %s (%r)' % (k[0][-12:], k[1], led.get(k, {}).get('state'),
                                  led.get(k, {}).get('last_error'))
           for k in expected if led.get(k, {}).get('state') not in dt.DELIVERED]
    ft.check(not bad, 'not delivered after the peers recovered and resend --outbox:\n  '
             + '\n  '.join(bad))
    for k in outbox:
        ft.check(k[0] in scps[k[1]].received_uids(), '%s: %s delivered per the ledger after '
                 'resend, not at the peer' % (k[1], k[0]))
    ft.check(srv.alive(), 'serve died:\n' + srv.output())
    srv.stop()


if __name__ == '__main__':
    ft.main(body)
