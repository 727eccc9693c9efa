#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Full disk: FERRY_HOME on a 16 MB tmpfs in a private mount namespace. Sending more than fits
gives "Refused: OutOfResources" (0xA7xx) for what does not fit, never success; what was acked is
archived and indexed; no partial file stays in archive/ (nor in archive/.spool); the server
stays up. Second case: a disk reserve larger than the free space refuses everything."""

import atexit
import os
import subprocess

import ferrytest as ft

TMPFS_MB = 16
FILES = 40           # 40 x 512 KiB = 20 MiB > 16 MiB


def in_namespace():
    return os.environ.get('FERRY_TEST_MOUNT_NS') == '1'


def reexec_in_namespace():
    try:
        probe = subprocess.run(['unshare', '-m', '--propagation', 'private', 'true'],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    except FileNotFoundError:
        ft.skip('unshare (util-linux) is not installed')
    if probe.returncode != 0:
        ft.skip('unshare -m is not permitted here: %s' % probe.stdout.decode().strip())
    env = dict(os.environ, FERRY_TEST_MOUNT_NS='1')
    os.execve('/usr/bin/unshare', ['unshare', '-m', '--propagation', 'private',
                                   ft.PYTHON, os.path.abspath(__file__)], env)


def mount_tmpfs(size_mb):
    mnt = ft.mkdtemp(prefix='ferry-tmpfs-')
    r = ft.run(['mount', '-t', 'tmpfs', '-o', 'size=%dm,mode=0700' % size_mb, 'tmpfs', mnt],
               timeout=30)
    if r.returncode != 0:
        ft.skip('cannot mount a tmpfs in the private mount namespace: %s' % r.stdout.strip())
    # Detached at exit (lazily: a server may still be on it), so the empty directory can go.
    atexit.register(subprocess.run, ['umount', '-l', mnt], stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
    return mnt


def free_mb(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / 1e6


def case_fill(data, files):
    mnt = mount_tmpfs(TMPFS_MB)
    home = ft.FerryHome(path=os.path.join(mnt, 'home'),
                        config={'version': 1, 'receiver': {'disk_reserve_mb': 0}})
    srv = ft.FerryServer(home).start()
    ft.log('tmpfs %s: %.1f MB free before sending' % (mnt, free_mb(mnt)))
    r = ft.storescu(srv.port, [p for p, _ in files], aet='FILLER', extra=['-nh'], timeout=180)
    statuses = dict(r.responses)
    acked = [p for p, _ in files if (statuses.get(p) or '').startswith('Success')]
    refused = [p for p, _ in files if p not in acked]
    ft.log('acked %d, refused %d, free now %.1f MB' % (len(acked), len(refused), free_mb(mnt)))
    ft.check(acked, 'nothing was acknowledged on an empty 16 MB disk:\n' + r.stdout[-3000:])
    ft.check(refused, 'all %d objects (%.0f MB) acknowledged on a %d MB disk: success without '
             'space?\n%s' % (len(files), len(files) * 0.52, TMPFS_MB, r.stdout[-2000:]))
    wrong = [(os.path.basename(p), statuses.get(p)) for p in refused
             if 'OutOfResources' not in (statuses.get(p) or '')]
    ft.check(not wrong, 'objects that did not fit got something else than "Refused: '
             'OutOfResources" (0xA7xx): %s\n%s' % (wrong[:8], r.stdout[-3000:]))
    ft.check(srv.alive(), 'serve died on a full disk:\n' + srv.output())

    uid_of = dict(files)
    rows = home.instance_by_uid()
    ft.assert_archived(home, [{'path': p, 'sop_instance_uid': uid_of[p],
                               'patient_id': 'PID-FULL', 'patient_name': 'FULL^DISK'}
                              for p in acked], calling_ae='FILLER', compare=False)
    ft.assert_archived(home, [{'path': p, 'sop_instance_uid': uid_of[p]} for p in acked[:2]],
                       compare=True)
    indexed_refused = [os.path.basename(p) for p in refused if uid_of[p] in rows]
    ft.check(not indexed_refused, 'refused objects have database rows: %s' % indexed_refused)
    ft.assert_no_partial_files(home, [x['file_path'] for x in home.instances()])

    r = ft.echoscu(srv.port)
    ft.check(r.returncode == 0, 'echo on a full disk failed:\n' + r.stdout)
    ft.studies_json(home)
    srv.stop()
    # And after a restart on the still-full disk: nothing lost, nothing half-written.
    srv = ft.FerryServer(home).start()
    ft.assert_no_partial_files(home, [x['file_path'] for x in home.instances()])
    ft.check(len(home.instances()) == len(acked), 'after restart %d rows, %d were acked'
             % (len(home.instances()), len(acked)))
    srv.stop()
    ft.check(home.integrity_check() == ['ok'], 'integrity_check: %s' % home.integrity_check())


def case_reserve(files):
    mnt = mount_tmpfs(TMPFS_MB)
    home = ft.FerryHome(path=os.path.join(mnt, 'home'),
                        config={'version': 1, 'receiver': {'disk_reserve_mb': 64}})
    srv = ft.FerryServer(home).start()
    few = [p for p, _ in files[:3]]
    r = ft.storescu(srv.port, few, aet='RESERVE', extra=['-nh'], timeout=60)
    statuses = dict(r.responses)
    wrong = [(os.path.basename(p), statuses.get(p)) for p in few
             if 'OutOfResources' not in (statuses.get(p) or '')]
    ft.check(not wrong, 'with a 64 MB reserve on a %d MB disk every store must be refused with '
             '"Refused: OutOfResources": %s\n%s' % (TMPFS_MB, wrong, r.stdout[-3000:]))
    ft.check(not home.instances(), 'refused objects were indexed: %d rows'
             % len(home.instances()))
    ft.assert_no_partial_files(home, [])
    ft.check(srv.alive(), 'serve died:\n' + srv.output())
    r = ft.echoscu(srv.port)
    ft.check(r.returncode == 0, 'echo failed:\n' + r.stdout)
    srv.stop()


def body():
    if not in_namespace():
        reexec_in_namespace()
    data = ft.mkdtemp(prefix='ferry-data-')
    files = ft.ct_series(os.path.join(data, 'big'), FILES, prefix='full',
                         patient_name='FULL^DISK', patient_id='PID-FULL', rows=512, cols=512)
    case_fill(data, files)
    case_reserve(files)


if __name__ == '__main__':
    ft.main(body)
