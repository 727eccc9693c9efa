#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""I/O errors: with EIO injected (strace -e inject=, attached to the running serve) into every
fsync — the archive file's and directory's flush — and then into every fdatasync — SQLite's
commit — a C-STORE must get a failure status (0xA7xx or 0xCxxx), never Success; no row and no
file may stay behind; once the fault is gone stores succeed again and the database is intact."""

import os
import re
import shutil
import subprocess
import time

import ferrytest as ft


def inject(srv, syscall):
    """Attaches strace to every thread of serve, failing `syscall` with EIO. Returns the
    strace process; terminate it to detach."""
    p = ft._register(subprocess.Popen(
        ['strace', '-f', '-qq', '-o', '/dev/null', '-p', str(srv.pid),
         '-e', 'trace=%s' % syscall, '-e', 'inject=%s:error=EIO:when=1+' % syscall],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ft.scratch_cwd()))
    # strace attaches asynchronously; wait until the tracer is visible in /proc.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if p.poll() is not None:
            ft.skip('strace cannot attach to serve (ptrace not permitted?): %s'
                    % p.stdout.read().decode(errors='replace').strip())
        with open('/proc/%d/status' % srv.pid) as f:
            tracer = [l for l in f if l.startswith('TracerPid:')]
        if tracer and int(tracer[0].split()[1]) == p.pid:
            time.sleep(0.3)   # the other threads
            return p
        time.sleep(0.05)
    ft.fail('strace did not attach to serve within 10 s')


def detach(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def body():
    if shutil.which('strace') is None:
        ft.skip('strace is not installed')
    data = ft.mkdtemp(prefix='ferry-data-')
    home = ft.FerryHome(config={'version': 1, 'receiver': {'disk_reserve_mb': 0}})
    srv = ft.FerryServer(home).start()
    files = ft.ct_series(os.path.join(data, 'ct'), 7, prefix='eio',
                         patient_name='IO^ERROR', patient_id='PID-EIO')
    uid_of = dict(files)

    r = ft.storescu(srv.port, [files[0][0]], aet='EIO')
    ft.check(ft.acked_files(r.responses) == [files[0][0]], 'store before the fault failed:\n'
             + r.stdout)

    batches = {'fsync': [p for p, _ in files[1:4]], 'fdatasync': [p for p, _ in files[4:7]]}
    for syscall, batch in batches.items():
        tracer = inject(srv, syscall)
        try:
            r = ft.storescu(srv.port, batch, aet='EIO', extra=['-nh'], timeout=60)
        finally:
            detach(tracer)
        statuses = dict(r.responses)
        ft.log('EIO on %s: %s' % (syscall, [statuses.get(p) for p in batch]))
        wrong = [(os.path.basename(p), statuses.get(p)) for p in batch
                 if not re.match(r'(Refused: OutOfResources|Error: CannotUnderstand)',
                                 statuses.get(p) or '')]
        ft.check(not wrong, 'with every %s failing (EIO), stores must be refused with 0xA7xx or '
                 '0xCxxx: %s\n%s' % (syscall, wrong, r.stdout[-2000:]))
        ft.check(srv.alive(), 'serve died under EIO on %s:\n%s' % (syscall, srv.output()))
        time.sleep(0.3)
        rows = home.instance_by_uid()
        indexed = [os.path.basename(p) for p in batch if uid_of[p] in rows]
        ft.check(not indexed, 'refused objects indexed after EIO on %s: %s' % (syscall, indexed))
        ft.assert_no_partial_files(home, [x['file_path'] for x in home.instances()])

    # The fault is gone: the same objects go in now.
    rest = [p for p, _ in files[1:]]
    r = ft.storescu(srv.port, rest, aet='EIO', timeout=60)
    ft.check(sorted(ft.acked_files(r.responses)) == sorted(rest),
             'stores after the fault was removed failed:\n' + r.stdout[-2000:])
    ft.assert_archived(home, [{'path': p, 'sop_instance_uid': u, 'patient_id': 'PID-EIO',
                               'patient_name': 'IO^ERROR'} for p, u in files],
                       calling_ae='EIO')
    srv.stop()
    ft.check(home.integrity_check() == ['ok'], 'integrity_check: %s' % home.integrity_check())


if __name__ == '__main__':
    ft.main(body)
