#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decompression on the way out, against Orthanc in a private network namespace.

ONLY_RAW is an Orthanc that accepts nothing but implicit and explicit VR little endian: a JPEG
baseline object received by Ferry must reach it decompressed, its PixelData byte-identical to
what dcmdjpeg makes of the same file, and every other element equal to the source's.
DECOMP is an Orthanc that accepts everything, behind a destination with "decompress": true: it
too must get the object uncompressed. Ferry's own archive keeps the JPEG as it came."""

import os

import delivertest as dt
import ferrytest as ft
import orthanc


def check_uncompressed(pacs, label, obj, dl):
    import pydicom
    inst = pacs.instances()
    uid = obj['sop_instance_uid']
    ft.check(uid in inst, '%s: Orthanc does not have the object (%d instances)'
             % (label, len(inst)))
    got = pacs.download(inst[uid], os.path.join(dl, label + '.dcm'))
    ds = pydicom.dcmread(got)
    ts = str(ds.file_meta.TransferSyntaxUID)
    ft.check(ts in orthanc.UNCOMPRESSED, '%s: received in transfer syntax %s, expected '
             'uncompressed' % (label, ts))
    ref = pydicom.dcmread(obj['decompressed'])
    ft.check('PixelData' in ds, '%s: no PixelData' % label)
    a, b = bytes(ref.PixelData), bytes(ds.PixelData)
    ft.check(a == b, '%s: PixelData differs from dcmdjpeg output: %d vs %d bytes, first '
             'difference at %s' % (label, len(a), len(b),
                                   next((i for i, (x, y) in enumerate(zip(a, b)) if x != y),
                                        min(len(a), len(b)))))
    # Everything else as in dcmdjpeg's output (the attributes a decompression may change are
    # the same ones dcmdjpeg changes).
    diffs = [d for d in ft.compare_datasets(ref, ds) if not d.startswith('(7fe0, 0010)')]
    ft.check(not diffs, '%s: elements differ from the dcmdjpeg output:\n  %s'
             % (label, '\n  '.join(diffs[:10])))


def body():
    only_raw = orthanc.Orthanc(aet='ONLYRAW', accepted_ts=orthanc.UNCOMPRESSED).start()
    normal = orthanc.Orthanc(aet='DECOMP').start()
    data = ft.mkdtemp(prefix='ferry-data-')
    obj = dt.make_jpeg(os.path.join(data, 'jpeg'))

    cfg = dt.config(destinations=[
        dt.destination('ONLY_RAW', only_raw.dicom_port, 'ONLYRAW', default=True),
        dt.destination('DECOMP', normal.dicom_port, 'DECOMP', default=True, decompress=True)])
    home = ft.FerryHome(config=cfg)
    srv = ft.FerryServer(home).start()
    # -xy: the JPEG goes over the wire as itself, so Ferry archives it compressed.
    r = ft.storescu(srv.port, [obj['path']], aet='ECHOCART', extra=['-xy'])
    st = dict(r.responses)
    ft.check((st.get(obj['path']) or '').startswith('Success'),
             'storescu -xy of the JPEG object into Ferry failed:\n' + r.stdout[-2000:])
    ft.assert_archived(home, [dict(obj, transfer_syntax=ft.JPEG_BASELINE)], compare=True)

    uid = obj['sop_instance_uid']
    rows = dt.wait_queue(home, lambda rs: dt.all_in([uid], 'ONLY_RAW', dt.FINAL)(rs) and
                         dt.all_in([uid], 'DECOMP', dt.FINAL)(rs), 30)
    led = dt.by_key(rows)
    for dest in ('ONLY_RAW', 'DECOMP'):
        r = led.get((uid, dest))
        ft.check(r is not None and r['state'] == 'delivered',
                 '%s: ledger row %r, expected delivered' % (dest, r))

    dl = ft.mkdtemp(prefix='orthanc-dl-')
    check_uncompressed(only_raw, 'ONLY_RAW', obj, dl)
    check_uncompressed(normal, 'DECOMP', obj, dl)
    # The archive still holds the original JPEG.
    ft.assert_archived(home, [dict(obj, transfer_syntax=ft.JPEG_BASELINE)], compare=True)
    srv.stop()


if __name__ == '__main__':
    orthanc.enter_netns()
    ft.main(body)
