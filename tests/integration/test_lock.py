#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lock: one engine per data directory. A second `ferry-cli serve` on the same FERRY_HOME exits 1
with "Ferry is already running for this data directory (process N)" naming the first one's PID,
and does not disturb it; once the first stops (cleanly or by kill -9) a new one starts."""

import re
import signal
import subprocess
import time

import ferrytest as ft


def second_serve(home):
    t0 = time.monotonic()
    r = ft.run([ft.ferry_cli(), 'serve', '--port', '0'], timeout=30, env=home.env())
    return r, time.monotonic() - t0


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

    # Usage errors exit 2.
    u = ft.run([ft.ferry_cli(), 'serve', '--no-such-option'], timeout=30, env=home.env())
    ft.check(u.returncode == 2, 'serve --no-such-option exited %d, expected 2:\n%s'
             % (u.returncode, u.stdout))
    u = ft.run([ft.ferry_cli(), 'serve', '--port', 'notaport'], timeout=30, env=home.env())
    ft.check(u.returncode == 2, 'serve --port notaport exited %d, expected 2:\n%s'
             % (u.returncode, u.stdout))


if __name__ == '__main__':
    ft.main(body)
