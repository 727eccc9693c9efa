#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Device profiles: the attribute a device's profile names is where the study's physician comes
from — Operator's Name for CART_OP, nothing for CART_NONE, and Performing Physician's Name for a
device Ferry does not know (the default)."""

import json
import os

import pydicom

import ferrytest as ft


def make(path, number, study_uid):
    ft.simple_ct(path, patient_name='PHYS^TEST', patient_id='PID-PHYS', study_uid=study_uid,
                 number=number)
    ds = pydicom.dcmread(path)
    ds.PerformingPhysicianName = 'PERFORMING^PAT'
    ds.OperatorsName = 'OPERATOR^OLGA'
    ds.ReferringPhysicianName = 'REFERRING^RITA'
    ds.save_as(path, write_like_original=True)
    return ds.StudyInstanceUID


def body():
    data = ft.mkdtemp(prefix='ferry-data-')
    home = ft.FerryHome(config={
        'version': 2, 'receiver': {'disk_reserve_mb': 0},
        'devices': [{'name': 'Operator cart', 'ae_title': 'CART_OP', 'physician_tag': 'operator'},
                    {'name': 'Quiet cart', 'ae_title': 'CART_NONE', 'physician_tag': 'none'}]})
    srv = ft.FerryServer(home).start()

    studies = {}
    for aet in ('CART_OP', 'CART_NONE', 'UNKNOWN'):
        f = os.path.join(data, aet + '.dcm')
        studies[aet] = make(f, 1, ft.new_uid())
        r = ft.storescu(srv.port, [f], aet=aet)
        ft.check(r.returncode == 0, 'storescu from %s failed:\n%s' % (aet, r.stdout))

    srv.stop()
    r = ft.run([ft.ferry_cli(), 'studies', '--json'], env=home.env(), check_rc=0)
    by_uid = {s['study_instance_uid']: s for s in json.loads(r.stdout)}
    expected = {'CART_OP': 'OPERATOR^OLGA', 'CART_NONE': None, 'UNKNOWN': 'PERFORMING^PAT'}
    for aet, want in expected.items():
        got = by_uid[studies[aet]].get('physician')
        ft.check((got or None) == want,
                 'study from %s: physician %r, expected %r' % (aet, got, want))


if __name__ == '__main__':
    ft.main(body)
