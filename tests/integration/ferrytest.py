# SPDX-License-Identifier: GPL-3.0-or-later
"""Harness for Ferry's integration tests.

Starts `ferry-cli serve --port 0` on a private temporary FERRY_HOME, runs DCMTK's and GDCM's
tools against it (argv lists, never a shell), generates DICOM test data with pydicom and numpy,
and compares what was archived with what was sent, element by element and byte for byte.

Every test script calls ferrytest.main(body). Exit codes follow meson's 'exitcode' protocol:
0 pass, 1 fail, 77 skip.
"""

import atexit
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

PYTHON = '/usr/bin/python3'
SKIP = 77

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))


class Skipped(Exception):
    pass


class Failure(AssertionError):
    pass


def skip(reason):
    raise Skipped(reason)


def fail(msg):
    raise Failure(msg)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def log(*args):
    print('#', *args, flush=True)


# ----------------------------------------------------------------------------------------------
# Process bookkeeping: every child is registered and killed on any exit path.

_children = []
_tempdirs = []


def _register(proc):
    _children.append(proc)
    return proc


def _kill_leftovers():
    for p in _children:
        try:
            if p.poll() is None:
                # SIGCONT first: a SIGSTOPped process must be able to die and be reaped.
                os.kill(p.pid, signal.SIGCONT)
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        except Exception:
            pass
    if not os.environ.get('FERRY_KEEP_TMP'):
        for d in _tempdirs:
            shutil.rmtree(d, ignore_errors=True)


atexit.register(_kill_leftovers)


def _on_term(signum, frame):
    # meson sends SIGTERM on timeout: leave through atexit so children die too.
    print('# terminated by signal %d' % signum, flush=True)
    sys.exit(1)


signal.signal(signal.SIGTERM, _on_term)


def main(body):
    """Runs body(); maps Failure -> 1, Skipped -> 77, anything else -> 1 with a traceback."""
    rc = 0
    start = time.monotonic()
    try:
        body()
        print('PASS (%.1f s)' % (time.monotonic() - start), flush=True)
    except Skipped as e:
        print('SKIP: %s' % e, flush=True)
        rc = SKIP
    except Failure as e:
        print('FAIL: %s' % e, flush=True)
        rc = 1
    except Exception:
        traceback.print_exc()
        print('FAIL: unexpected exception (see traceback above)', flush=True)
        rc = 1
    finally:
        sys.stdout.flush()
        _kill_leftovers()
    sys.exit(rc)


def mkdtemp(prefix='ferry-it-', dir=None):
    d = tempfile.mkdtemp(prefix=prefix, dir=dir)
    _tempdirs.append(d)
    return d


