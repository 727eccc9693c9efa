# SPDX-License-Identifier: GPL-3.0-or-later
"""Orthanc (Debian's package) as a real PACS for the delivery tests.

Orthanc listens on every interface, so a test that uses it runs in a private network namespace
with only loopback: call enter_netns() first thing; it re-executes the script under
`unshare -n` (same PID: unshare execs), brings lo up, and exits 77 (skip) with the reason when
namespaces are not permitted. Ferry, storescu and every Orthanc then run inside.

Each Orthanc gets its own configuration file (a fresh one, not Debian's: no plugins, no
authentication, HTTP on loopback), storage directory and ports; its REST API is read with
urllib."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import ferrytest as ft

_ENV_FLAG = 'FERRY_TEST_IN_NETNS'
UNCOMPRESSED = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']


def enter_netns():
    if os.environ.get(_ENV_FLAG) == '1':
        r = subprocess.run(['ip', 'link', 'set', 'lo', 'up'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            print('SKIP: cannot bring lo up in the network namespace: %s'
                  % r.stdout.decode(errors='replace').strip(), flush=True)
            sys.exit(ft.SKIP)
        return
    if not shutil.which('Orthanc'):
        print('SKIP: Orthanc is not installed (Debian package orthanc)', flush=True)
        sys.exit(ft.SKIP)
    probe = subprocess.run(['unshare', '-n', 'true'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    if probe.returncode != 0:
        print('SKIP: unshare -n is not permitted here (%s); Orthanc listens on every interface '
              'and must run in a private network namespace'
              % probe.stdout.decode(errors='replace').strip(), flush=True)
        sys.exit(ft.SKIP)
    env = dict(os.environ)
    env[_ENV_FLAG] = '1'
    sys.stdout.flush()
    os.execvpe('unshare', ['unshare', '-n', sys.executable, os.path.abspath(sys.argv[0])]
               + sys.argv[1:], env)


class Orthanc:
    def __init__(self, aet='ORTHANC', storage=None, accepted_ts=None, dicom_port=None,
                 http_port=None):
        self.aet = aet
        self.storage = storage or ft.mkdtemp(prefix='orthanc-')
        self.dicom_port = dicom_port or ft.free_port()
        self.http_port = http_port or ft.free_port()
        self.accepted_ts = accepted_ts
        self.proc = None
        self.cfg_dir = ft.mkdtemp(prefix='orthanc-cfg-')
        self.log_path = os.path.join(self.cfg_dir, 'orthanc.log')
        self._write_config()

    def _write_config(self):
        cfg = {
            'Name': 'Ferry test %s' % self.aet,
            'StorageDirectory': os.path.join(self.storage, 'db'),
            'IndexDirectory': os.path.join(self.storage, 'db'),
            'StorageCompression': False,
            'Plugins': [],
            'HttpServerEnabled': True,
            'HttpPort': self.http_port,
            'RemoteAccessAllowed': False,
            'AuthenticationEnabled': False,
            'DicomServerEnabled': True,
            'DicomAet': self.aet,
            'DicomPort': self.dicom_port,
            'DicomCheckCalledAet': True,
            'DicomAlwaysAllowEcho': True,
            'DicomAlwaysAllowStore': True,
            'DicomScpTimeout': 30,
            'ConcurrentJobs': 1,
            'SyncStorageArea': False,
            'OverwriteInstances': False,
            'StableAge': 3600,
        }
        if self.accepted_ts is not None:
            cfg['AcceptedTransferSyntaxes'] = list(self.accepted_ts)
            for k in ('Deflated', 'Jpeg', 'Jpeg2000', 'JpegLossless', 'Jpip', 'Mpeg2', 'Rle',
                      'Mpeg4', 'H265'):
                cfg['%sTransferSyntaxAccepted' % k] = False
        with open(os.path.join(self.cfg_dir, 'orthanc.json'), 'w') as f:
            json.dump(cfg, f, indent=2)

    def start(self, timeout=60):
        log = open(self.log_path, 'ab')
        self.proc = ft._register(subprocess.Popen(
            ['Orthanc', os.path.join(self.cfg_dir, 'orthanc.json')], stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=ft.tool_env(),
            cwd=ft.scratch_cwd()))
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                ft.fail('Orthanc %s exited %d at start-up:\n%s'
                        % (self.aet, self.proc.returncode, self.log()[-3000:]))
            try:
                self.get('/system')
                socket.create_connection(('127.0.0.1', self.dicom_port), timeout=1).close()
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        ft.fail('Orthanc %s did not come up within %ds:\n%s' % (self.aet, timeout,
                                                                self.log()[-3000:]))

    def log(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def sigstop(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def sigcont(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    # REST --------------------------------------------------------------------------------

    def _url(self, path):
        return 'http://127.0.0.1:%d%s' % (self.http_port, path)

    def get_bytes(self, path, timeout=30):
        with urllib.request.urlopen(self._url(path), timeout=timeout) as r:
            return r.read()

    def get(self, path, timeout=30):
        return json.loads(self.get_bytes(path, timeout).decode('utf-8'))

    def post(self, path, body, timeout=30):
        data = json.dumps(body).encode('utf-8')
        req = urllib.request.Request(self._url(path), data=data, method='POST',
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read().decode('utf-8'))

    def instances(self):
        """{SOP Instance UID: Orthanc instance id}."""
        out = {}
        for inst in self.get('/instances?expand'):
            uid = inst.get('MainDicomTags', {}).get('SOPInstanceUID')
            if uid:
                out[uid] = inst['ID']
        return out

    def tags(self, instance_id):
        return self.get('/instances/%s/simplified-tags' % instance_id)

    def download(self, instance_id, path):
        with open(path, 'wb') as f:
            f.write(self.get_bytes('/instances/%s/file' % instance_id))
        return path

    def statistics(self):
        return self.get('/statistics')
