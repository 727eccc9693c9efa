#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crash safety: `kill -9` of `ferry-cli serve` at random moments while storescu sends 500 small
CT images, restarted each time, for ROUNDS rounds. Every image storescu saw acknowledged
("Sending file: PATH" followed by "Received Store Response (Success)") must be in the database
and its archive file present with the sha256 of its row, element-identical to what was sent;
PRAGMA integrity_check is ok after every restart and archive/.spool holds no orphan."""

import os
import random
import time

import ferrytest as ft

IMAGES = 500
ROUNDS = int(os.environ.get('FERRY_CRASH_ROUNDS', '40'))
SEED = int(os.environ.get('FERRY_CRASH_SEED', str(int(time.time()))))


def body():
    rnd = random.Random(SEED)
    ft.log('seed %d (set FERRY_CRASH_SEED to replay), %d rounds' % (SEED, ROUNDS))
    data = ft.mkdtemp(prefix='ferry-data-')
    files = ft.ct_series(os.path.join(data, 'ct'), IMAGES, prefix='c',
                         patient_name='CRASH^TEST', patient_id='PID-CRASH')
    uid_of = dict(files)
    paths = [p for p, _ in files]
    home = ft.FerryHome(config={'version': 1, 'receiver': {'disk_reserve_mb': 0}})

    acked = set()
    kills_mid_store = 0
    for rnd_no in range(ROUNDS):
        if rnd_no % 5 == 4:
            # Now and then a kill during start-up itself (database open, spool sweep).
            early = ft.FerryServer(home).start(wait=False)
            time.sleep(rnd.uniform(0.0, 0.08))
            early.kill9()
        srv = ft.FerryServer(home).start()
        # After every (re)start: consistent database, no orphan in the spool.
        if rnd_no > 0:
            ic = home.integrity_check()
            ft.check(ic == ['ok'], 'round %d: PRAGMA integrity_check after restart: %s'
                     % (rnd_no, ic))
            orphans = ft.wait_for(lambda: not home.spool_files(), 3) or home.spool_files()
            ft.check(orphans is True, 'round %d: orphans in archive/.spool after restart: %s'
                     % (rnd_no, home.spool_files()))
        # Send what is not acknowledged yet first, then the acked ones again (identical
        # objects), so that every kill lands in the middle of a stream of stores.
        todo = [p for p in paths if p not in acked]
        again = [p for p in paths if p in acked]
        rnd.shuffle(again)
        batch = todo + again
        out = os.path.join(data, 'round%02d.log' % rnd_no)
        p = ft.storescu_popen(srv.port, batch, aet='CRASHER', extra=['-pdu', '131072'],
                              out_path=out)
        delay = rnd.uniform(0.0, 1.2)
        time.sleep(delay)
        was_alive = srv.alive()
        srv.kill9()
        try:
            p.wait(timeout=60)
        except Exception:
            p.kill()
            p.wait()
        p.out_file.close()
        text = open(out, encoding='utf-8', errors='replace').read()
        responses = ft.parse_storescu(text)
        new = ft.acked_files(responses)
        if responses and responses[-1][1] is None:
            kills_mid_store += 1
        acked.update(new)
        ft.log('round %2d: killed after %.2f s (alive %s), %3d acked this round, %3d total'
               % (rnd_no, delay, was_alive, len(new), len(acked)))
        ft.check(was_alive, 'round %d: serve had died before the kill:\n%s'
                 % (rnd_no, srv.output()))

    srv = ft.FerryServer(home).start()
    ic = home.integrity_check()
    ft.check(ic == ['ok'], 'final PRAGMA integrity_check: %s' % ic)
    ft.wait_for(lambda: not home.spool_files(), 3)
    ft.check(not home.spool_files(), 'orphans in archive/.spool after the final restart: %s'
             % home.spool_files())
    ft.check(len(acked) > 0, 'nothing was ever acknowledged in %d rounds' % ROUNDS)
    ft.log('%d of %d images acknowledged over %d kills (%d kills with a store in flight)'
           % (len(acked), IMAGES, ROUNDS, kills_mid_store))

    rows = home.instance_by_uid()
    lost = [os.path.basename(p) for p in acked if uid_of[p] not in rows]
    ft.check(not lost, 'LOST: %d acknowledged images not in the database after kill -9: %s'
             % (len(lost), lost[:20]))
    problems = []
    for pth in sorted(acked):
        for r in rows[uid_of[pth]]:
            full = os.path.join(home.archive, r['file_path'])
            if not os.path.isfile(full):
                problems.append('%s: archive file %s missing' % (os.path.basename(pth), full))
            elif ft.sha256_file(full) != r['sha256']:
                problems.append('%s: sha256 of %s does not match its row'
                                % (os.path.basename(pth), r['file_path']))
            elif r['size'] != os.path.getsize(full):
                problems.append('%s: size mismatch' % os.path.basename(pth))
    ft.check(not problems, 'acknowledged images damaged:\n  ' + '\n  '.join(problems[:20]))
    dup = {u: len(v) for u, v in rows.items() if len(v) > 1}
    if dup:
        ft.log('note: %d SOP Instance UIDs have more than one row (resent identical objects)'
               % len(dup))
    # Every row's file is whole, and nothing else lies in the archive.
    ft.assert_no_partial_files(home, [x['file_path'] for x in home.instances()])
    # Element-by-element comparison of a sample of acknowledged images.
    sample = rnd.sample(sorted(acked), min(25, len(acked)))
    ft.assert_archived(home, [{'path': p, 'sop_instance_uid': uid_of[p], 'patient_id': 'PID-CRASH',
                               'patient_name': 'CRASH^TEST'} for p in sample], compare=True,
                       allow_duplicates=True)
    srv.stop()


if __name__ == '__main__':
    ft.main(body)
