#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile input: a dataset with 20,000 nested sequences is refused with a failure status
(0xA9xx or 0xCxxx) and the server stays up and keeps accepting; a C-STORE whose command and
dataset disagree on the SOP Instance UID is refused and indexes nothing.

How it is sent: storescu cannot send the 20,000-deep file — DCMTK 3.6.7 overflows its own stack
loading it (SIGSEGV with the default 8 MB stack; with an unlimited stack it takes ~35 s of CPU,
quadratic in depth). The 20,000-deep dataset therefore goes over a minimal DICOM upper-layer
client in ferrytest.py (real A-ASSOCIATE/P-DATA PDUs, the status word read back exactly), and
storescu (with an unlimited stack) sends a 3,000-deep one. No DICOM tool here can make the
command's Affected SOP Instance UID differ from the dataset's (storescu and gdcmscu take it from
the dataset), so the mismatch case uses the same raw client."""

import os
import struct
import time
import warnings

import ferrytest as ft

DEPTH = 20000
TOOL_DEPTH = 3000


def is_failure(status):
    return (status & 0xF000) in (0xA000, 0xC000) or status in (0x0110, 0x0111, 0x0117, 0x0122,
                                                                0x0124, 0x0211, 0x0212, 0x0213)


def still_serving(srv, data, n):
    ft.check(srv.alive(), 'serve died (exit %r):\n%s' % (srv.proc.poll(), srv.output()))
    r = ft.echoscu(srv.port)
    ft.check(r.returncode == 0, 'echo after hostile input failed:\n' + r.stdout)
    f = os.path.join(data, 'normal%d.dcm' % n)
    uid = ft.simple_ct(f, patient_name='NORMAL^AFTER', patient_id='PID-NORMAL')
    r = ft.storescu(srv.port, [f], aet='NORMAL')
    ft.check(ft.acked_files(r.responses) == [f], 'a normal store after hostile input failed:\n'
             + r.stdout)
    ft.assert_archived(home_of(srv), [{'path': f, 'sop_instance_uid': uid,
                                       'patient_id': 'PID-NORMAL',
                                       'patient_name': 'NORMAL^AFTER'}], calling_ae='NORMAL')


def home_of(srv):
    return srv.home


def body():
    data = ft.mkdtemp(prefix='ferry-data-')
    home = ft.FerryHome(config={'version': 1, 'receiver': {'disk_reserve_mb': 0}})
    srv = ft.FerryServer(home).start()

    # 1. 20,000 nested sequences over the raw client.
    ds, uid = ft.nested_sequence_dataset(DEPTH)
    a = ft.RawAssociation(srv.port, calling='HOSTILE',
                          contexts=[(1, ft.SC_STORAGE, [ft.EXPLICIT_LE])])
    ft.check(a.accepted.get(1) == ft.EXPLICIT_LE, 'SC/explicit LE not accepted: %r' % a.accepted)
    t0 = time.monotonic()
    try:
        status, rsp = a.store(1, ft.SC_STORAGE, uid, ds)
    except ft.RawAssociationError as e:
        ft.fail('no C-STORE response to the %d-deep dataset (%s); server alive: %s\n%s'
                % (DEPTH, e, srv.alive(), srv.output()))
    comment = rsp.get((0, 0x0902), b'').decode('latin-1').strip('\0 ')
    ft.log('%d nested sequences: status 0x%04X in %.2f s, comment %r'
           % (DEPTH, status, time.monotonic() - t0, comment))
    ft.check((status & 0xFF00) == 0xA900 or (status & 0xF000) == 0xC000,
             'the %d-deep dataset got status 0x%04X, expected 0xA9xx or 0xCxxx'
             % (DEPTH, status))
    a.release()
    ft.check(uid not in home.instance_by_uid(), 'the %d-deep dataset was indexed' % DEPTH)
    still_serving(srv, data, 1)

    # 2. A deep (3,000) dataset sent by storescu itself; whatever Ferry answers, it must not
    # be a crash, and if it was acknowledged it must be archived.
    ds3, uid3 = ft.nested_sequence_dataset(TOOL_DEPTH)
    f3 = os.path.join(data, 'nested%d.dcm' % TOOL_DEPTH)
    with open(f3, 'wb') as f:
        f.write(ft.part10_bytes(ds3, ft.SC_STORAGE, uid3))
    r = ft.run(['prlimit', '--stack=unlimited', 'storescu', '-v', '-aet', 'DEEP', '-aec', 'FERRY',
                '127.0.0.1', str(srv.port), f3], timeout=120)
    resp = ft.parse_storescu(r.stdout)
    ft.log('storescu %d-deep: %r' % (TOOL_DEPTH, resp))
    ft.check(resp and resp[0][1] is not None, 'no C-STORE response for the %d-deep file from '
             'storescu:\n%s\n%s' % (TOOL_DEPTH, r.stdout[-2000:], srv.output()))
    if resp[0][1].startswith('Success'):
        rows = home.instance_by_uid()
        ft.check(uid3 in rows, 'the %d-deep object was acknowledged but not indexed' % TOOL_DEPTH)
    still_serving(srv, data, 2)

    # 3. Command says one SOP Instance UID, the dataset another.
    f = os.path.join(data, 'mismatch.dcm')
    real_uid = ft.simple_ct(f, patient_name='MISMATCH^UID', patient_id='PID-MISMATCH')
    import pydicom
    dsm = pydicom.dcmread(f)
    body_bytes = ft.dataset_bytes(dsm, implicit=False)
    claimed = ft.new_uid()
    a = ft.RawAssociation(srv.port, calling='MISMATCH',
                          contexts=[(1, ft.CT_STORAGE, [ft.EXPLICIT_LE])])
    ft.check(a.accepted.get(1) == ft.EXPLICIT_LE, 'CT/explicit LE not accepted: %r' % a.accepted)
    try:
        status, rsp = a.store(1, ft.CT_STORAGE, claimed, body_bytes)
    except ft.RawAssociationError as e:
        ft.fail('no C-STORE response to the UID mismatch (%s):\n%s' % (e, srv.output()))
    ft.log('UID mismatch: status 0x%04X' % status)
    ft.check(is_failure(status), 'command UID %s with dataset UID %s got status 0x%04X: not a '
             'failure' % (claimed, real_uid, status))
    # The same association still works for a consistent request.
    status2, _ = a.store(1, ft.CT_STORAGE, real_uid, body_bytes, msgid=2)
    ft.check(status2 == 0, 'a consistent C-STORE after the refused one got 0x%04X' % status2)
    a.release()
    rows = home.instance_by_uid()
    ft.check(claimed not in rows, 'the claimed (command) UID was indexed')
    ft.check(len(rows.get(real_uid, [])) == 1, 'the consistent store is not indexed once: %r'
             % rows.get(real_uid))
    ft.assert_archived(home, [{'path': f, 'sop_instance_uid': real_uid,
                               'patient_id': 'PID-MISMATCH', 'patient_name': 'MISMATCH^UID'}],
                       calling_ae='MISMATCH')

    # 4. SOP class mismatch between command and dataset.
    f4 = os.path.join(data, 'classmismatch.dcm')
    uid4 = ft.simple_ct(f4, patient_name='MISMATCH^CLASS', patient_id='PID-MISMATCH2')
    ds4 = ft.dataset_bytes(pydicom.dcmread(f4), implicit=False)
    a = ft.RawAssociation(srv.port, calling='MISMATCH',
                          contexts=[(1, ft.MR_STORAGE, [ft.EXPLICIT_LE])])
    status, _ = a.store(1, ft.MR_STORAGE, uid4, ds4)
    a.release()
    # Not part of the contract: reported, not judged (0xA900 or a B007 warning would be right).
    ft.log('SOP class mismatch (MR command, CT dataset): status 0x%04X' % status)
    if is_failure(status):
        ft.check(uid4 not in home.instance_by_uid(), 'refused object was indexed')

    # 5. A declared element length far past the end of the data.
    f5 = os.path.join(data, 'overlong.dcm')
    uid5 = ft.simple_ct(f5, patient_name='OVERLONG^LENGTH', patient_id='PID-OVERLONG')
    ds5 = ft.dataset_bytes(pydicom.dcmread(f5), implicit=False)
    ds5 += struct.pack('<HH2sHI', 0x0099, 0x0010, b'OB', 0, 0x7FFFFFF0) + b'\1\2'
    a = ft.RawAssociation(srv.port, calling='OVERLONG',
                          contexts=[(1, ft.CT_STORAGE, [ft.EXPLICIT_LE])])
    status, _ = a.store(1, ft.CT_STORAGE, uid5, ds5)
    a.release()
    ft.log('element declaring 2 GB with 2 bytes left: status 0x%04X' % status)
    ft.check(is_failure(status), 'an element declaring 2 GB past the end got 0x%04X' % status)
    ft.check(uid5 not in home.instance_by_uid(), 'the truncated object was indexed')

    # 6. A SOP Instance UID that looks like a path never becomes one.
    evil_dir = ft.mkdtemp(prefix='ferry-evil-')
    evil_uid = '../../../../../../../..' + os.path.join(evil_dir, 'x')
    d6 = pydicom.dcmread(f5)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')    # pydicom rightly finds the UID invalid
        d6.SOPInstanceUID = evil_uid
    a = ft.RawAssociation(srv.port, calling='PATHUID',
                          contexts=[(1, ft.CT_STORAGE, [ft.EXPLICIT_LE])])
    status, _ = a.store(1, ft.CT_STORAGE, evil_uid, ft.dataset_bytes(d6, implicit=False))
    a.release()
    ft.log('path-like SOP Instance UID: status 0x%04X' % status)
    ft.check(not os.listdir(evil_dir), 'a path-like UID wrote outside the archive: %s'
             % os.listdir(evil_dir))
    for row in home.instances():
        fp = row['file_path']
        ft.check('..' not in fp.split('/') and not os.path.isabs(fp) and 'evil' not in fp
                 and row['sop_instance_uid'] not in fp,
                 'archive path %r comes from received data' % fp)

    still_serving(srv, data, 3)
    ft.assert_no_partial_files(home, [x['file_path'] for x in home.instances()])
    srv.stop()


if __name__ == '__main__':
    ft.main(body)
