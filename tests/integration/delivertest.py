# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the delivery tests: config.json for destinations, devices and rules; the ledger as
`ferry-cli queue --json` shows it; ferry-test-scp as a PACS whose answers a test chooses; small
studies generated with pydicom; a JPEG baseline object made with dcmcjpeg."""

import json
import os
import re
import subprocess
import threading
import time

import ferrytest as ft

FINAL = ('delivered', 'delivered-with-warning', 'failed', 'outbox', 'cancelled')
DELIVERED = ('delivered', 'delivered-with-warning')


# ----------------------------------------------------------------------------------------------
# config.json (version 2)

def destination(name, port, ae, host='127.0.0.1', interval=1, days=1, default=False,
                decompress=False, max_associations=1):
    return {'name': name, 'ae_title': ae, 'host': host, 'port': port, 'default': default,
            'retry_interval_seconds': interval, 'retry_days': days,
            'max_associations': max_associations, 'decompress': decompress}


def config(destinations=(), devices=(), rules=(), timeout=5, sender='FERRY'):
    return {'version': 2,
            'receiver': {'ae_title': 'FERRY', 'disk_reserve_mb': 0, 'timeout_seconds': timeout},
            'identity': {'sender_ae_title': sender},
            'devices': list(devices),
            'destinations': list(destinations),
            'rules': list(rules)}


# ----------------------------------------------------------------------------------------------
# The ledger.

def queue(home, extra=()):
    r = ft.ferry_cmd(home, ['queue', '--json'] + list(extra))
    ft.check(r.returncode == 0, 'ferry-cli queue --json exited %d:\n%s' % (r.returncode, r.stdout))
    text = r.stdout
    start = text.find('[')
    ft.check(start >= 0, 'ferry-cli queue --json printed no JSON array:\n%s' % text[:2000])
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError as e:
        ft.fail('ferry-cli queue --json printed invalid JSON (%s):\n%s' % (e, text[:3000]))
    ft.check(isinstance(data, list), 'queue --json is not an array: %r' % (data,))
    return data


def by_key(rows):
    """{(sop_instance_uid, destination): row}; fails on two rows for one pair."""
    out = {}
    for r in rows:
        k = (r['sop_instance_uid'], r['destination'])
        ft.check(k not in out, 'two ledger rows for %s -> %s:\n%r\n%r' % (k[0], k[1], out.get(k), r))
        out[k] = r
    return out


def states(rows):
    counts = {}
    for r in rows:
        counts[r['state']] = counts.get(r['state'], 0) + 1
    return counts


def wait_queue(home, cond, timeout, interval=0.3):
    """Polls `queue --json` until cond(rows) is true; returns the last rows (check them!)."""
    deadline = time.monotonic() + timeout
    rows = queue(home)
    while not cond(rows) and time.monotonic() < deadline:
        time.sleep(interval)
        rows = queue(home)
    return rows


def all_in(uids, dest, wanted):
    """A condition for wait_queue: every uid has a row to dest whose state is in wanted."""
    wanted = (wanted,) if isinstance(wanted, str) else tuple(wanted)

    def cond(rows):
        m = {(r['sop_instance_uid'], r['destination']): r for r in rows}
        return all(m.get((u, dest), {}).get('state') in wanted for u in uids)
    return cond


def describe(rows, limit=12):
    return 'states %s; e.g.\n    %s' % (states(rows), '\n    '.join(
        '%s -> %s: %s attempts=%s uncertain=%s status=%s error=%r' %
        (r['sop_instance_uid'][-12:], r['destination'], r['state'], r['attempts'],
         r['uncertain'], r['last_status'], r['last_error']) for r in rows[:limit]))


# ----------------------------------------------------------------------------------------------
# ferry-test-scp

def test_scp_path():
    p = os.environ.get('FERRY_TEST_SCP')
    if not p:
        for cand in ('build-it2', 'build-it', 'build', '_build'):
            q = os.path.join(ft.SOURCE_ROOT, cand, 'tests', 'peers', 'ferry-test-scp')
            if os.access(q, os.X_OK):
                p = q
                break
    ft.check(p and os.access(p, os.X_OK), 'ferry-test-scp not found: set FERRY_TEST_SCP')
    return p


_SCP_LISTEN = re.compile(r'Listening on port (\d+)')


class TestScp:
    """ferry-test-scp --port PORT --ae AE ARGS; its received objects in output_dir."""

    def __init__(self, ae='PACS', args=(), port=0, output_dir=None):
        self.ae = ae
        self.args = list(args)
        self.port = port
        self.output_dir = output_dir or ft.mkdtemp(prefix='ferry-scp-')
        self.proc = None
        self.lines = []

    def start(self):
        self.lines = []
        listening = threading.Event()
        argv = [test_scp_path(), '--port', str(self.port), '--ae', self.ae,
                '--output-dir', self.output_dir] + self.args
        self.proc = ft._register(subprocess.Popen(argv, stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT,
                                                  stdin=subprocess.DEVNULL, env=ft.tool_env(),
                                                  cwd=ft.scratch_cwd()))

        def reader(proc):
            for raw in proc.stdout:
                line = raw.decode('utf-8', 'replace').rstrip('\n')
                self.lines.append(line)
                m = _SCP_LISTEN.search(line)
                if m and not listening.is_set():
                    self.port = int(m.group(1))
                    listening.set()
        threading.Thread(target=reader, args=(self.proc,), daemon=True).start()
        deadline = time.monotonic() + 20
        while not listening.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.2)
                ft.fail('ferry-test-scp %s did not listen:\n%s' % (argv, '\n'.join(self.lines)))
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def received_uids(self):
        """{SOP Instance UID: number of copies received}."""
        import pydicom
        out = {}
        for f in os.listdir(self.output_dir):
            if not f.endswith('.dcm'):
                continue
            try:
                ds = pydicom.dcmread(os.path.join(self.output_dir, f), stop_before_pixels=True,
                                     specific_tags=['SOPInstanceUID'])
            except Exception:
                continue
            u = str(ds.SOPInstanceUID)
            out[u] = out.get(u, 0) + 1
        return out


# ----------------------------------------------------------------------------------------------
# Test data.

def make_study(outdir, count, modality='US', patient_name='DOE^JANE', patient_id='PID-1',
               accession='ACC-1', kind=None, rows=32, cols=32, seed=1, prefix=None,
               study_uid=None):
    """count uncompressed (explicit LE) objects of one study and series. Returns a list of
    dicts: path, sop_instance_uid, study_instance_uid, patient_id, accession, modality."""
    import numpy as np
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(seed)
    sop_class = {'US': ft.US_STORAGE, 'CT': ft.CT_STORAGE, 'MR': ft.MR_STORAGE}[modality]
    kind = kind or {'US': 'rgb', 'CT': 'ct', 'MR': 'mr'}[modality]
    study = {'uid': study_uid or ft.new_uid(), 'date': '20240320', 'accession': accession,
             'description': '%s study' % modality}
    series = {'uid': ft.new_uid(), 'number': 1, 'description': '%s series' % modality}
    patient = {'name': patient_name, 'id': patient_id, 'charset': 'ISO_IR 192'}
    out = []
    for i in range(count):
        ds = ft._base_dataset(sop_class, patient, study, series, modality, i + 1)
        ft._pixels(ds, kind, rows, cols, 1, rng)
        path = os.path.join(outdir, '%s%04d.dcm' % (prefix or modality.lower(), i))
        ft._save(ds, path, ft.EXPLICIT_LE)
        out.append({'path': path, 'sop_instance_uid': str(ds.SOPInstanceUID),
                    'study_instance_uid': study['uid'], 'patient_id': patient_id,
                    'accession': accession, 'modality': modality, 'sop_class_uid': sop_class})
    return out


def make_jpeg(outdir, patient_id='PID-JPEG', accession='ACC-JPEG', rows=64, cols=80):
    """A JPEG baseline (dcmcjpeg +eb) 8-bit monochrome object; returns its manifest dict with
    'path' (compressed) and 'decompressed' (dcmdjpeg's output of that file)."""
    os.makedirs(outdir, exist_ok=True)
    raw = make_study(os.path.join(outdir, 'raw'), 1, modality='US', kind='mono8',
                     patient_name='JPEG^OBJECT', patient_id=patient_id, accession=accession,
                     rows=rows, cols=cols, prefix='jpeg')[0]
    jpeg = os.path.join(outdir, 'jpeg-baseline.dcm')
    r = ft.run(['dcmcjpeg', '+eb', raw['path'], jpeg], timeout=60)
    ft.check(r.returncode == 0 and os.path.exists(jpeg), 'dcmcjpeg failed:\n' + r.stdout)
    dec = os.path.join(outdir, 'dcmdjpeg.dcm')
    r = ft.run(['dcmdjpeg', jpeg, dec], timeout=60)
    ft.check(r.returncode == 0 and os.path.exists(dec), 'dcmdjpeg failed:\n' + r.stdout)
    import pydicom
    ds = pydicom.dcmread(jpeg, stop_before_pixels=True)
    ft.check(str(ds.file_meta.TransferSyntaxUID) == ft.JPEG_BASELINE,
             'dcmcjpeg wrote %s, not JPEG baseline' % ds.file_meta.TransferSyntaxUID)
    d = dict(raw)
    # dcmcjpeg gives a lossy compressed object a new SOP Instance UID.
    d.update(path=jpeg, decompressed=dec, sop_instance_uid=str(ds.SOPInstanceUID))
    return d


def storescu_ok(port, files, aet, aec='FERRY'):
    """storescu into Ferry; every file acknowledged with Success."""
    r = ft.storescu(port, files, aet=aet, aec=aec, extra=['-pdu', '131072'])
    st = dict(r.responses)
    bad = [(os.path.basename(f), st.get(f)) for f in files
           if not (st.get(f) or '').startswith('Success')]
    ft.check(r.returncode == 0 and not bad, 'storescu -aet %s exited %d; not acknowledged: %s\n%s'
             % (aet, r.returncode, bad[:10], r.stdout[-3000:]))
    return r
