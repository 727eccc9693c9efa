#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lock: one engine per data directory. A second `ferry-cli serve` on the same FERRY_HOME exits 1
with "Ferry is already running for this data directory (process N)" naming the first one's PID,
and does not disturb it; once the first stops (cleanly or by kill -9) a new one starts.
Also the exit codes of serve: 0 after SIGTERM/SIGINT — even one sent the moment the
"Listening on port" line appears, as a service manager or script may — with no GLib criticals
or warnings on the way out; 2 for usage errors."""

import os
import re
import signal
import subprocess
import time

import ferrytest as ft


def second_serve(home):
    t0 = time.monotonic()
    r = ft.run([ft.ferry_cli(), 'serve', '--port', '0'], timeout=30, env=home.env())
    return r, time.monotonic() - t0


def stop_on_listening_line(home, sig):
    err_path = os.path.join(home.path, 'stderr.log')
    with open(err_path, 'wb') as err:
        p = ft._register(subprocess.Popen([ft.ferry_cli(), 'serve', '--port', '0'],
                                          stdout=subprocess.PIPE, stderr=err,
                                          stdin=subprocess.DEVNULL, env=home.env(),
                                          cwd=ft.scratch_cwd()))
        for line in p.stdout:
            if b'Listening on port' in line:
                os.kill(p.pid, sig)
                break
        try:
            code = p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            ft.fail('serve did not exit within 30 s of signal %d' % int(sig))
    with open(err_path, encoding='utf-8', errors='replace') as f:
        return code, f.read()


def body():
    home = ft.FerryHome(config={'version': 1, 'receiver': {'disk_reserve_mb': 0}})
    first = ft.FerryServer(home).start()

    r, took = second_serve(home)
    ft.check(r.returncode == 1, 'second serve on the same FERRY_HOME exited %d, expected 1:\n%s'
             % (r.returncode, r.stdout))
    pat = re.compile(r'Ferry is already running for this data directory\W*\(?\s*process\s+%d\b'
                     % first.pid)
    ft.check(pat.search(r.stdout), 'second serve did not say "Ferry is already running for this '
             'data directory (process %d)":\n%s' % (first.pid, r.stdout))
    ft.check('Listening on port' not in r.stdout, 'second serve announced a port:\n' + r.stdout)
    ft.log('second serve refused in %.2f s' % took)

    # The first is undisturbed.
    ft.check(first.alive(), 'the first serve died:\n' + first.output())
    e = ft.echoscu(first.port)
    ft.check(e.returncode == 0, 'echo to the first serve failed:\n' + e.stdout)

    # Other commands work beside the owner.
    s = ft.ferry_cmd(home, ['studies', '--json'])
    ft.check(s.returncode == 0, 'ferry-cli studies beside a running serve exited %d:\n%s'
             % (s.returncode, s.stdout))

    # SIGINT is a clean stop too (exit 0); then the directory is free again.
    first.stop(sig=signal.SIGINT)
    again = ft.FerryServer(home).start()
    # kill -9 leaves a stale lock that must not block the next start.
    again.kill9()
    third = ft.FerryServer(home).start()
    r, _ = second_serve(home)
    ft.check(r.returncode == 1 and str(third.pid) in r.stdout,
             'after a kill -9 and restart, a second serve exited %d without naming process %d:\n%s'
             % (r.returncode, third.pid, r.stdout))
    third.stop()

    # A clean stop the moment serve says it listens (the signal is sent from the line reader
    # itself, as a service manager would), and no GLib criticals on the way out.
    bad_exit, noisy = [], []
    for i in range(16):
        sig = signal.SIGTERM if i % 2 == 0 else signal.SIGINT
        code, err = stop_on_listening_line(ft.FerryHome(), sig)
        if code != 0:
            bad_exit.append('signal %d -> exit %r' % (int(sig), code))
        if re.search(r'CRITICAL|WARNING \*\*', err):
            noisy.append(err[-600:])
    ft.check(not bad_exit, 'serve did not exit 0 when the signal came right after "Listening on '
             'port" (%d of 16 times; the signal handlers must be in place before the port is '
             'announced): %s' % (len(bad_exit), bad_exit))
    ft.check(not noisy, 'GLib criticals or warnings when serve stops on a signal (%d of 16 '
             'stops):\n%s' % (len(noisy), noisy[0] if noisy else ''))
    h = ft.FerryHome()
    srv = ft.FerryServer(h).start()
    time.sleep(1)
    e = ft.echoscu(srv.port)
    ft.check(e.returncode == 0, 'echo failed:\n' + e.stdout)
    srv.stop()
    ft.check(not re.search(r'CRITICAL|WARNING \*\*', srv.stderr_text()),
             'GLib criticals or warnings when serve stops on SIGTERM:\n%s'
             % srv.stderr_text()[-2000:])

    # Usage errors exit 2.
    u = ft.run([ft.ferry_cli(), 'serve', '--no-such-option'], timeout=30, env=home.env())
    ft.check(u.returncode == 2, 'serve --no-such-option exited %d, expected 2:\n%s'
             % (u.returncode, u.stdout))
    u = ft.run([ft.ferry_cli(), 'serve', '--port', 'notaport'], timeout=30, env=home.env())
    ft.check(u.returncode == 2, 'serve --port notaport exited %d, expected 2:\n%s'
             % (u.returncode, u.stdout))


if __name__ == '__main__':
    ft.main(body)
