#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Concurrency: four storescu senders at once all succeed and every object is archived; a peer
that opens a TCP connection and says nothing, and one that sends half an A-ASSOCIATE-RQ, do
not stop another storescu from finishing within a few seconds, and are dropped by the server."""

import os
import socket
import time

import ferrytest as ft

SENDERS = 4
PER_SENDER = 40
QUICK_STORE_LIMIT = 2.0     # seconds for a 5-image storescu (0.1 s unhindered) beside silent peers
SILENT_DROP_LIMIT = 20.0    # the first PDU must arrive "within a few seconds" (DESIGN.md)
MANY_SILENT = 6


def closed_by_peer(sock):
    """True when the server closed (or reset) the connection; False while it is still open."""
    sock.setblocking(False)
    try:
        data = sock.recv(4096)
        # An A-ABORT or A-ASSOCIATE-RJ followed by a close also counts as being dropped.
        return data == b'' or data[:1] in (b'\x03', b'\x07')
    except BlockingIOError:
        return False
    except OSError:
        return True


def body():
    data = ft.mkdtemp(prefix='ferry-data-')
    home = ft.FerryHome(config={'version': 1, 'receiver': {'disk_reserve_mb': 0,
                                                          'max_associations': 8}})
    srv = ft.FerryServer(home).start()

    sets = [ft.ct_series(os.path.join(data, 's%d' % i), PER_SENDER, prefix='s%d_' % i,
                         patient_name='CONCURRENT^%d' % i, patient_id='PID-CC%d' % i)
            for i in range(SENDERS)]
    procs = []
    t0 = time.monotonic()
    for i, s in enumerate(sets):
        procs.append(ft.storescu_popen(srv.port, [p for p, _ in s], aet='SENDER%d' % i,
                                       extra=['-pdu', '131072'],
                                       out_path=os.path.join(data, 'storescu%d.log' % i)))
    for p in procs:
        try:
            p.wait(timeout=120)
        except Exception:
            ft.fail('storescu %d did not finish within 120 s' % procs.index(p))
        p.out_file.close()
    ft.log('four senders took %.2f s' % (time.monotonic() - t0))
    for i, (p, s) in enumerate(zip(procs, sets)):
        text = open(p.out_path, encoding='utf-8', errors='replace').read()
        acked = set(ft.acked_files(ft.parse_storescu(text)))
        missing = [os.path.basename(f) for f, _ in s if f not in acked]
        ft.check(p.returncode == 0 and not missing,
                 'sender %d exited %d, not acknowledged: %s\n%s'
                 % (i, p.returncode, missing[:10], text[-2000:]))
    for i, s in enumerate(sets):
        manifest = [{'path': f, 'sop_instance_uid': u, 'patient_id': 'PID-CC%d' % i,
                     'patient_name': 'CONCURRENT^%d' % i} for f, u in s]
        # Full element comparison on a sample; presence, sha256 and patient on all.
        ft.assert_archived(home, manifest[:5], calling_ae='SENDER%d' % i, compare=True)
        ft.assert_archived(home, manifest, calling_ae='SENDER%d' % i, compare=False)
    ft.check(len(home.instances()) == SENDERS * PER_SENDER,
             'expected %d instance rows, found %d' % (SENDERS * PER_SENDER,
                                                       len(home.instances())))

    # Silent peers.
    silent = socket.create_connection(('127.0.0.1', srv.port), timeout=5)
    partial = socket.create_connection(('127.0.0.1', srv.port), timeout=5)
    rq = ft.associate_rq_pdu('FERRY', 'HALFWAY', [(1, ft.VERIFICATION, [ft.IMPLICIT_LE])])
    partial.sendall(rq[:20])       # header says more is coming; it never does
    t_silent = time.monotonic()
    time.sleep(0.3)

    quick = ft.ct_series(os.path.join(data, 'quick'), 5, prefix='q',
                         patient_name='QUICK^STORE', patient_id='PID-QUICK')
    t0 = time.monotonic()
    r = ft.storescu(srv.port, [p for p, _ in quick], aet='QUICK', timeout=60)
    took = time.monotonic() - t0
    ft.check(len(ft.acked_files(r.responses)) == 5,
             'storescu beside two silent peers did not get 5 Success responses (%.1f s):\n%s'
             % (took, r.stdout[-2000:]))
    ft.check(took <= QUICK_STORE_LIMIT,
             'storescu beside two silent peers took %.1f s (limit %.1f s): a silent peer '
             'holds the receiver' % (took, QUICK_STORE_LIMIT))
    ft.log('storescu beside silent peers took %.2f s' % took)
    ft.assert_archived(home, [{'path': p, 'sop_instance_uid': u, 'patient_id': 'PID-QUICK',
                               'patient_name': 'QUICK^STORE'} for p, u in quick],
                       calling_ae='QUICK')

    # The server must drop both silent peers itself.
    dropped = {}
    deadline = t_silent + SILENT_DROP_LIMIT
    while time.monotonic() < deadline and len(dropped) < 2:
        for name, s in (('tcp-only', silent), ('partial-rq', partial)):
            if name not in dropped and closed_by_peer(s):
                dropped[name] = time.monotonic() - t_silent
        time.sleep(0.2)
    ft.check(len(dropped) == 2, 'the server did not close silent connections within %.0f s '
             '(closed: %r)' % (SILENT_DROP_LIMIT, dropped))
    ft.log('silent peers dropped after', {k: round(v, 1) for k, v in dropped.items()})
    silent.close()
    partial.close()

    # One peer that opens more silent connections than Ferry has threads reading association
    # requests (4) but fewer than max_associations (8) must not hold the receiver either
    # (RELIABILITY.md 5: "one silent peer cannot hold the receiver").
    many = [socket.create_connection(('127.0.0.1', srv.port), timeout=5)
            for _ in range(MANY_SILENT)]
    time.sleep(0.3)
    more = ft.ct_series(os.path.join(data, 'more'), 5, prefix='m',
                        patient_name='QUICK^STORE', patient_id='PID-QUICK')
    t0 = time.monotonic()
    r = ft.storescu(srv.port, [p for p, _ in more], aet='QUICK', timeout=60)
    took = time.monotonic() - t0
    for s in many:
        s.close()
    ft.log('storescu beside %d silent connections took %.2f s' % (MANY_SILENT, took))
    ft.check(len(ft.acked_files(r.responses)) == 5,
             'storescu beside %d silent connections failed:\n%s' % (MANY_SILENT,
                                                                    r.stdout[-2000:]))
    ft.check(took <= QUICK_STORE_LIMIT,
             'storescu beside %d silent TCP connections from one peer took %.1f s (limit %.1f s):'
             ' a handful of idle connections holds the receiver for the first-PDU timeout, and '
             'repeating them every few seconds keeps every modality out' % (MANY_SILENT, took,
                                                                           QUICK_STORE_LIMIT))

    ft.check(srv.alive(), 'serve died:\n' + srv.output())
    r = ft.echoscu(srv.port)
    ft.check(r.returncode == 0, 'echo after the silent peers failed:\n' + r.stdout)
    ft.assert_no_partial_files(home, [x['file_path'] for x in home.instances()])
    srv.stop()


if __name__ == '__main__':
    ft.main(body)
