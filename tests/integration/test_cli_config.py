#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""CLI configuration: `ferry-cli destination add/list/remove/test` and `device add/list/remove`
round trip through config.json; invalid values are refused with a message naming the field and
change nothing; `destination test` verifies a real DCMTK storescp and reports "refused" for a
closed port (marking the destination verified or not); a running `ferry-cli serve` picks up a
device and a destination added by the CLI without a restart."""

import json
import shutil
import os
import socket
import subprocess
import time

import ferrytest as ft


def cli(home, *args, rc=None):
    r = ft.ferry_cmd(home, list(args))
    if rc is not None:
        ft.check(r.returncode == rc, 'ferry-cli %s exited %d, expected %d:\n%s'
                 % (' '.join(args), r.returncode, rc, r.stdout))
    return r


def listed(home, what):
    r = cli(home, what, 'list', '--json', rc=0)
    start = r.stdout.find('[')
    ft.check(start >= 0, '%s list --json printed no JSON array:\n%s' % (what, r.stdout))
    try:
        obj, _ = json.JSONDecoder().raw_decode(r.stdout[start:])
    except ValueError as e:
        ft.fail('%s list --json printed invalid JSON (%s):\n%s' % (what, e, r.stdout))
    return obj


def by_name(entries, name):
    for e in entries:
        if e['name'] == name:
            return e
    ft.fail('no entry named %r in %r' % (name, entries))


def config_text(home):
    with open(home.config_path, encoding='utf-8') as f:
        return f.read()


def expect_refused(home, args, needles, rc=1):
    """The command fails with rc, prints every needle, and leaves config.json alone."""
    before = config_text(home)
    r = cli(home, *args)
    ft.check(r.returncode == rc, 'ferry-cli %s exited %d, expected %d:\n%s'
             % (' '.join(args), r.returncode, rc, r.stdout))
    for needle in needles:
        ft.check(needle in r.stdout, 'ferry-cli %s: the message does not say %r:\n%s'
                 % (' '.join(args), needle, r.stdout))
    ft.check(config_text(home) == before, 'a refused ferry-cli %s changed config.json'
             % ' '.join(args))


def start_storescp(aet):
    port = ft.free_port()
    out = ft.mkdtemp(prefix='ferry-storescp-')
    proc = ft._register(subprocess.Popen(
        ['storescp', '-aet', aet, '--output-directory', out, str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        cwd=ft.scratch_cwd(), env=ft.tool_env()))

    def listening():
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return True
        except OSError:
            return proc.poll() is not None

    ft.check(ft.wait_for(listening, 20) and proc.poll() is None,
             'storescp did not start on port %d' % port)
    return proc, port


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def round_trip(home):
    r = cli(home, 'destination', 'list', rc=0)
    ft.check('No destinations' in r.stdout, 'empty destination list says:\n' + r.stdout)

    cli(home, 'destination', 'add', 'PACS cardiología', '--ae', 'CARDIO', '--host',
        'pacs.example.org', '--port', '4242', '--retry-interval', '900', '--retry-days', '2',
        '--max-associations', '5', '--decompress', '--character-set', 'ISO_IR 100',
        '--specialty', 'Cardiology', '--specialty', 'Echo', '--default', rc=0)
    cli(home, 'destination', 'add', 'Archive', '--ae', 'ARCHIVE', '--host', '10.0.0.9',
        '--port', '104', rc=0)

    destinations = listed(home, 'destination')
    ft.check([d['name'] for d in destinations] == ['PACS cardiología', 'Archive'],
             'destination list: %r' % destinations)
    want = {'ae_title': 'CARDIO', 'host': 'pacs.example.org', 'port': 4242,
            'retry_interval_seconds': 900, 'retry_days': 2, 'max_associations': 5,
            'decompress': True, 'character_set': 'ISO_IR 100',
            'specialties': ['Cardiology', 'Echo'], 'default': True, 'verified': False}
    got = by_name(destinations, 'PACS cardiología')
    for k, v in want.items():
        ft.check(got.get(k) == v, 'destination %s is %r, expected %r' % (k, got.get(k), v))
    got = by_name(destinations, 'Archive')
    ft.check(got['default'] is False and got['retry_interval_seconds'] == 300
             and got['retry_days'] == 4 and got['max_associations'] == 2,
             'defaults of a new destination: %r' % got)

    # config.json itself holds them (what a running Ferry reads).
    with open(home.config_path, encoding='utf-8') as f:
        saved = json.load(f)
    ft.check(saved['version'] == 2 and len(saved['destinations']) == 2,
             'config.json after destination add: %r' % saved)

    table = cli(home, 'destination', 'list', rc=0).stdout
    for needle in ('PACS cardiología', 'CARDIO', 'pacs.example.org:4242', '10.0.0.9:104'):
        ft.check(needle in table, 'destination list does not show %r:\n%s' % (needle, table))

    cli(home, 'device', 'add', 'Cart 3', '--ae', 'US_CART3', '--host', '127.0.0.1', '--to',
        'pacs CARDIOLOGÍA, Archive', '--specialty', 'Cardiology', '--physician-tag', 'operator',
        '--character-set', 'ISO_IR 100', rc=0)
    cli(home, 'device', 'add', 'Endoscopy', '--ae', 'ENDO', rc=0)
    devices = listed(home, 'device')
    cart = by_name(devices, 'Cart 3')
    ft.check(cart['ae_title'] == 'US_CART3' and cart['host'] == '127.0.0.1'
             and cart['destinations'] == ['PACS cardiología', 'Archive']
             and cart['specialty'] == 'Cardiology' and cart['physician_tag'] == 'operator'
             and cart['character_set'] == 'ISO_IR 100', 'device Cart 3: %r' % cart)
    endo = by_name(devices, 'Endoscopy')
    ft.check(endo['physician_tag'] == 'performing' and endo.get('destinations', []) == [],
             'device defaults: %r' % endo)
    table = cli(home, 'device', 'list', rc=0).stdout
    ft.check('US_CART3' in table and 'Endoscopy' in table, 'device list:\n' + table)

    # Removing a destination removes the references to it.
    r = cli(home, 'destination', 'remove', 'archive', rc=0)
    ft.check('Archive' in r.stdout, 'destination remove says:\n' + r.stdout)
    ft.check([d['name'] for d in listed(home, 'destination')] == ['PACS cardiología'],
             'Archive still listed after remove')
    ft.check(by_name(listed(home, 'device'), 'Cart 3')['destinations'] == ['PACS cardiología'],
             'Cart 3 still refers to a removed destination')

    cli(home, 'device', 'remove', 'Endoscopy', rc=0)
    ft.check([d['name'] for d in listed(home, 'device')] == ['Cart 3'],
             'Endoscopy still listed after remove')
    expect_refused(home, ['device', 'remove', 'Endoscopy'], ['Endoscopy'])
    expect_refused(home, ['destination', 'remove', 'Archive'], ['Archive'])


def validation(home):
    add = ['destination', 'add']
    expect_refused(home, add + ['PACS CARDIOLOGÍA', '--ae', 'X', '--host', 'h', '--port', '1'],
                   ['already a destination named'])
    expect_refused(home, add + ['B', '--ae', 'AN_AE_TITLE_TOO_LONG', '--host', 'h',
                                '--port', '104'],
                   ['.ae_title:', 'longer than 16 characters'])
    expect_refused(home, add + ['B', '--ae', 'B', '--host', 'pacs b', '--port', '104'],
                   ['.host:', 'spaces'])
    expect_refused(home, add + ['B', '--ae', 'B', '--host', 'h', '--port', '70000'],
                   ['port', '70000 is not a port'])
    expect_refused(home, add + ['B', '--ae', 'B', '--host', 'h', '--port', '104',
                                '--retry-days', '9'],
                   ['.retry_days:', '9 is not between 1 and 4'])
    expect_refused(home, add + ['B', '--ae', 'B', '--host', 'h', '--port', '104',
                                '--max-associations', '17'],
                   ['.max_associations:'])
    expect_refused(home, add + ['B', '--ae', 'B', '--host', 'h', '--port', '104',
                                '--character-set', 'KOI8-R'],
                   ['.character_set:', 'KOI8-R'])
    expect_refused(home, add + ['B', '--ae', 'CARDIO', '--host', 'PACS.example.org',
                                '--port', '4242'],
                   ['.ae_title:', 'already used by destinations[0]', 'PACS cardiología'])
    expect_refused(home, add + ['B', '--ae', 'B', '--host', 'h'], ['--port'], rc=2)
    expect_refused(home, ['device', 'add', 'X', '--ae', 'X', '--to', 'Nowhere'],
                   ['.destinations[0]:', 'Nowhere'])
    expect_refused(home, ['device', 'add', 'X', '--ae', 'X', '--host', 'cart.example'],
                   ['.host:', 'IPv4'])
    expect_refused(home, ['device', 'add', 'X', '--ae', 'X', '--physician-tag', 'surgeon'],
                   ['--physician-tag'], rc=2)
    expect_refused(home, ['device', 'add', 'Cart 3', '--ae', 'OTHER'],
                   ['already a device named'])
    expect_refused(home, ['device', 'add', 'X'], ['--ae'], rc=2)
    for args in (['destination', 'add', '--help'], ['destination', 'list', '--help'],
                 ['destination', 'remove', '--help'], ['destination', 'test', '--help'],
                 ['device', 'add', '--help'], ['device', 'list', '--help'],
                 ['device', 'remove', '--help'], ['destination', '--help'],
                 ['device', '--help']):
        r = cli(home, *args, rc=0)
        ft.check('Usage' in r.stdout, 'ferry-cli %s printed no usage:\n%s'
                 % (' '.join(args), r.stdout))


def destination_test(home):
    storescp, port = start_storescp('LOCAL_PACS')
    cli(home, 'destination', 'add', 'Local PACS', '--ae', 'LOCAL_PACS', '--host', '127.0.0.1',
        '--port', str(port), rc=0)
    r = cli(home, 'destination', 'test', 'local pacs')
    ft.check(r.returncode == 0 and 'Local PACS: verified' in r.stdout,
             'destination test against storescp exited %d:\n%s' % (r.returncode, r.stdout))
    ft.check(by_name(listed(home, 'destination'), 'Local PACS')['verified'] is True,
             'a successful test did not mark the destination verified')

    # The PACS goes away: the next test fails, says why, and takes the mark back.
    stop(storescp)
    r = cli(home, 'destination', 'test', 'Local PACS')
    ft.check(r.returncode == 1 and 'refused' in r.stdout,
             'destination test against a closed port exited %d without "refused":\n%s'
             % (r.returncode, r.stdout))
    ft.check(by_name(listed(home, 'destination'), 'Local PACS')['verified'] is False,
             'a failed test left the destination verified')
    expect_refused(home, ['destination', 'test', 'Nowhere'], ['Nowhere'])


def reload_while_serving(home):
    srv = ft.FerryServer(home).start()
    # accept_unknown_devices is false: an unlisted cart is turned away.
    e = ft.echoscu(srv.port, aet='NEW_CART', aec=srv.ae)
    ft.check(e.returncode != 0, 'unknown device accepted with accept_unknown_devices=false')

    cli(home, 'device', 'add', 'New cart', '--ae', 'NEW_CART', '--host', '127.0.0.1',
        '--to', 'Local PACS', rc=0)
    ft.check(ft.wait_for(lambda: ft.echoscu(srv.port, aet='NEW_CART',
                                            aec=srv.ae).returncode == 0, 10),
             'serve did not pick up a device added by ferry-cli:\n' + srv.output())

    applied = srv.stderr_text().count('Configuration file changed')
    cli(home, 'destination', 'add', 'Late PACS', '--ae', 'LATE', '--host', '127.0.0.1',
        '--port', '11119', rc=0)
    ft.check(ft.wait_for(lambda: srv.stderr_text().count('Configuration file changed')
                         > applied, 10),
             'serve did not reload config.json after destination add:\n' + srv.output())
    ft.check('Ignoring the changed configuration file' not in srv.stderr_text(),
             'serve found the CLI-written config.json invalid:\n' + srv.output())
    ft.check(srv.alive(), 'serve died after the configuration changed:\n' + srv.output())
    srv.stop()


def body():
    if not shutil.which('storescp'):
        ft.skip('DCMTK storescp is not installed')
    home = ft.FerryHome(config={'version': 1, 'receiver': {'accept_unknown_devices': False}})
    round_trip(home)
    validation(home)
    destination_test(home)
    reload_while_serving(home)


if __name__ == '__main__':
    ft.main(body)
