#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Policy: a wrong called AE title is rejected permanently with the reason; with
accept_unknown_devices=false an unknown calling AE is rejected ("calling AE title not
recognised") while a listed device (bound to 127.0.0.1) is accepted and its images archived."""

import os
import re

import ferrytest as ft

CALLED_RE = re.compile(r'called ae title not recogni[sz]ed', re.I)
CALLING_RE = re.compile(r'calling ae title not recogni[sz]ed', re.I)
PERMANENT_RE = re.compile(r'rejected permanent', re.I)


def expect_rejected(r, reason_re, what):
    ft.check(r.returncode != 0, '%s: expected a rejection, tool exited 0:\n%s' % (what, r.stdout))
    ft.check(reason_re.search(r.stdout) and PERMANENT_RE.search(r.stdout),
             '%s: output does not say "Rejected Permanent" with reason %r:\n%s'
             % (what, reason_re.pattern, r.stdout))


def a_rejection_of(port, called, calling):
    import socket
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    try:
        s.sendall(ft.associate_rq_pdu(called, calling, [(1, ft.VERIFICATION, [ft.IMPLICIT_LE])]))
        head = b''
        while len(head) < 10:
            chunk = s.recv(10 - len(head))
            if not chunk:
                break
            head += chunk
    finally:
        s.close()
    if len(head) < 10 or head[0] != 3:
        return None
    return head[7], head[8], head[9]   # result, source, reason


def body():
    data = ft.mkdtemp(prefix='ferry-data-')

    # 1. Default policy: unknown devices accepted, called AE checked.
    home = ft.FerryHome(config={'version': 1, 'receiver': {'ae_title': 'FERRY_POL',
                                                          'disk_reserve_mb': 0}})
    srv = ft.FerryServer(home).start()
    ft.check(srv.ae == 'FERRY_POL', 'serve announced %r, expected the configured FERRY_POL'
             % srv.ae)

    expect_rejected(ft.echoscu(srv.port, aec='WRONG_AE'), CALLED_RE, 'echoscu -aec WRONG_AE')
    f = os.path.join(data, 'one.dcm')
    uid = ft.simple_ct(f, patient_name='POLICY^ONE', patient_id='PID-POL1')
    r = ft.storescu(srv.port, [f], aec='WRONG_AE')
    expect_rejected(r, CALLED_RE, 'storescu -aec WRONG_AE')
    ft.check(uid not in ft.FerryHome.instance_by_uid(home),
             'an object sent to a wrong called AE title was archived')
    rej = a_rejection_of(srv.port, 'WRONG_AE', 'RAWSCU')
    ft.check(rej == (1, 1, 7), 'A-ASSOCIATE-RJ for a wrong called AE: (result, source, reason) '
             '= %r, expected (1 permanent, 1 service user, 7 called AE not recognised)' % (rej,))

    r = ft.ferry_cmd(home, ['echo', '127.0.0.1', str(srv.port), '--aec', 'WRONG_AE'])
    ft.check(r.returncode == 1 and CALLED_RE.search(r.stdout),
             'ferry-cli echo to a wrong called AE: exit %d (expected 1) and no "called AE title '
             'not recognised" reason:\n%s' % (r.returncode, r.stdout))

    r = ft.echoscu(srv.port, aet='ANYBODY', aec='FERRY_POL')
    ft.check(r.returncode == 0, 'unknown calling AE must be accepted by default:\n' + r.stdout)
    r = ft.storescu(srv.port, [f], aet='ANYBODY', aec='FERRY_POL')
    ft.check(ft.acked_files(r.responses) == [f], 'store with the right called AE failed:\n'
             + r.stdout)
    ft.assert_archived(home, [{'path': f, 'sop_instance_uid': uid, 'patient_id': 'PID-POL1',
                               'patient_name': 'POLICY^ONE'}], calling_ae='ANYBODY')
    srv.stop()

    # 2. Only listed devices.
    home2 = ft.FerryHome(config={
        'version': 1,
        'receiver': {'ae_title': 'FERRY', 'accept_unknown_devices': False, 'disk_reserve_mb': 0},
        'devices': [
            {'name': 'Cart 3', 'ae_title': 'US_CART3', 'host': '127.0.0.1',
             'character_set': 'ISO_IR 100'},
            {'name': 'Cart 4 elsewhere', 'ae_title': 'US_CART4', 'host': '10.9.8.7'},
        ]})
    srv = ft.FerryServer(home2).start()
    expect_rejected(ft.echoscu(srv.port, aet='STRANGER'), CALLING_RE, 'echoscu -aet STRANGER')
    r = ft.storescu(srv.port, [f], aet='STRANGER')
    expect_rejected(r, CALLING_RE, 'storescu -aet STRANGER')
    rej = a_rejection_of(srv.port, 'FERRY', 'STRANGER')
    ft.check(rej == (1, 1, 3), 'A-ASSOCIATE-RJ for an unknown calling AE: %r, expected (1, 1, 3)'
             % (rej,))
    # A listed AE title coming from another host than the one it is bound to.
    expect_rejected(ft.echoscu(srv.port, aet='US_CART4'), CALLING_RE,
                    'echoscu -aet US_CART4 (device bound to 10.9.8.7) from 127.0.0.1')

    r = ft.echoscu(srv.port, aet='US_CART3')
    ft.check(r.returncode == 0, 'listed device US_CART3 rejected:\n' + r.stdout)
    g = os.path.join(data, 'two.dcm')
    uid2 = ft.simple_ct(g, patient_name='POLICY^TWO', patient_id='PID-POL2')
    r = ft.storescu(srv.port, [g], aet='US_CART3')
    ft.check(ft.acked_files(r.responses) == [g], 'store from listed device failed:\n' + r.stdout)
    rows = home2.instance_by_uid()
    ft.check(uid not in rows, 'object from the unknown calling AE was archived')
    ft.assert_archived(home2, [{'path': g, 'sop_instance_uid': uid2, 'patient_id': 'PID-POL2',
                                'patient_name': 'POLICY^TWO'}], calling_ae='US_CART3')
    ft.check(len(rows) == 1, 'expected exactly one archived instance, found %d' % len(rows))
    r = ft.ferry_cmd(home2, ['echo', '127.0.0.1', str(srv.port), '--aet', 'STRANGER',
                             '--aec', 'FERRY'])
    ft.check(r.returncode == 1 and CALLING_RE.search(r.stdout),
             'ferry-cli echo --aet STRANGER: exit %d (expected 1) without the reason "calling AE '
             'title not recognised":\n%s' % (r.returncode, r.stdout))
    r = ft.ferry_cmd(home2, ['echo', '127.0.0.1', str(srv.port), '--aet', 'US_CART3',
                             '--aec', 'FERRY'])
    ft.check(r.returncode == 0, 'ferry-cli echo --aet US_CART3 exited %d:\n%s'
             % (r.returncode, r.stdout))
    ft.check(srv.alive(), 'serve died:\n' + srv.output())
    srv.stop()

    # Nothing listening: exit 1 and say why.
    closed = ft.free_port()
    r = ft.ferry_cmd(home2, ['echo', '127.0.0.1', str(closed)])
    ft.check(r.returncode == 1 and re.search(r'refused', r.stdout, re.I),
             'ferry-cli echo to a closed port: exit %d (expected 1) without saying the '
             'connection was refused:\n%s' % (r.returncode, r.stdout))


if __name__ == '__main__':
    ft.main(body)