def free_port():
    """A port the OS chose; for reference servers that cannot listen on port 0 themselves."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ferry_cli():
    path = os.environ.get('FERRY_CLI')
    if not path:
        for cand in ('build-it', 'build', '_build'):
            p = os.path.join(SOURCE_ROOT, cand, 'src', 'cli', 'ferry-cli')
            if os.access(p, os.X_OK):
                path = p
                break
    if not path or not os.access(path, os.X_OK):
        fail('ferry-cli not found: set FERRY_CLI to the built binary (got %r)' % path)
    return path


def tool_env(nodelay=True):
    env = dict(os.environ)
    if nodelay:
        env['TCP_NODELAY'] = '1'
    # DCMTK looks for its dictionary itself; make sure a stray DCMDICTPATH does not break it.
    env.pop('DCMDICTPATH', None)
    return env


def _no_core_files():
    # No core files from tools that are expected to abort (gdcmscu) or from a crash under test,
    # wherever the machine's core_pattern points; children inherit the limit.
    import resource
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass


_no_core_files()


_scratch = None


def scratch_cwd():
    """A private working directory for children, so nothing lands in the source tree."""
    global _scratch
    if _scratch is None:
        _scratch = mkdtemp(prefix='ferry-cwd-')
    return _scratch


def run(argv, timeout=120, env=None, check_rc=None, input=None):
    """Runs argv (a list; never a shell) and returns CompletedProcess with text stdout+stderr."""
    assert isinstance(argv, (list, tuple)), 'argv must be a list'
    proc = _register(subprocess.Popen(list(argv), stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, cwd=scratch_cwd(),
                                      stdin=(subprocess.PIPE if input is not None
                                             else subprocess.DEVNULL),
                                      env=env if env is not None else tool_env()))
    try:
        out, _ = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        fail('command timed out after %ss: %s\n%s' % (timeout, ' '.join(argv),
                                                       out.decode('utf-8', 'replace')[-4000:]))
    text = out.decode('utf-8', 'replace')
    res = subprocess.CompletedProcess(argv, proc.returncode, text, '')
    if check_rc is not None and proc.returncode != check_rc:
        fail('%s exited %d (expected %d):\n%s' % (' '.join(argv), proc.returncode, check_rc,
                                                  text[-4000:]))
    return res


# ----------------------------------------------------------------------------------------------
# Ferry's data directory and server.

class FerryHome:
    def __init__(self, path=None, config=None):
        self.path = path or mkdtemp(prefix='ferry-home-')
        os.makedirs(self.path, exist_ok=True)
        if config is not None:
            self.write_config(config)

    @property
    def db_path(self):
        return os.path.join(self.path, 'ferry.db')

    @property
    def archive(self):
        return os.path.join(self.path, 'archive')

    @property
    def spool(self):
        return os.path.join(self.archive, '.spool')

    @property
    def config_path(self):
        return os.path.join(self.path, 'config.json')

    def write_config(self, config):
        with open(self.config_path, 'w', encoding='utf-8') as f:
            if isinstance(config, str):
                f.write(config)
            else:
                json.dump(config, f, indent=2, ensure_ascii=False)

    def env(self):
        env = tool_env()
        env['FERRY_HOME'] = self.path
        # Keep the engine away from the real user's directories whatever it does.
        env['XDG_DATA_HOME'] = os.path.join(self.path, 'xdg-data')
        env['XDG_CONFIG_HOME'] = os.path.join(self.path, 'xdg-config')
        env['XDG_CACHE_HOME'] = os.path.join(self.path, 'xdg-cache')
        env.setdefault('G_MESSAGES_DEBUG', '')
        return env

    def db(self):
        """A read-only connection to ferry.db (works while the server runs: WAL)."""
        check(os.path.exists(self.db_path), 'no database at %s' % self.db_path)
        con = sqlite3.connect('file:%s?mode=ro' % self.db_path, uri=True, timeout=10)
        con.row_factory = sqlite3.Row
        return con

    def query(self, sql, args=()):
        con = self.db()
        try:
            return [dict(r) for r in con.execute(sql, args).fetchall()]
        finally:
            con.close()

    def instances(self):
        """Every instance row joined with its series, study and patient."""
        return self.query(
            'SELECT i.*, s.series_instance_uid, s.modality, st.study_instance_uid, '
            'st.calling_ae AS study_calling_ae, p.patient_id, p.patient_name '
            'FROM instances i JOIN series s ON i.series_ref = s.id '
            'JOIN studies st ON s.study_ref = st.id JOIN patients p ON st.patient_ref = p.id')

    def instance_by_uid(self):
        out = {}
        for r in self.instances():
            out.setdefault(r['sop_instance_uid'], []).append(r)
        return out

    def archive_files(self):
        """Every regular file under archive/ (relative paths), spool included."""
        found = []
        if not os.path.isdir(self.archive):
            return found
        for root, dirs, files in os.walk(self.archive):
            for f in files:
                found.append(os.path.relpath(os.path.join(root, f), self.archive))
        return sorted(found)

    def spool_files(self):
        if not os.path.isdir(self.spool):
            return []
        return sorted(os.listdir(self.spool))

    def integrity_check(self):
        rows = self.db().execute('PRAGMA integrity_check').fetchall()
        return [r[0] for r in rows]


_LISTEN_RE = re.compile(r'Listening on port (\d+) as (\S+)')


class FerryServer:
    """`ferry-cli serve` on a FerryHome. Stopped by PID (SIGTERM, then SIGKILL if it hangs)."""

    def __init__(self, home, args=(), argv_prefix=(), start_timeout=20):
        self.home = home
        self.args = list(args)
        self.argv_prefix = list(argv_prefix)
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.ae = None
        self.lines = []
        self.exit_code = None
        self._listening = threading.Event()
        self._stderr_path = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def argv(self):
        args = self.args
        if '--port' not in args:
            args = ['--port', '0'] + args
        return self.argv_prefix + [ferry_cli(), 'serve'] + args

    def start(self, wait=True):
        self._listening.clear()
        self.lines = []
        self.exit_code = None
        n = 0
        while True:
            self._stderr_path = os.path.join(self.home.path, 'serve-stderr-%d.log' % n)
            if not os.path.exists(self._stderr_path):
                break
            n += 1
        self._stderr = open(self._stderr_path, 'wb')
        self.proc = _register(subprocess.Popen(self.argv(), stdout=subprocess.PIPE,
                                               stderr=self._stderr, stdin=subprocess.DEVNULL,
                                               env=self.home.env(), cwd=scratch_cwd()))
        t = threading.Thread(target=self._reader, args=(self.proc,), daemon=True)
        t.start()
        self._reader_thread = t
        if wait:
            self.wait_listening()
        return self

    def _reader(self, proc):
        for raw in proc.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            self.lines.append(line)
            m = _LISTEN_RE.search(line)
            if m and not self._listening.is_set():
                self.port = int(m.group(1))
                self.ae = m.group(2)
                self._listening.set()

    def wait_listening(self):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._listening.wait(0.05):
                return self.port
            if self.proc.poll() is not None:
                self._reader_thread.join(2)
                if self._listening.is_set():
                    return self.port
                fail('ferry-cli serve exited %d before listening:\n%s'
                     % (self.proc.returncode, self.output()))
        fail('ferry-cli serve printed no "Listening on port N as AE" line within %ss:\n%s'
             % (self.start_timeout, self.output()))

    def stderr_text(self):
        try:
            self._stderr.flush()
        except Exception:
            pass
        try:
            with open(self._stderr_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def output(self, limit=6000):
        text = 'stdout:\n%s\nstderr:\n%s' % ('\n'.join(self.lines), self.stderr_text())
        return text[-limit:]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20, expect=0):
        """Stops by PID and returns the exit code; fails if it hangs or exits unexpectedly."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                fail('ferry-cli serve did not exit within %ss of signal %d:\n%s'
                     % (timeout, sig, self.output()))
        self._reader_thread.join(5)
        self.exit_code = self.proc.returncode
        self._stderr.close()
        if expect is not None and self.exit_code != expect:
            fail('ferry-cli serve exited %r after signal %d, expected %r:\n%s'
                 % (self.exit_code, sig, expect, self.output()))
        return self.exit_code

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._reader_thread.join(5)
        self._stderr.close()

    def rss_kb(self):
        with open('/proc/%d/status' % self.proc.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        return None

    def established_connections(self):
        """Server-side ESTABLISHED TCP connections on our port (from /proc/net/tcp)."""
        return established_on_port(self.port)


def established_on_port(port):
    n = 0
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local = parts[1]
                    state = parts[3]
                    lport = int(local.split(':')[1], 16)
                    if lport == port and state == '01':
                        n += 1
        except OSError:
            pass
    return n


def ferry_cmd(home, args, timeout=60, input=None):
    """Runs `ferry-cli ARGS` with FERRY_HOME=home."""
    return run([ferry_cli()] + list(args), timeout=timeout, env=home.env(), input=input)


def studies_json(home):
    r = ferry_cmd(home, ['studies', '--json'])
    check(r.returncode == 0, 'ferry-cli studies --json exited %d:\n%s' % (r.returncode, r.stdout))
    # Only stdout should be JSON, but run() merges stderr: find the array.
    text = r.stdout
    start = text.find('[')
    check(start >= 0, 'ferry-cli studies --json printed no JSON array:\n%s' % text)
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError as e:
        fail('ferry-cli studies --json printed invalid JSON (%s):\n%s' % (e, text[:3000]))
    check(isinstance(data, list), 'studies --json is not an array: %r' % (data,))
    return data


# ----------------------------------------------------------------------------------------------
# DICOM tools (argv lists).

def storescu(port, files, aet='STORESCU', aec='FERRY', extra=(), timeout=180,
             nodelay=True, host='127.0.0.1'):
    argv = ['storescu', '-v', '-aet', aet, '-aec', aec] + list(extra) + [host, str(port)]
    argv += list(files)
    r = run(argv, timeout=timeout, env=tool_env(nodelay))
    r.responses = parse_storescu(r.stdout)
    return r


def storescu_popen(port, files, aet='STORESCU', aec='FERRY', extra=(), out_path=None,
                   nodelay=True, host='127.0.0.1'):
    """Starts storescu in the background with its output going to out_path."""
    argv = ['storescu', '-v', '-aet', aet, '-aec', aec] + list(extra) + [host, str(port)]
    argv += list(files)
    out = open(out_path, 'wb')
    p = _register(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=tool_env(nodelay),
                                   cwd=scratch_cwd()))
    p.out_file = out
    p.out_path = out_path
    return p


