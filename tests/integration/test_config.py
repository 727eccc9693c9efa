#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Config: `ferry-cli config export FILE` / `config import FILE` round trip (the imported station
shows the same configuration and serve uses it); an invalid config.json makes serve exit 1 with
a message naming the field; importing an invalid file fails and changes nothing."""

import json
import os

import ferrytest as ft

CONFIG = {
    'version': 1,
    'receiver': {'ae_title': 'FERRY_CFG', 'port': 11112, 'max_associations': 5,
                 'accept_unknown_devices': False, 'disk_reserve_mb': 0},
    'identity': {'sender_ae_title': 'FERRY_OUT', 'institution_name': 'Clínica Ñandú',
                 'station_name': 'ECHO-2'},
    'devices': [
        {'name': 'Cart 3', 'ae_title': 'US_CART3', 'host': '127.0.0.1',
         'character_set': 'ISO_IR 100'},
        {'name': 'Sala de ecografía', 'ae_title': 'US_ROOM2'},
    ],
}


def show(home):
    r = ft.ferry_cmd(home, ['config', 'show'])
    ft.check(r.returncode == 0, 'config show exited %d:\n%s' % (r.returncode, r.stdout))
    start = r.stdout.find('{')
    ft.check(start >= 0, 'config show printed no JSON object:\n' + r.stdout)
    try:
        obj, _ = json.JSONDecoder().raw_decode(r.stdout[start:])
    except ValueError as e:
        ft.fail('config show printed invalid JSON (%s):\n%s' % (e, r.stdout))
    return obj


def expect_subset(want, got, where=''):
    """Every member of want is in got with the same value (defaults may be added)."""
    if isinstance(want, dict):
        ft.check(isinstance(got, dict), '%s: expected an object, got %r' % (where, got))
        for k, v in want.items():
            ft.check(k in got, '%s.%s missing (got %r)' % (where, k, got))
            expect_subset(v, got[k], '%s.%s' % (where, k))
    elif isinstance(want, list):
        ft.check(isinstance(got, list) and len(got) == len(want),
                 '%s: expected %d entries, got %r' % (where, len(want), got))
        for i, (a, b) in enumerate(zip(want, got)):
            expect_subset(a, b, '%s[%d]' % (where, i))
    else:
        ft.check(want == got, '%s is %r, expected %r' % (where, got, want))


def expect_invalid(text, field, what):
    home = ft.FerryHome(config=text)
    r = ft.run([ft.ferry_cli(), 'serve', '--port', '0'], timeout=30, env=home.env())
    ft.check(r.returncode == 1, '%s: serve exited %d, expected 1:\n%s'
             % (what, r.returncode, r.stdout))
    ft.check('Listening on port' not in r.stdout, '%s: serve started anyway' % what)
    ft.check(field in r.stdout, '%s: the message does not name the field %r:\n%s'
             % (what, field, r.stdout))


# A version 1 file loads as it is and is shown, exported and saved in the current version.
EXPECTED = dict(CONFIG, version=2)


def body():
    a = ft.FerryHome(config=CONFIG)
    shown = show(a)
    expect_subset(EXPECTED, shown, 'config show')

    exported = os.path.join(ft.mkdtemp(), 'station.json')
    r = ft.ferry_cmd(a, ['config', 'export', exported])
    ft.check(r.returncode == 0 and os.path.isfile(exported),
             'config export exited %d:\n%s' % (r.returncode, r.stdout))
    with open(exported, encoding='utf-8') as f:
        try:
            exp = json.load(f)
        except ValueError as e:
            ft.fail('exported file is not JSON: %s' % e)
    expect_subset(EXPECTED, exp, 'exported file')

    b = ft.FerryHome()
    r = ft.ferry_cmd(b, ['config', 'import', exported])
    ft.check(r.returncode == 0, 'config import exited %d:\n%s' % (r.returncode, r.stdout))
    shown_b = show(b)
    ft.check(shown_b == shown, 'after export/import the configuration differs:\nexported '
             'station: %s\nimported station: %s' % (json.dumps(shown, ensure_ascii=False),
                                                     json.dumps(shown_b, ensure_ascii=False)))
    # The imported station really runs with it (its AE title and its device policy).
    srv = ft.FerryServer(b).start()
    ft.check(srv.ae == 'FERRY_CFG', 'imported station announced AE %r' % srv.ae)
    e = ft.echoscu(srv.port, aet='US_CART3', aec='FERRY_CFG')
    ft.check(e.returncode == 0, 'listed device rejected by the imported station:\n' + e.stdout)
    e = ft.echoscu(srv.port, aet='NOT_LISTED', aec='FERRY_CFG')
    ft.check(e.returncode != 0, 'accept_unknown_devices=false was lost in the import')
    srv.stop()

    # Importing an invalid file fails and leaves the configuration alone.
    bad = os.path.join(ft.mkdtemp(), 'bad.json')
    with open(bad, 'w') as f:
        json.dump({'version': 1, 'receiver': {'port': 70000}}, f)
    r = ft.ferry_cmd(b, ['config', 'import', bad])
    ft.check(r.returncode != 0, 'config import of port 70000 succeeded:\n' + r.stdout)
    ft.check('port' in r.stdout, 'config import error does not name the field "port":\n'
             + r.stdout)
    ft.check(show(b) == shown, 'a failed import changed the configuration')

    # Invalid config.json: serve exits 1 naming the field.
    expect_invalid(json.dumps({'version': 1, 'receiver': {'port': 70000}}), 'port',
                   'receiver.port 70000')
    expect_invalid(json.dumps({'version': 1, 'receiver': {'ae_title': 'AN_AE_TITLE_FAR_TOO_LONG'}}),
                   'ae_title', 'receiver.ae_title of 24 characters')
    expect_invalid(json.dumps({'version': 1, 'receiver': {'max_associations': 'many'}}),
                   'max_associations', 'receiver.max_associations a string')
    expect_invalid(json.dumps({'version': 1, 'devices': [{'name': 'x', 'ae_title': 'BAD\\AE'}]}),
                   'ae_title', 'a device AE title with a backslash')
    home = ft.FerryHome(config='{"version": 1, "receiver": ')
    r = ft.run([ft.ferry_cli(), 'serve', '--port', '0'], timeout=30, env=home.env())
    ft.check(r.returncode == 1 and 'config.json' in r.stdout,
             'truncated config.json: serve exited %d (expected 1) without naming config.json:\n%s'
             % (r.returncode, r.stdout))


if __name__ == '__main__':
    ft.main(body)
