#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ferry-cli send` against ferry-test-scp:

  1. no Ferry running: `send DIR --to PACS --wait` archives, delivers itself, exits 0; the peer
     holds every object and the ledger says delivered;
  2. the destination is down (1 s retry interval, 1 day window): `send` without --wait returns
     promptly (it does not wait for the window to run out) and the queue shows the objects
     retrying with a connection error;
  3. with `ferry-cli serve` running: `send --wait` adds the files beside it and returns once
     the running Ferry delivered them;
  4. an unknown --to: exit 1, a message naming it, nothing archived;
  5. a non-DICOM file among DICOM ones: a message naming the file, exit 1, the others still
     sent."""

import os
import shutil

import delivertest as dt
import ferrytest as ft


def send(home, args, timeout=60):
    return ft.ferry_cmd(home, ['send'] + args, timeout=timeout)


def body():
    data = ft.mkdtemp(prefix='ferry-data-')
    scp = dt.TestScp('PACS').start()
    down_port = ft.free_port()
    cfg = dt.config(destinations=[dt.destination('PACS', scp.port, 'PACS'),
                                  dt.destination('DOWN', down_port, 'DOWN', interval=1, days=1)])
    home = ft.FerryHome(config=cfg)

    # 1. Nobody owns the data directory: send delivers itself.
    s1 = dt.make_study(os.path.join(data, 's1'), 4, modality='US', patient_id='PID-S1', seed=1)
    r = send(home, [os.path.join(data, 's1'), '--to', 'PACS', '--wait'])
    ft.check(r.returncode == 0, 'send --wait with no Ferry running exited %d:\n%s'
             % (r.returncode, r.stdout))
    got = scp.received_uids()
    missing = [m['sop_instance_uid'] for m in s1 if m['sop_instance_uid'] not in got]
    ft.check(not missing, 'send --wait exited 0 but the peer lacks %d of %d objects:\n%s'
             % (len(missing), len(s1), r.stdout))
    rows = dt.queue(home)
    ft.check(dt.all_in([m['sop_instance_uid'] for m in s1], 'PACS', 'delivered')(rows),
             'ledger after send --wait:\n' + dt.describe(rows))
    ft.assert_archived(home, s1, compare=True)

    # 2. The destination is down: no --wait, so send must come back after the first attempt.
    s2 = dt.make_study(os.path.join(data, 's2'), 3, modality='US', patient_id='PID-S2', seed=2)
    r = send(home, [os.path.join(data, 's2'), '--to', 'DOWN'], timeout=45)
    ft.log('send to a destination that is down exited %d' % r.returncode)
    rows = dt.queue(home, ['--to', 'DOWN'])
    uids2 = [m['sop_instance_uid'] for m in s2]
    ft.check(dt.all_in(uids2, 'DOWN', 'retrying')(rows),
             'after send to a destination that is down, expected retrying:\n%s\nsend said:\n%s'
             % (dt.describe(rows), r.stdout))
    for row in rows:
        ft.check(row['last_error'] and row['next_attempt'],
                 'retrying without an error or next attempt: %r' % row)
    ft.check(r.returncode == 0, 'send without --wait exited %d though nothing failed for good '
             '(the objects are retrying):\n%s' % (r.returncode, r.stdout))

    # 3. A running Ferry owns the directory: send adds beside it; --wait sees its delivery.
    srv = ft.FerryServer(home).start()
    s3 = dt.make_study(os.path.join(data, 's3'), 5, modality='CT', patient_id='PID-S3', seed=3)
    r = send(home, [os.path.join(data, 's3'), '--to', 'PACS', '--wait'], timeout=60)
    ft.check(r.returncode == 0, 'send --wait beside a running Ferry exited %d:\n%s'
             % (r.returncode, r.stdout))
    got = scp.received_uids()
    missing = [m['sop_instance_uid'] for m in s3 if m['sop_instance_uid'] not in got]
    ft.check(not missing, 'send --wait returned but %d of %d objects are not at the peer:\n%s'
             % (len(missing), len(s3), r.stdout))
    ft.assert_archived(home, s3, compare=True)

    # 4. Unknown destination.
    before = len(home.instances())
    r = send(home, [os.path.join(data, 's3'), '--to', 'NOSUCHPACS'])
    ft.check(r.returncode == 1, 'send --to an unknown destination exited %d (expected 1):\n%s'
             % (r.returncode, r.stdout))
    ft.check('NOSUCHPACS' in r.stdout, 'the message does not name the unknown destination:\n%s'
             % r.stdout)
    ft.check(len(home.instances()) == before, 'send to an unknown destination archived objects')

    # 5. A non-DICOM file among DICOM files.
    mixed = os.path.join(data, 's5')
    s5 = dt.make_study(mixed, 3, modality='US', patient_id='PID-S5', seed=5)
    junk = os.path.join(mixed, 'notes-not-dicom.txt')
    with open(junk, 'w') as f:
        f.write('this is not a DICOM file\n' * 50)
    r = send(home, [mixed, '--to', 'PACS', '--wait'], timeout=60)
    ft.check(r.returncode == 1, 'send with a non-DICOM file exited %d (expected 1):\n%s'
             % (r.returncode, r.stdout))
    ft.check('notes-not-dicom.txt' in r.stdout, 'the message does not name the non-DICOM file:\n%s'
             % r.stdout)
    got = scp.received_uids()
    missing = [m['sop_instance_uid'] for m in s5 if m['sop_instance_uid'] not in got]
    ft.check(not missing, 'the DICOM files beside the bad one were not sent (%d of %d missing):'
             '\n%s' % (len(missing), len(s5), r.stdout))

    ft.check(srv.alive(), 'serve died:\n' + srv.output())
    srv.stop()
    shutil.rmtree(mixed, ignore_errors=True)


if __name__ == '__main__':
    ft.main(body)