_STATUS_WORDS = {
    'Success': 0x0000,
}


def parse_storescu(text):
    """Maps every file storescu tried to the response it got.

    storescu -v prints "Sending file: PATH" (or "Sending Store Request ...") then
    "Received Store Response (STATUS)". Returns a list of (path, status_text) in order; a file
    whose store failed without response gets status_text None.
    """
    out = []
    current = None
    for line in text.splitlines():
        m = re.search(r'Sending file: (.*)$', line)
        if m:
            if current is not None:
                out.append((current, None))
            current = m.group(1).strip()
            continue
        m = re.search(r'Received Store Response \((.*)\)\s*$', line)
        if m and current is not None:
            out.append((current, m.group(1)))
            current = None
    if current is not None:
        out.append((current, None))
    return out


def acked_files(responses):
    return [p for p, s in responses if s is not None and s.startswith('Success')]


def echoscu(port, aet='ECHOSCU', aec='FERRY', timeout=30, host='127.0.0.1'):
    return run(['echoscu', '-v', '-aet', aet, '-aec', aec, host, str(port)],
               timeout=timeout)


def gdcmscu_store(port, files, aet='GDCM', aec='FERRY', timeout=180, host='127.0.0.1'):
    """gdcmscu --store, one file per call (Debian 12's build aborts on exit after a successful
    transfer, so its exit code is not a verdict: judge by what arrived)."""
    results = []
    for f in files:
        r = run(['gdcmscu', '--store', '--call', aec, '--aetitle', aet, '-p', str(port),
                 '-i', f, host], timeout=timeout)
        results.append(r)
    return results


# ----------------------------------------------------------------------------------------------
# Minimal DICOM upper-layer client (for what the tools cannot do: a C-STORE whose command and
# dataset disagree, exact status words, hand-made byte streams, a partial PDU).

IMPLICIT_LE = '1.2.840.10008.1.2'
EXPLICIT_LE = '1.2.840.10008.1.2.1'
JPEG_BASELINE = '1.2.840.10008.1.2.4.50'
JPEG_LS_LOSSLESS = '1.2.840.10008.1.2.4.80'
RLE_LOSSLESS = '1.2.840.10008.1.2.5'
VERIFICATION = '1.2.840.10008.1.1'
CT_STORAGE = '1.2.840.10008.5.1.4.1.1.2'
MR_STORAGE = '1.2.840.10008.5.1.4.1.1.4'
US_STORAGE = '1.2.840.10008.5.1.4.1.1.6.1'
US_MF_STORAGE = '1.2.840.10008.5.1.4.1.1.3.1'
SC_STORAGE = '1.2.840.10008.5.1.4.1.1.7'
APP_CONTEXT = '1.2.840.10008.3.1.1.1'


def _uid_bytes(uid):
    b = uid.encode('ascii')
    if len(b) % 2:
        b += b'\0'
    return b


def _item(item_type, payload):
    return struct.pack('>BBH', item_type, 0, len(payload)) + payload


def associate_rq_pdu(called, calling, contexts, max_pdu=131072):
    """contexts: list of (pcid, abstract_syntax, [transfer syntaxes])."""
    body = struct.pack('>HH', 1, 0)
    body += called.encode('ascii').ljust(16)[:16] + calling.encode('ascii').ljust(16)[:16]
    body += b'\0' * 32
    body += _item(0x10, APP_CONTEXT.encode('ascii'))
    for pcid, asx, tsl in contexts:
        sub = _item(0x30, asx.encode('ascii'))
        for ts in tsl:
            sub += _item(0x40, ts.encode('ascii'))
        body += _item(0x20, struct.pack('>BBBB', pcid, 0, 0, 0) + sub)
    ui = _item(0x51, struct.pack('>I', max_pdu))
    ui += _item(0x52, b'1.2.826.0.1.3680043.9.7433.1.1')
    ui += _item(0x55, b'FERRYTEST')
    body += _item(0x50, ui)
    return struct.pack('>BBI', 1, 0, len(body)) + body


