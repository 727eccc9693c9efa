#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Delivery end to end: storescu -> ferry-cli serve -> two Orthancs ("PACS A", "PACS B") in a
private network namespace. Device CART1 goes to PACS A; a rule sends CT (from anyone) to PACS B
as well, copying AccessionNumber into PatientID on the way. Asserts what a PACS admin checks:
every US instance in A only, every CT in A and B; every element and the pixel data bytes in A
equal the source; in B only PatientID differs (it is the accession number); Ferry's own archive
copy is untouched; the ledger says delivered, status 0x0000, for exactly the routed pairs."""

import os

import delivertest as dt
import ferrytest as ft
import orthanc

N_US = 5
N_CT = 6


def body():
    a = orthanc.Orthanc(aet='PACSA').start()
    b = orthanc.Orthanc(aet='PACSB').start()
    ft.log('Orthanc A on %d (http %d), B on %d (http %d)'
           % (a.dicom_port, a.http_port, b.dicom_port, b.http_port))

    data = ft.mkdtemp(prefix='ferry-data-')
    us = dt.make_study(os.path.join(data, 'us'), N_US, modality='US', patient_name='SONO^ANA',
                       patient_id='PID-US-1', accession='ACC-US-1', seed=3)
    ct = dt.make_study(os.path.join(data, 'ct'), N_CT, modality='CT', patient_name='TOMO^BEA',
                       patient_id='PID-CT-2', accession='ACC-CT-2', seed=4)

    cfg = dt.config(
        destinations=[dt.destination('PACS_A', a.dicom_port, 'PACSA'),
                      dt.destination('PACS_B', b.dicom_port, 'PACSB')],
        devices=[{'name': 'Cart 1', 'ae_title': 'CART1', 'destinations': ['PACS_A']}],
        rules=[{'name': 'CT also to B', 'enabled': True,
                'conditions': [{'tag': 'Modality', 'match': 'equals', 'value': 'CT'}],
                'destinations': ['PACS_B'],
                'coercions': [{'action': 'copy', 'tag': 'PatientID',
                               'value': 'AccessionNumber'}]}])
    home = ft.FerryHome(config=cfg)
    srv = ft.FerryServer(home).start()

    dt.storescu_ok(srv.port, [m['path'] for m in us], aet='CART1')
    dt.storescu_ok(srv.port, [m['path'] for m in ct], aet='CART1')

    want = {(m['sop_instance_uid'], 'PACS_A') for m in us + ct}
    want |= {(m['sop_instance_uid'], 'PACS_B') for m in ct}

    def done(rows):
        got = {(r['sop_instance_uid'], r['destination']): r['state'] for r in rows}
        return all(got.get(k) in dt.FINAL for k in want)
    rows = dt.wait_queue(home, done, 40)
    led = dt.by_key(rows)
    problems = []
    for k in sorted(want):
        r = led.get(k)
        if r is None:
            problems.append('%s -> %s: no ledger row' % k)
        elif r['state'] != 'delivered' or r['last_status'] != 0:
            problems.append('%s -> %s: state %s, last_status %r, error %r'
                            % (k + (r['state'], r['last_status'], r['last_error'])))
    extra = sorted(set(led) - want)
    if extra:
        problems.append('rows nobody routed: %s' % ['%s -> %s' % (led[k]['sop_instance_uid'][-10:],
                                                                   k[1]) for k in extra])
    ft.check(not problems, 'ledger after delivery:\n  ' + '\n  '.join(problems) +
             '\n' + dt.describe(rows))
    ft.check(srv.alive(), 'serve died:\n' + srv.output())

    # What each PACS holds.
    in_a = a.instances()
    in_b = b.instances()
    us_uids = {m['sop_instance_uid'] for m in us}
    ct_uids = {m['sop_instance_uid'] for m in ct}
    ft.check(set(in_a) == us_uids | ct_uids,
             'PACS A holds %d instances; missing %d, unexpected %d'
             % (len(in_a), len((us_uids | ct_uids) - set(in_a)),
                len(set(in_a) - (us_uids | ct_uids))))
    ft.check(set(in_b) == ct_uids, 'PACS B should hold the %d CT instances only; it holds %d '
             '(US among them: %d, CT missing: %d)' % (len(ct_uids), len(in_b),
                                                     len(set(in_b) & us_uids),
                                                     len(ct_uids - set(in_b))))

    # Element by element, pixel bytes included.
    dl = ft.mkdtemp(prefix='orthanc-dl-')
    problems = []
    for m in us + ct:
        got = a.download(in_a[m['sop_instance_uid']],
                         os.path.join(dl, 'A-' + os.path.basename(m['path'])))
        d = ft.compare_files(m['path'], got)
        if d:
            problems.append('A %s: %s' % (os.path.basename(m['path']), '; '.join(d[:5])))
    import pydicom
    import pydicom.tag
    for m in ct:
        got = b.download(in_b[m['sop_instance_uid']],
                         os.path.join(dl, 'B-' + os.path.basename(m['path'])))
        d = ft.compare_files(m['path'], got)
        pid_tag = str(pydicom.tag.Tag(0x00100020))
        pid_diff = [x for x in d if x.startswith(pid_tag)]
        others = [x for x in d if not x.startswith(pid_tag)]
        if others:
            problems.append('B %s: %s' % (os.path.basename(m['path']), '; '.join(others[:5])))
        pid = str(pydicom.dcmread(got, stop_before_pixels=True).get('PatientID', ''))
        if pid != m['accession'] or not pid_diff:
            problems.append('B %s: PatientID %r, expected the accession number %r'
                            % (os.path.basename(m['path']), pid, m['accession']))
        tags = b.tags(in_b[m['sop_instance_uid']])
        if tags.get('PatientID') != m['accession']:
            problems.append('B %s: Orthanc indexes PatientID %r, expected %r'
                            % (os.path.basename(m['path']), tags.get('PatientID'),
                               m['accession']))
    ft.check(not problems, 'what the PACS received differs from the source:\n  ' +
             '\n  '.join(problems[:20]))

    # The coercion is for PACS B only: Ferry's archive holds the original, element by element.
    ft.assert_archived(home, us + ct, calling_ae='CART1', compare=True)
    studies = {s['study_instance_uid']: s for s in ft.studies_json(home)}
    ct_study = studies.get(ct[0]['study_instance_uid'])
    ft.check(ct_study is not None and ct_study.get('patient_id') == 'PID-CT-2',
             'Ferry lists the CT study with %r after the coercion for PACS B'
             % (ct_study,))
    srv.stop()
    a.stop()
    b.stop()


if __name__ == '__main__':
    orthanc.enter_netns()
    ft.main(body)
