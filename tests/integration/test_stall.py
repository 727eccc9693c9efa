#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stall: a storescu that is SIGSTOPped in the middle of sending a 200 MB multi-frame, and a raw
peer that goes silent in the middle of a dataset, are dropped by the server within its idle
timeout (receiver.timeout_seconds, set to 10 s here; 60 s by default); meanwhile other stores
work; afterwards no partial file remains, no row exists for the stalled object, and storescu,
once resumed, never gets a Success."""

import os
import signal
import socket
import time

import ferrytest as ft

BIG_MB = 200
TIMEOUT = 10
DROP_LIMIT = TIMEOUT + 20.0   # scheduling slack


def server_side_spool_bytes(home):
    total = 0
    for f in home.spool_files():
        try:
            total += os.path.getsize(os.path.join(home.spool, f))
        except OSError:
            pass
    return total


def body():
    data = ft.mkdtemp(prefix='ferry-data-')
    home = ft.FerryHome(config={'version': 1, 'receiver': {'disk_reserve_mb': 0,
                                                          'timeout_seconds': TIMEOUT}})
    big = os.path.join(data, 'big.dcm')
    t0 = time.monotonic()
    big_uid, frames = ft.big_multiframe(big, megabytes=BIG_MB)
    ft.log('generated %d MB multi-frame (%d frames) in %.1f s'
           % (os.path.getsize(big) // 1000000, frames, time.monotonic() - t0))

    srv = ft.FerryServer(home).start()

    # storescu, stepped with SIGSTOP/SIGCONT until the server has part of the object.
    p = ft.storescu_popen(srv.port, [big], aet='STALLER', extra=['-pdu', '131072'],
                          out_path=os.path.join(data, 'storescu-stall.log'))
    os.kill(p.pid, signal.SIGSTOP)
    stopped_mid = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        os.kill(p.pid, signal.SIGCONT)
        time.sleep(0.003)
        os.kill(p.pid, signal.SIGSTOP)
        time.sleep(0.02)
        got = server_side_spool_bytes(home)
        if got > 1000000:
            stopped_mid = True
            break
    ft.check(stopped_mid, 'could not stop storescu in the middle of the transfer (the spool '
             'never held part of it; storescu exit %r)' % p.poll())
    t_stall = time.monotonic()
    ft.log('storescu stopped with %.1f MB in the spool' % (server_side_spool_bytes(home) / 1e6))

    # A raw peer that stops in the middle of a dataset too.
    import pydicom
    f = os.path.join(data, 'raw.dcm')
    raw_uid = ft.simple_ct(f, patient_name='RAW^STALL', patient_id='PID-RAWSTALL')
    ds_bytes = ft.dataset_bytes(pydicom.dcmread(f), implicit=False)
    raw = ft.RawAssociation(srv.port, calling='RAWSTALL',
                            contexts=[(1, ft.CT_STORAGE, [ft.EXPLICIT_LE])])
    import struct
    cmd = ft.command_set([(0x0002, ft._uid_bytes(ft.CT_STORAGE)),
                          (0x0100, struct.pack('<H', 1)), (0x0110, struct.pack('<H', 1)),
                          (0x0700, struct.pack('<H', 0)), (0x0800, struct.pack('<H', 0)),
                          (0x1000, ft._uid_bytes(raw_uid))])
    raw._send_pdvs(1, cmd, True)
    half = ds_bytes[:(len(ds_bytes) // 2) & ~1]    # PDV fragments have even lengths
    pdv = struct.pack('>IBB', len(half) + 2, 1, 0) + half     # not the last fragment
    raw.sock.sendall(struct.pack('>BBI', 4, 0, len(pdv)) + pdv)

    # Others are not held up.
    quick = ft.ct_series(os.path.join(data, 'quick'), 3, prefix='q',
                         patient_name='DURING^STALL', patient_id='PID-DURING')
    t0 = time.monotonic()
    r = ft.storescu(srv.port, [x for x, _ in quick], aet='DURING', timeout=60)
    ft.check(len(ft.acked_files(r.responses)) == 3 and time.monotonic() - t0 < 10,
             'a store during the stall failed or took %.1f s:\n%s'
             % (time.monotonic() - t0, r.stdout[-2000:]))

    # Both stalled associations must be dropped by the server.
    base = 0  # no other association is open now
    dropped_at = None
    raw_closed_at = None
    raw_how = 'still open'
    raw.sock.settimeout(0.2)
    while time.monotonic() - t_stall < DROP_LIMIT:
        if raw_closed_at is None:
            try:
                d = raw.sock.recv(4096)
                raw_how = 'received %r' % d[:16]
                if d == b'' or d[:1] == b'\x07':
                    raw_closed_at = time.monotonic() - t_stall
            except socket.timeout:
                pass
            except OSError as e:
                raw_how = 'error %r' % e
                raw_closed_at = time.monotonic() - t_stall
        if dropped_at is None and srv.established_connections() <= base + (0 if raw_closed_at
                                                                             else 1):
            dropped_at = time.monotonic() - t_stall
        if dropped_at is not None and raw_closed_at is not None:
            break
        time.sleep(0.3)
    ft.log('stalled storescu dropped after %s s, raw peer after %s s (%s)'
           % (dropped_at, raw_closed_at, raw_how))
    ft.check(raw_closed_at is not None, 'the raw peer silent in the middle of a dataset was not '
             'dropped within %.0f s' % DROP_LIMIT)
    ft.check(raw_closed_at > TIMEOUT - 2, 'the raw peer was dropped after %.2f s, before it '
             'went silent for long (%s): its request was refused, the stall was not tested\n%s'
             % (raw_closed_at, raw_how, srv.output()))
    ft.check(dropped_at is not None and srv.established_connections() == 0,
             'the SIGSTOPped storescu still holds an established association after %.0f s '
             '(server-side ESTABLISHED connections on port %d: %d)'
             % (DROP_LIMIT, srv.port, srv.established_connections()))

    # Resume storescu: it must not get a Success for a dropped object.
    os.kill(p.pid, signal.SIGCONT)
    try:
        p.wait(timeout=60)
    except Exception:
        p.kill()
        p.wait()
    p.out_file.close()
    text = open(p.out_path, encoding='utf-8', errors='replace').read()
    ft.check(not ft.acked_files(ft.parse_storescu(text)),
             'storescu got Success for an object whose association the server dropped:\n'
             + text[-2000:])

    ft.check(srv.alive(), 'serve died:\n' + srv.output())
    time.sleep(0.5)
    rows = home.instance_by_uid()
    ft.check(big_uid not in rows and raw_uid not in rows, 'a stalled object was indexed')
    ft.assert_no_partial_files(home, [x['file_path'] for x in home.instances()])

    # And a later store of the same big object works.
    r = ft.storescu(srv.port, [big], aet='STALLER', extra=['-pdu', '131072'], timeout=180)
    ft.check(ft.acked_files(r.responses) == [big], 'the big object could not be stored after '
             'the stall:\n' + r.stdout[-2000:])
    rows = home.instance_by_uid()
    ft.check(big_uid in rows, 'big object acked but not indexed')
    arch = os.path.join(home.archive, rows[big_uid][0]['file_path'])
    ft.check(rows[big_uid][0]['sha256'] == ft.sha256_file(arch), 'sha256 of the big object '
             'differs from its row')
    srv.stop()


if __name__ == '__main__':
    ft.main(body)