def _elem_implicit(group, elem, value):
    return struct.pack('<HHI', group, elem, len(value)) + value


def command_set(fields):
    """fields: list of (elem, bytes) in group 0000, ascending. Adds the group length."""
    body = b''.join(_elem_implicit(0, e, v) for e, v in fields)
    return _elem_implicit(0, 0, struct.pack('<I', len(body))) + body


def parse_implicit(data):
    out = {}
    off = 0
    while off + 8 <= len(data):
        g, e, n = struct.unpack_from('<HHI', data, off)
        off += 8
        out[(g, e)] = data[off:off + n]
        off += n
    return out


class RawAssociationError(Exception):
    pass


class RawAssociation:
    """A blocking DICOM association on a plain socket."""

    def __init__(self, port, called='FERRY', calling='RAWSCU', contexts=None, host='127.0.0.1',
                 timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.accepted = {}
        self.peer_max_pdu = 16384
        self.rejection = None
        self.sock.sendall(associate_rq_pdu(called, calling, contexts or []))
        ptype, body = self.read_pdu()
        if ptype == 3:
            self.rejection = tuple(body[1:4])  # result, source, reason
            self.sock.close()
            raise RawAssociationError('association rejected: result %d source %d reason %d'
                                      % self.rejection)
        if ptype != 2:
            raise RawAssociationError('unexpected PDU type %d in reply to A-ASSOCIATE-RQ' % ptype)
        off = 68
        while off + 4 <= len(body):
            itype, _, ilen = struct.unpack_from('>BBH', body, off)
            payload = body[off + 4:off + 4 + ilen]
            if itype == 0x21:
                pcid, _, result, _ = struct.unpack_from('>BBBB', payload, 0)
                ts = None
                if len(payload) > 8:
                    _, _, tlen = struct.unpack_from('>BBH', payload, 4)
                    ts = payload[8:8 + tlen].decode('ascii').rstrip('\0 ')
                if result == 0:
                    self.accepted[pcid] = ts
            elif itype == 0x50:
                uoff = 0
                while uoff + 4 <= len(payload):
                    st, _, sl = struct.unpack_from('>BBH', payload, uoff)
                    if st == 0x51:
                        mx = struct.unpack_from('>I', payload, uoff + 4)[0]
                        self.peer_max_pdu = mx or (1 << 30)
                    uoff += 4 + sl
            off += 4 + ilen

    def _recv_exact(self, n):
        buf = b''
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RawAssociationError('connection closed by peer')
            buf += chunk
        return buf

    def read_pdu(self):
        head = self._recv_exact(6)
        ptype, _, length = struct.unpack('>BBI', head)
        return ptype, self._recv_exact(length)

    def _send_pdvs(self, pcid, data, is_command):
        maxlen = max(1024, min(self.peer_max_pdu, 1 << 20) - 6)
        off = 0
        while True:
            chunk = data[off:off + maxlen]
            off += len(chunk)
            last = off >= len(data)
            mch = (1 if is_command else 0) | (2 if last else 0)
            pdv = struct.pack('>IBB', len(chunk) + 2, pcid, mch) + chunk
            self.sock.sendall(struct.pack('>BBI', 4, 0, len(pdv)) + pdv)
            if last:
                break

    def read_message(self):
        """Reads one DIMSE command (and ignores a dataset); returns the command's elements."""
        cmd = b''
        while True:
            ptype, body = self.read_pdu()
            if ptype == 7:
                raise RawAssociationError('peer aborted the association (A-ABORT)')
            if ptype != 4:
                raise RawAssociationError('unexpected PDU type %d' % ptype)
            off = 0
            done = False
            while off < len(body):
                ln, pcid, mch = struct.unpack_from('>IBB', body, off)
                frag = body[off + 6:off + 4 + ln]
                off += 4 + ln
                if mch & 1:
                    cmd += frag
                    if mch & 2:
                        done = True
            if done:
                return parse_implicit(cmd)

    def echo(self, pcid=1, msgid=1):
        c = command_set([(0x0002, _uid_bytes(VERIFICATION)),
                         (0x0100, struct.pack('<H', 0x0030)),
                         (0x0110, struct.pack('<H', msgid)),
                         (0x0800, struct.pack('<H', 0x0101))])
        self._send_pdvs(pcid, c, True)
        rsp = self.read_message()
        return struct.unpack('<H', rsp[(0, 0x0900)])[0]

    def store(self, pcid, sop_class, sop_instance, dataset_bytes, msgid=1):
        """Sends C-STORE-RQ with the given command UIDs and dataset; returns (status, rsp)."""
        c = command_set([(0x0002, _uid_bytes(sop_class)),
                         (0x0100, struct.pack('<H', 0x0001)),
                         (0x0110, struct.pack('<H', msgid)),
                         (0x0700, struct.pack('<H', 0)),
                         (0x0800, struct.pack('<H', 0x0000)),
                         (0x1000, _uid_bytes(sop_instance))])
        self._send_pdvs(pcid, c, True)
        self._send_pdvs(pcid, dataset_bytes, False)
        rsp = self.read_message()
        return struct.unpack('<H', rsp[(0, 0x0900)])[0], rsp

    def release(self):
        try:
            self.sock.sendall(struct.pack('>BBI', 5, 0, 4) + b'\0\0\0\0')
            self.read_pdu()
        except Exception:
            pass
        finally:
            self.sock.close()

    def close(self):
        self.sock.close()


def dataset_bytes(ds, implicit=False):
    """Encodes a pydicom Dataset (no meta) in implicit or explicit VR little endian."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = implicit
    write_dataset(fp, ds)
    return fp.getvalue()


# ----------------------------------------------------------------------------------------------
# Test data.

def new_uid():
    import uuid
    return '2.25.%d' % uuid.uuid4().int


NAME_LATIN1 = 'MUÑOZ^JOSÉ'
NAME_UTF8 = 'NÚÑEZ^MARÍA'
NAME_NO_SCS = 'GONZÁLEZ^IÑIGO'
NAME_ASCII = 'DOE^JOHN'


def _base_dataset(sop_class, patient, study, series, modality, number):
    from pydicom.dataset import Dataset, FileMetaDataset
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    sop_uid = new_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.file_meta.ImplementationClassUID = '1.2.826.0.1.3680043.9.7433.1.2'
    ds.file_meta.ImplementationVersionName = 'FERRYTESTGEN'
    if patient.get('charset'):
        ds.SpecificCharacterSet = patient['charset']
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = study['date']
    ds.StudyTime = '101500'
    ds.ContentDate = study['date']
    ds.ContentTime = '101501'
    ds.AccessionNumber = study['accession']
    ds.Modality = modality
    ds.Manufacturer = 'Ferry Test'
    ds.InstitutionName = patient.get('institution', 'Hospital Ñandú')
    ds.ReferringPhysicianName = 'REFERRER^ÁNGEL'
    ds.StudyDescription = study['description']
    ds.SeriesDescription = series['description']
    ds.PatientName = patient['name']
    ds.PatientID = patient['id']
    ds.PatientBirthDate = '19700101'
    ds.PatientSex = 'F'
    ds.StudyInstanceUID = study['uid']
    ds.SeriesInstanceUID = series['uid']
    ds.StudyID = '1'
    ds.SeriesNumber = series['number']
    ds.InstanceNumber = number
    # A private block and a nested sequence, so that comparisons look at more than the basics.
    blk = ds.private_block(0x0029, 'FERRY TEST', create=True)
    blk.add_new(0x10, 'LO', 'private value')
    item = Dataset()
    item.CodeValue = 'T-D1100'
    item.CodingSchemeDesignator = 'SRT'
    item.CodeMeaning = 'Abdomen'
    ds.AnatomicRegionSequence = [item]
    return ds


def _pixels(ds, kind, rows, cols, frames, rng):
    import numpy as np
    ds.Rows = rows
    ds.Columns = cols
    if kind == 'rgb':
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = 'RGB'
        ds.PlanarConfiguration = 0
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        shape = (frames, rows, cols, 3)
        # Smooth gradients plus noise: realistic for the codecs, and every byte differs.
        y, x = np.mgrid[0:rows, 0:cols]
        base = np.stack([(x * 255 // max(cols - 1, 1)), (y * 255 // max(rows - 1, 1)),
                         ((x + y) % 256)], axis=-1).astype(np.int32)
        arr = np.empty(shape, dtype=np.uint8)
        for f in range(frames):
            noise = rng.integers(0, 16, size=(rows, cols, 3))
            arr[f] = np.clip(base + noise + f * 3, 0, 255).astype(np.uint8)
    elif kind == 'mono8':
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = 'MONOCHROME2'
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        y, x = np.mgrid[0:rows, 0:cols]
        arr = ((x + 2 * y) % 256).astype(np.uint8)[None, ...].repeat(frames, axis=0)
        arr = arr + rng.integers(0, 8, size=arr.shape).astype(np.uint8)
    elif kind in ('ct', 'mr'):
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = 'MONOCHROME2'
        ds.BitsAllocated = 16
        ds.BitsStored = 12 if kind == 'mr' else 16
        ds.HighBit = ds.BitsStored - 1
        signed = kind == 'ct'
        ds.PixelRepresentation = 1 if signed else 0
        y, x = np.mgrid[0:rows, 0:cols]
        r2 = (x - cols / 2) ** 2 + (y - rows / 2) ** 2
        if signed:
            base = np.where(r2 < (rows / 2.5) ** 2, 40, -1000) + (x % 50)
            arr = (base + rng.integers(-20, 20, size=(rows, cols))).astype(np.int16)
            ds.RescaleIntercept = 0
            ds.RescaleSlope = 1
            ds.WindowCenter = 40
            ds.WindowWidth = 400
        else:
            base = (np.sqrt(r2) * 20) % 4000
            arr = (base + rng.integers(0, 64, size=(rows, cols))).astype(np.uint16)
        arr = arr[None, ...].repeat(frames, axis=0)
    else:
        raise ValueError(kind)
    if frames > 1:
        ds.NumberOfFrames = frames
        ds.FrameTime = 33.3
        ds.FrameIncrementPointer = 0x00181063
    ds.PixelData = arr.tobytes() if frames > 1 else arr[0].tobytes()


def _save(ds, path, ts):
    from pydicom.uid import UID
    ds.file_meta.TransferSyntaxUID = UID(ts)
    ds.is_little_endian = True
    ds.is_implicit_VR = ts == IMPLICIT_LE
    ds.save_as(path, write_like_original=False)


def _compress(tool, src, dst, extra=()):
    r = run([tool] + list(extra) + [src, dst], timeout=120)
    check(r.returncode == 0 and os.path.exists(dst),
          '%s failed on %s:\n%s' % (tool, src, r.stdout))
    os.unlink(src)


def _remove_charset(path):
    r = run(['dcmodify', '-nb', '-ea', '(0008,0005)', path], timeout=60)
    check(r.returncode == 0, 'dcmodify failed on %s:\n%s' % (path, r.stdout))


def generate_set(outdir, tag='A', seed=1):
    """Writes the standard test set into outdir and returns a manifest: a list of dicts with
    path, sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, patient_id,
    patient_name (as Ferry must index it, UTF-8), modality, transfer_syntax."""
    import numpy as np
    rng = np.random.default_rng(seed)
    os.makedirs(outdir, exist_ok=True)
    patients = {
        'latin1': {'name': NAME_LATIN1, 'id': 'PID-L1-' + tag, 'charset': 'ISO_IR 100'},
        'utf8': {'name': NAME_UTF8, 'id': 'PID-U8-' + tag, 'charset': 'ISO_IR 192'},
        'noscs': {'name': NAME_NO_SCS, 'id': 'PID-NS-' + tag, 'charset': 'ISO_IR 100',
                  'strip_charset': True},
        'ascii': {'name': NAME_ASCII, 'id': 'PID-AS-' + tag, 'charset': None,
                  'institution': 'General Hospital'},
    }
    studies = {}
    for k in patients:
        studies[k] = {'uid': new_uid(), 'date': '20240315', 'accession': 'ACC%s%s' % (tag, k[:3]),
                      'description': 'Study %s %s' % (tag, k)}
    # (patient, modality, sop class, pixel kind, rows, cols, frames, transfer syntax)
    plan = [
        ('latin1', 'CT', CT_STORAGE, 'ct', 64, 64, 1, IMPLICIT_LE),
        ('latin1', 'CT', CT_STORAGE, 'ct', 64, 64, 1, EXPLICIT_LE),
        ('latin1', 'CT', CT_STORAGE, 'ct', 64, 64, 1, JPEG_LS_LOSSLESS),
        ('utf8', 'MR', MR_STORAGE, 'mr', 64, 48, 1, IMPLICIT_LE),
        ('utf8', 'MR', MR_STORAGE, 'mr', 64, 48, 1, EXPLICIT_LE),
        ('utf8', 'MR', MR_STORAGE, 'mr', 64, 48, 1, RLE_LOSSLESS),
        ('noscs', 'US', US_STORAGE, 'rgb', 60, 80, 1, EXPLICIT_LE),
        ('noscs', 'US', US_STORAGE, 'rgb', 60, 80, 1, JPEG_BASELINE),
        ('noscs', 'US', US_STORAGE, 'rgb', 60, 80, 1, JPEG_LS_LOSSLESS),
        ('noscs', 'US', US_MF_STORAGE, 'rgb', 48, 64, 8, EXPLICIT_LE),
        ('noscs', 'US', US_MF_STORAGE, 'rgb', 48, 64, 8, RLE_LOSSLESS),
        ('ascii', 'OT', SC_STORAGE, 'mono8', 64, 64, 1, IMPLICIT_LE),
        ('ascii', 'OT', SC_STORAGE, 'mono8', 64, 64, 1, JPEG_BASELINE),
    ]
    series = {}
    manifest = []
    for n, (pk, modality, sop_class, kind, rows, cols, frames, ts) in enumerate(plan, 1):
        p = patients[pk]
        skey = (pk, sop_class)
        if skey not in series:
            series[skey] = {'uid': new_uid(), 'number': len(series) + 1,
                            'description': '%s %s series' % (modality, kind)}
        ds = _base_dataset(sop_class, p, studies[pk], series[skey], modality, n)
        if sop_class == SC_STORAGE:
            ds.ConversionType = 'WSD'
        _pixels(ds, kind, rows, cols, frames, rng)
        name = '%s%02d_%s_%s.dcm' % (tag, n, modality, ts.split('.')[-1])
        path = os.path.join(outdir, name)
        if ts in (IMPLICIT_LE, EXPLICIT_LE):
            _save(ds, path, ts)
        else:
            tmp = path + '.raw.dcm'
            _save(ds, tmp, EXPLICIT_LE)
            if ts == JPEG_BASELINE:
                _compress('dcmcjpeg', tmp, path, ['+eb'])
            elif ts == JPEG_LS_LOSSLESS:
                _compress('dcmcjpls', tmp, path, ['+el'])
            elif ts == RLE_LOSSLESS:
                _compress('dcmcrle', tmp, path)
        if p.get('strip_charset'):
            _remove_charset(path)
        import pydicom
        chk = pydicom.dcmread(path, stop_before_pixels=True)
        check(str(chk.file_meta.TransferSyntaxUID) == ts,
              'generator: %s has transfer syntax %s, wanted %s'
              % (path, chk.file_meta.TransferSyntaxUID, ts))
        if p.get('strip_charset'):
            check('SpecificCharacterSet' not in chk, 'generator: %s still has SCS' % path)
        manifest.append({
            'path': path,
            'sop_instance_uid': str(chk.SOPInstanceUID),
            'sop_class_uid': str(chk.SOPClassUID),
            'study_instance_uid': studies[pk]['uid'],
            'series_instance_uid': series[skey]['uid'],
            'patient_id': p['id'],
            'patient_name': p['name'],
            'modality': modality,
            'transfer_syntax': ts,
        })
    return manifest


def simple_ct(path, patient_name='CRASH^TEST', patient_id='PID-CRASH', study_uid=None,
              series_uid=None, number=1, rows=64, cols=64, rng=None):
    """One small uncompressed CT (explicit LE). Returns its SOP Instance UID."""
    import numpy as np
    rng = rng if rng is not None else np.random.default_rng(number)
    study = {'uid': study_uid or new_uid(), 'date': '20240316', 'accession': 'ACCCRASH',
             'description': 'generated'}
    series = {'uid': series_uid or new_uid(), 'number': 1, 'description': 'CT series'}
    ds = _base_dataset(CT_STORAGE, {'name': patient_name, 'id': patient_id,
                                    'charset': 'ISO_IR 192'}, study, series, 'CT', number)
    _pixels(ds, 'ct', rows, cols, 1, rng)
    _save(ds, path, EXPLICIT_LE)
    return str(ds.SOPInstanceUID)


def ct_series(outdir, count, prefix='ct', **kw):
    """count small CT files of one study and series. Returns [(path, sop_uid)]."""
    import numpy as np
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(count)
    study_uid, series_uid = new_uid(), new_uid()
    out = []
    for i in range(count):
        p = os.path.join(outdir, '%s%04d.dcm' % (prefix, i))
        uid = simple_ct(p, study_uid=study_uid, series_uid=series_uid, number=i + 1, rng=rng, **kw)
        out.append((p, uid))
    return out


def big_multiframe(path, megabytes=200, rows=600, cols=800):
    """A US multi-frame of about `megabytes` MB (RGB, uncompressed), written without holding
    all frames in memory twice."""
    import numpy as np
    frame_bytes = rows * cols * 3
    frames = max(1, (megabytes * 1000 * 1000) // frame_bytes)
    study = {'uid': new_uid(), 'date': '20240317', 'accession': 'ACCBIG', 'description': 'big'}
    series = {'uid': new_uid(), 'number': 1, 'description': 'cine'}
    ds = _base_dataset(US_MF_STORAGE, {'name': 'BIG^CINE', 'id': 'PID-BIG', 'charset': None},
                       study, series, 'US', 1)
    rng = np.random.default_rng(7)
    _pixels(ds, 'rgb', rows, cols, 1, rng)
    one = ds.PixelData
    ds.NumberOfFrames = frames
    ds.FrameTime = 33.3
    ds.FrameIncrementPointer = 0x00181063
    ds.PixelData = one * frames
    _save(ds, path, EXPLICIT_LE)
    return str(ds.SOPInstanceUID), frames


# ----------------------------------------------------------------------------------------------
# Comparisons.

def _raw_value(ds, tag):
    from pydicom.dataelem import RawDataElement
    elem = ds.get_item(tag)
    if isinstance(elem, RawDataElement):
        return elem.VR, elem.value, True
    return elem.VR, elem.value, False


def _vr_of(ds, tag, vr):
    if vr:
        return vr
    from pydicom.datadict import dictionary_VR
    try:
        return dictionary_VR(tag)
    except KeyError:
        return 'UN'


_TEXT_VRS = {'AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC',
             'UI', 'UR', 'UT'}


def compare_datasets(a, b, path='', diffs=None):
    """Compares two pydicom datasets element by element on their raw (undecoded) values.
    Returns a list of human-readable differences (empty when identical)."""
    diffs = [] if diffs is None else diffs
    tags_a = set(t for t in a.keys() if t.group != 0x0002)
    tags_b = set(t for t in b.keys() if t.group != 0x0002)
    for t in sorted(tags_a - tags_b):
        diffs.append('%s%s missing in archived copy' % (path, t))
    for t in sorted(tags_b - tags_a):
        diffs.append('%s%s added in archived copy' % (path, t))
    for t in sorted(tags_a & tags_b):
        vra, va, rawa = _raw_value(a, t)
        vrb, vb, rawb = _raw_value(b, t)
        vra = _vr_of(a, t, vra)
        vrb = _vr_of(b, t, vrb)
        if 'SQ' in (vra, vrb) or isinstance(va, list) and not isinstance(va, (bytes, str)) \
                and vra == 'SQ':
            sa = a[t].value
            sb = b[t].value
            if len(sa) != len(sb):
                diffs.append('%s%s sequence has %d items sent, %d archived'
                             % (path, t, len(sa), len(sb)))
                continue
            for i, (ia, ib) in enumerate(zip(sa, sb)):
                compare_datasets(ia, ib, '%s%s[%d].' % (path, t, i), diffs)
            continue
        if rawa and rawb:
            if va != vb:
                if vra in _TEXT_VRS and va is not None and vb is not None and \
                        va.rstrip(b' \0') == vb.rstrip(b' \0'):
                    continue
                va = va or b''
                vb = vb or b''
                first = next((i for i, (x, y) in enumerate(zip(va, vb)) if x != y),
                             min(len(va), len(vb)))
                diffs.append('%s%s (%s) differs: %d bytes sent, %d archived, first difference '
                             'at byte %d: sent %r archived %r'
                             % (path, t, vra, len(va), len(vb), first, va[first:first + 24],
                                vb[first:first + 24]))
        else:
            if a[t].value != b[t].value:
                diffs.append('%s%s (%s) differs: sent %r archived %r'
                             % (path, t, vra, str(a[t].value)[:60], str(b[t].value)[:60]))
    return diffs


def compare_files(sent_path, archived_path):
    """Differences between a sent file and its archived copy (group 0002 excluded), including
    the exact pixel data bytes and the transfer syntax."""
    import pydicom
    a = pydicom.dcmread(sent_path)
    b = pydicom.dcmread(archived_path)
    diffs = []
    tsa = str(a.file_meta.TransferSyntaxUID)
    tsb = str(b.file_meta.TransferSyntaxUID)
    if tsa != tsb:
        diffs.append('transfer syntax: sent %s, archived %s' % (tsa, tsb))
    if str(b.file_meta.get('MediaStorageSOPInstanceUID', '')) != str(a.SOPInstanceUID):
        diffs.append('archived meta MediaStorageSOPInstanceUID %r != SOP Instance UID %r'
                     % (b.file_meta.get('MediaStorageSOPInstanceUID'), a.SOPInstanceUID))
    compare_datasets(a, b, '', diffs)
    pa = a.get_item(0x7FE00010)
    pb = b.get_item(0x7FE00010)
    if pa is not None and (pb is None or pa.value != pb.value):
        diffs.append('pixel data bytes differ (%d sent, %s archived)'
                     % (len(pa.value), len(pb.value) if pb is not None else 'none'))
    return diffs


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def wait_for(cond, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    return cond()


def assert_archived(home, manifest, calling_ae=None, compare=True, allow_duplicates=False):
    """Every manifest entry is in the DB with the right patient and study, its archive file
    exists, matches sha256/size in its row, and equals the sent file element by element."""
    rows = home.instance_by_uid()
    problems = []
    for m in manifest:
        uid = m['sop_instance_uid']
        rs = rows.get(uid)
        if not rs:
            problems.append('%s (%s): no instances row' % (os.path.basename(m['path']), uid))
            continue
        if len(rs) != 1 and not allow_duplicates:
            problems.append('%s: %d instance rows for one object' % (uid, len(rs)))
        r = rs[0]
        fp = r['file_path'] or ''
        if os.path.isabs(fp) or '..' in fp.split('/'):
            problems.append('%s: file_path %r is not relative to archive/' % (uid, fp))
            continue
        if uid in fp:
            problems.append('%s: archive path %r is named from the UID' % (uid, fp))
        full = os.path.join(home.archive, fp)
        if not os.path.isfile(full):
            problems.append('%s: archive file %s missing' % (uid, full))
            continue
        if r['sha256'] != sha256_file(full):
            problems.append('%s: sha256 in DB %s != file %s'
                            % (uid, r['sha256'], sha256_file(full)))
        if r['size'] != os.path.getsize(full):
            problems.append('%s: size in DB %s != file %d'
                            % (uid, r['size'], os.path.getsize(full)))
        for key in ('patient_id', 'patient_name', 'study_instance_uid', 'series_instance_uid',
                    'modality', 'sop_class_uid'):
            if key in m and r.get(key) != m[key]:
                problems.append('%s (%s): %s in DB is %r, expected %r'
                                % (os.path.basename(m['path']), uid, key, r.get(key), m[key]))
        if 'transfer_syntax' in m and r['transfer_syntax_uid'] != m['transfer_syntax']:
            problems.append('%s: transfer_syntax_uid in DB %r, sent %r'
                            % (os.path.basename(m['path']), r['transfer_syntax_uid'],
                               m['transfer_syntax']))
        if calling_ae is not None and r['calling_ae'] != calling_ae:
            problems.append('%s: calling_ae %r, expected %r' % (uid, r['calling_ae'], calling_ae))
        if compare:
            d = compare_files(m['path'], full)
            if d:
                problems.append('%s: archived copy differs from sent file:\n    %s'
                                % (os.path.basename(m['path']), '\n    '.join(d[:10])))
    check(not problems, 'archive/index check failed:\n  ' + '\n  '.join(problems))


def assert_no_partial_files(home, allowed_rel_paths):
    """Nothing under archive/ but the files the DB knows of, and an empty .spool."""
    allowed = set(allowed_rel_paths)
    spool = home.spool_files()
    check(not spool, 'archive/.spool is not empty: %s' % spool)
    extra = [f for f in home.archive_files() if f not in allowed]
    check(not extra, 'files under archive/ that no database row refers to: %s' % extra[:20])


# ----------------------------------------------------------------------------------------------
# Hostile input.

def _explicit(tag_group, tag_elem, vr, value):
    vr_b = vr.encode('ascii')
    if vr in ('OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR', 'OF', 'OD', 'OL'):
        return struct.pack('<HH2sHI', tag_group, tag_elem, vr_b, 0, len(value)) + value
    return struct.pack('<HH2sH', tag_group, tag_elem, vr_b, len(value)) + value


def _text(s, pad=b' '):
    b = s.encode('ascii')
    return b + (pad if len(b) % 2 else b'')


def nested_sequence_dataset(depth, sop_class=SC_STORAGE, sop_uid=None):
    """Explicit VR little endian dataset bytes with `depth` nested undefined-length sequences
    (0040,A730) inside each other. Returns (bytes, sop_instance_uid)."""
    sop_uid = sop_uid or new_uid()
    head = b''.join([
        _explicit(0x0008, 0x0016, 'UI', _text(sop_class, b'\0')),
        _explicit(0x0008, 0x0018, 'UI', _text(sop_uid, b'\0')),
        _explicit(0x0008, 0x0060, 'CS', _text('OT')),
        _explicit(0x0010, 0x0010, 'PN', _text('NESTED^SEQUENCES')),
        _explicit(0x0010, 0x0020, 'LO', _text('PID-NESTED')),
        _explicit(0x0020, 0x000D, 'UI', _text(new_uid(), b'\0')),
        _explicit(0x0020, 0x000E, 'UI', _text(new_uid(), b'\0')),
    ])
    open_sq = struct.pack('<HH2sHI', 0x0040, 0xA730, b'SQ', 0, 0xFFFFFFFF)
    open_item = struct.pack('<HHI', 0xFFFE, 0xE000, 0xFFFFFFFF)
    close_item = struct.pack('<HHI', 0xFFFE, 0xE00D, 0)
    close_sq = struct.pack('<HHI', 0xFFFE, 0xE0DD, 0)
    body = (open_sq + open_item) * depth + (close_item + close_sq) * depth
    return head + body, sop_uid


def part10_bytes(dataset, sop_class, sop_uid, ts=EXPLICIT_LE):
    """A Part 10 file: preamble, DICM, group 0002 (explicit LE), then the dataset bytes."""
    meta_elems = [
        _explicit(0x0002, 0x0001, 'OB', b'\x00\x01'),
        _explicit(0x0002, 0x0002, 'UI', _text(sop_class, b'\0')),
        _explicit(0x0002, 0x0003, 'UI', _text(sop_uid, b'\0')),
        _explicit(0x0002, 0x0010, 'UI', _text(ts, b'\0')),
        _explicit(0x0002, 0x0012, 'UI', _text('1.2.826.0.1.3680043.9.7433.1.2', b'\0')),
    ]
    meta = b''.join(meta_elems)
    group_len = _explicit(0x0002, 0x0000, 'UL', struct.pack('<I', len(meta)))
    return b'\0' * 128 + b'DICM' + group_len + meta + dataset
