#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Network trouble between Ferry and its PACS (Orthanc, in a private network namespace); the
destination retries every second, receiver.timeout_seconds is 5.

  A. The PACS is down at first: the deliveries are retrying, the error says the connection was
     refused; once Orthanc starts they are all delivered within a few retry intervals.
  B. Orthanc is SIGSTOPped in the middle of forwarding a 200-object study: the silent
     association is dropped within the timeout (the ledger shows retrying with a timeout error
     within 15 s, with a readable error); after SIGCONT all end delivered. The study waits in
     the ledger first (the destination points at a closed port until config.json is changed
     back), so the stalled association carries objects not yet sent.
  C. Orthanc is SIGKILLed in the middle of forwarding another 200-object study and restarted on
     the same storage and ports: all delivered, none missing in Orthanc. (Whether an object was
     on the wire at the kill is timing: the uncertain counts are logged, not asserted here;
     test_deliver_crash checks that every duplicate a peer received is counted.)
"""

import os
import re
import time

import delivertest as dt
import ferrytest as ft
import orthanc

TIMEOUT = 5
BIG = 200


def count(pacs):
    return pacs.statistics()['CountInstances']


def wait_mid_transfer(pacs, base, want, label, timeout=30):
    """Waits until pacs holds at least base + want instances (but not all); returns the count."""
    deadline = time.monotonic() + timeout
    n = count(pacs)
    while n < base + want and time.monotonic() < deadline:
        time.sleep(0.02)
        n = count(pacs)
    ft.check(n >= base + want, '%s: the PACS received only %d of %d objects in %ds'
             % (label, n - base, BIG, timeout))
    ft.check(n < base + BIG, '%s: the whole study arrived before the PACS could be stopped '
             'in the middle (the test cannot interrupt the transfer)' % label)
    return n


def body():
    pacs = orthanc.Orthanc(aet='PACS')
    data = ft.mkdtemp(prefix='ferry-data-')
    small = dt.make_study(os.path.join(data, 'a'), 5, modality='US', patient_id='PID-A', seed=1)
    cfg = dt.config(destinations=[dt.destination('PACS', pacs.dicom_port, 'PACS', default=True,
                                                 interval=1, days=1)], timeout=TIMEOUT)
    home = ft.FerryHome(config=cfg)
    srv = ft.FerryServer(home).start()

    # A. Down at first.
    dt.storescu_ok(srv.port, [m['path'] for m in small], aet='CART1')
    uids_a = [m['sop_instance_uid'] for m in small]
    rows = dt.wait_queue(home, dt.all_in(uids_a, 'PACS', 'retrying'), 20)
    ft.check(dt.all_in(uids_a, 'PACS', 'retrying')(rows),
             'A: with the PACS down, expected retrying:\n' + dt.describe(rows))
    for r in rows:
        ft.check(re.search(r'refused', r['last_error'] or '', re.I),
                 'A: the error should say the connection was refused: %r' % r['last_error'])
        ft.check(r['next_attempt'], 'A: retrying without a next attempt: %r' % r)
    t0 = time.monotonic()
    pacs.start()
    rows = dt.wait_queue(home, dt.all_in(uids_a, 'PACS', 'delivered'), 15)
    ft.check(dt.all_in(uids_a, 'PACS', 'delivered')(rows),
             'A: not delivered within 15 s of the PACS starting (retry interval 1 s):\n'
             + dt.describe(rows))
    ft.log('A: delivered %.1f s after the PACS started' % (time.monotonic() - t0))
    ft.check(set(uids_a) <= set(pacs.instances()), 'A: delivered per the ledger, not in Orthanc')

    # B. SIGSTOP in the middle of a study. The study is received while the destination points
    # at a closed port, so that the whole study waits in the ledger; then config.json points it
    # at Orthanc again (serve reloads it) and Ferry forwards the 200 objects in one go.
    big_b = dt.make_study(os.path.join(data, 'b'), BIG, modality='CT', patient_id='PID-B',
                          rows=16, cols=16, seed=2)
    uids_b = [m['sop_instance_uid'] for m in big_b]
    closed = ft.free_port()
    cfg['destinations'][0]['port'] = closed
    home.write_config(cfg)
    time.sleep(1.5)
    base = count(pacs)
    dt.storescu_ok(srv.port, [m['path'] for m in big_b], aet='CART1')
    rows = dt.wait_queue(home, dt.all_in(uids_b, 'PACS', 'retrying'), 20)
    ft.check(dt.all_in(uids_b, 'PACS', 'retrying')(rows),
             'B: with the destination on a closed port, expected retrying:\n' + dt.describe(rows))
    ft.check(count(pacs) == base, 'B: objects reached the PACS through the old configuration')
    cfg['destinations'][0]['port'] = pacs.dicom_port
    home.write_config(cfg)
    n = wait_mid_transfer(pacs, base, 20, 'B')
    pacs.sigstop()
    stopped_at = time.monotonic()
    ft.log('B: SIGSTOP after %d objects' % (n - base))

    def timed_out(rows):
        return any(r['state'] == 'retrying' and r['last_error'] and
                   'refused' not in r['last_error'] and
                   r['sop_instance_uid'] in set(uids_b) for r in rows)
    rows = dt.wait_queue(home, timed_out, 15)
    waited = time.monotonic() - stopped_at
    errs = sorted({r['last_error'] for r in rows if r['sop_instance_uid'] in set(uids_b)
                   and r['state'] == 'retrying' and r['last_error']
                   and 'refused' not in r['last_error']})
    ft.check(timed_out(rows), 'B: %.0f s after the PACS went silent the ledger shows no '
             'retrying delivery with an error (timeout %d s):\n%s'
             % (waited, TIMEOUT, dt.describe([r for r in rows
                                               if r['sop_instance_uid'] in set(uids_b)])))
    ft.log('B: dropped after %.1f s: %s' % (waited, errs[:3]))
    # Every recorded error is readable text (an admin reads it in the queue).
    garbled = [r for r in rows if r['last_error'] and
               (u'\ufffd' in r['last_error'] or not r['last_error'].isprintable())]
    ft.check(not garbled, 'B: %d ledger rows carry an unreadable last_error (garbage bytes, '
             'not a message): %s' % (len(garbled), dt.describe(garbled, 5)))
    ft.check(any(re.search(r'time|silen|did not answer', e, re.I) for e in errs),
             'B: the error does not say the PACS timed out / went silent: %s' % errs)
    pacs.sigcont()
    rows = dt.wait_queue(home, dt.all_in(uids_b, 'PACS', 'delivered'), 40)
    ft.check(dt.all_in(uids_b, 'PACS', 'delivered')(rows),
             'B: not all delivered after SIGCONT:\n' + dt.describe(
                 [r for r in rows if r['state'] != 'delivered']))
    held = pacs.instances()
    missing = [u for u in uids_b if u not in held]
    ft.check(not missing, 'B: delivered per the ledger, %d missing in Orthanc' % len(missing))
    unc_b = sum(r['uncertain'] for r in rows if r['sop_instance_uid'] in set(uids_b))

    # C. SIGKILL in the middle of a study; restart on the same storage and ports.
    big_c = dt.make_study(os.path.join(data, 'c'), BIG, modality='CT', patient_id='PID-C',
                          rows=16, cols=16, seed=3)
    uids_c = [m['sop_instance_uid'] for m in big_c]
    cfg['destinations'][0]['port'] = closed
    home.write_config(cfg)
    time.sleep(1.5)
    base = count(pacs)
    dt.storescu_ok(srv.port, [m['path'] for m in big_c], aet='CART1')
    dt.wait_queue(home, dt.all_in(uids_c, 'PACS', 'retrying'), 20)
    cfg['destinations'][0]['port'] = pacs.dicom_port
    home.write_config(cfg)
    n = wait_mid_transfer(pacs, base, 30, 'C')
    pacs.kill9()
    ft.log('C: SIGKILL after %d objects' % (n - base))
    time.sleep(2)
    pacs.start()
    rows = dt.wait_queue(home, dt.all_in(uids_c, 'PACS', 'delivered'), 40)
    ft.check(dt.all_in(uids_c, 'PACS', 'delivered')(rows),
             'C: not all delivered after Orthanc restarted:\n' + dt.describe(
                 [r for r in rows if r['state'] != 'delivered']))
    held = pacs.instances()
    everything = uids_a + uids_b + uids_c
    missing = [u for u in everything if u not in held]
    ft.check(not missing, 'C: %d instances delivered per the ledger are missing in Orthanc '
             '(e.g. %s)' % (len(missing), missing[:3]))
    unc_c = sum(r['uncertain'] for r in rows if r['sop_instance_uid'] in set(uids_c))
    ft.log('uncertain: %d in study B (stalled), %d in study C (killed)' % (unc_b, unc_c))
    ft.check(srv.alive(), 'serve died:\n' + srv.output())
    srv.stop()
    pacs.stop()


if __name__ == '__main__':
    orthanc.enter_netns()
    ft.main(body)
