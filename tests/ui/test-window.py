#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the real `ferry` window under Xvfb and a private D-Bus session, sends it a study with
# DCMTK's storescu, and checks that the Studies page shows it. GTK 4.8 has no widget
# automation, so the test reads what the window says about itself on stderr ("Studies page
# shows N studies"), drives it through its exported GActions (app.preferences, app.quit), and
# keeps screenshots of the empty state, the list and the settings as artifacts.
#
# With --busy, ferry-cli serve owns the data directory first and the window must say so.
#
# Environment: FERRY_BIN (the built window), FERRY_CLI (ferry-cli, for --busy),
# FERRY_UI_ARTIFACTS (where the screenshots go).
# Exit status 77 means a tool the test needs is missing (meson reports it as skipped).

import ctypes
import ctypes.util
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

APP_ID = 'io.github.ferrydicom.Ferry'
OBJECT_PATH = '/io/github/ferrydicom/Ferry'
SKIP = 77


def log(message):
    print(f'# {message}', flush=True)


def require(*tools):
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        log(f'skipping: missing {", ".join(missing)}')
        sys.exit(SKIP)


class StderrWatcher:
    """Collects the child's stderr lines and lets the test wait for one that matches."""

    def __init__(self, stream, copy_path):
        self.lines = []
        self.cond = threading.Condition()
        self.copy = open(copy_path, 'w', encoding='utf-8')
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for raw in stream:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            self.copy.write(line + '\n')
            self.copy.flush()
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def wait_for(self, pattern, timeout, start=0):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    match = regex.search(line)
                    if match:
                        return match
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.cond.wait(remaining)


def start_xvfb():
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(['Xvfb', '-displayfd', str(write_fd), '-screen', '0', '1280x800x24',
                             '-nolisten', 'tcp'],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        display = pipe.readline().strip()
    if not display:
        xvfb.kill()
        raise RuntimeError('Xvfb did not report a display')
    return xvfb, f':{display}'


def screenshot(display, path):
    subprocess.run(['import', '-display', display, '-window', 'root', path], check=True)
    colours = int(subprocess.run(['identify', '-format', '%k', path], check=True,
                                 capture_output=True, text=True).stdout.strip())
    size = subprocess.run(['identify', '-format', '%wx%h', path], check=True,
                          capture_output=True, text=True).stdout.strip()
    log(f'screenshot {path}: {size}, {colours} colours')
    return colours


def activate_action(name, check=True):
    # app.quit may end the process before it answers, so its caller does not check.
    subprocess.run(['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', OBJECT_PATH,
                    '--method', 'org.gtk.Actions.Activate', name, '[]', '{}'],
                   check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)


def activate_application():
    subprocess.run(['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', OBJECT_PATH,
                    '--method', 'org.gtk.Application.Activate', '{}'],
                   check=True, stdout=subprocess.DEVNULL, timeout=10)


def find_window(display, title):
    tree = subprocess.run(['xwininfo', '-display', display, '-root', '-tree'], check=True,
                          capture_output=True, text=True).stdout
    for line in tree.splitlines():
        match = re.match(r'\s*(0x[0-9a-f]+) "([^"]*)": .* (\d+)x(\d+)\+', line)
        if match and match.group(2) == title and int(match.group(3)) > 100:
            return int(match.group(1), 16)
    return None


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [('type', ctypes.c_int), ('serial', ctypes.c_ulong), ('send_event', ctypes.c_int),
                ('display', ctypes.c_void_p), ('window', ctypes.c_ulong),
                ('message_type', ctypes.c_ulong), ('format', ctypes.c_int),
                ('data', ctypes.c_long * 5)]


class XEvent(ctypes.Union):
    _fields_ = [('xclient', XClientMessageEvent), ('pad', ctypes.c_long * 24)]


def close_window(display, window):
    """Asks the window to close the way a window manager's close button does."""
    xlib = ctypes.CDLL(ctypes.util.find_library('X11'))
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                                ctypes.POINTER(XEvent)]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]

    dpy = xlib.XOpenDisplay(display.encode())
    if not dpy:
        raise RuntimeError(f'cannot open display {display}')
    event = XEvent()
    event.xclient.type = 33  # ClientMessage
    event.xclient.window = window
    event.xclient.message_type = xlib.XInternAtom(dpy, b'WM_PROTOCOLS', 0)
    event.xclient.format = 32
    event.xclient.data[0] = xlib.XInternAtom(dpy, b'WM_DELETE_WINDOW', 0)
    event.xclient.data[1] = 0  # CurrentTime
    xlib.XSendEvent(dpy, window, 0, 0, ctypes.byref(event))
    xlib.XFlush(dpy)
    xlib.XCloseDisplay(dpy)


def send_study(path, ae_title, port):
    sent = subprocess.run(['storescu', '-aet', 'UITEST', '-aec', ae_title,
                           '127.0.0.1', str(port), path],
                          capture_output=True, text=True, timeout=60)
    if sent.returncode != 0:
        raise AssertionError(f'storescu failed ({sent.returncode}): {sent.stderr}')


def write_study(path, patient_name='UITEST^PATIENT', patient_id='UITEST-1'):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    today = datetime.date.today().strftime('%Y%m%d')
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.6.1'  # Ultrasound Image Storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian

    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SpecificCharacterSet = 'ISO_IR 192'
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = '19700115'
    ds.PatientSex = 'F'
    ds.StudyDate = today
    ds.StudyTime = '101500'
    ds.StudyDescription = 'UI test abdomen'
    ds.AccessionNumber = 'ACC-UI-1'
    ds.StudyID = '1'
    ds.Modality = 'US'
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Rows = 64
    ds.Columns = 64
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes((x * 4 + y) % 256 for y in range(64) for x in range(64))
    ds.save_as(path, write_like_original=False)


def main():
    require('Xvfb', 'dbus-run-session', 'gdbus', 'storescu', 'import', 'identify')
    busy = '--busy' in sys.argv

    # Everything below talks to the window over D-Bus, so the whole test runs inside one
    # private session bus.
    if os.environ.get('FERRY_UI_TEST_BUS') != '1':
        os.environ['FERRY_UI_TEST_BUS'] = '1'
        os.execvp('dbus-run-session', ['dbus-run-session', '--', sys.executable] + sys.argv)

    ferry_bin = os.environ['FERRY_BIN']
    artifacts = os.environ.get('FERRY_UI_ARTIFACTS', os.getcwd())
    os.makedirs(artifacts, exist_ok=True)

    home = tempfile.mkdtemp(prefix='ferry-ui-')
    xvfb, display = start_xvfb()
    ferry = None
    failures = []

    try:
        env = dict(os.environ)
        env.update({
            'FERRY_HOME': os.path.join(home, 'ferry'),
            'XDG_CONFIG_HOME': os.path.join(home, 'config'),
            'XDG_DATA_HOME': os.path.join(home, 'data'),
            'XDG_CACHE_HOME': os.path.join(home, 'cache'),
            'DISPLAY': display,
            'GDK_BACKEND': 'x11',
            'GSK_RENDERER': 'cairo',
            'GTK_A11Y': 'none',
            'NO_AT_BRIDGE': '1',
            'LANG': env.get('FERRY_UI_LANG', 'C.UTF-8'),
            'LANGUAGE': env.get('FERRY_UI_LANGUAGE', ''),
        })
        env.pop('WAYLAND_DISPLAY', None)

        if busy:
            return check_busy(ferry_bin, env, display, artifacts)

        log(f'starting {ferry_bin} --port 0 on display {display}')
        ferry = subprocess.Popen([ferry_bin, '--port', '0'], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = StderrWatcher(ferry.stderr, os.path.join(artifacts, 'ferry-ui-test.log'))

        match = stderr.wait_for(r'Receiving on port (\d+) as (\S+)', 30)
        if match is None:
            raise AssertionError('the receiver did not start (no "Receiving on port N" line)')
        port, ae_title = int(match.group(1)), match.group(2)
        log(f'receiving on port {port} as {ae_title}')

        if stderr.wait_for(r'Studies page shows 0 studies', 30) is None:
            raise AssertionError('the Studies page did not report its empty state')
        time.sleep(2)  # let the first frames be drawn
        if screenshot(display, os.path.join(artifacts, 'ferry-empty.png')) < 32:
            failures.append('the empty-state screenshot is blank')

        dicom_path = os.path.join(home, 'uitest.dcm')
        write_study(dicom_path)
        mark = len(stderr.lines)
        send_study(dicom_path, ae_title, port)
        log('storescu sent the study')

        if stderr.wait_for(r'Studies page shows 1 study\b', 30, start=mark) is None:
            raise AssertionError('the Studies page did not show the study')
        time.sleep(2)
        if screenshot(display, os.path.join(artifacts, 'ferry-studies.png')) < 64:
            failures.append('the studies screenshot is blank')

        activate_action('preferences')
        time.sleep(2)
        if screenshot(display, os.path.join(artifacts, 'ferry-settings.png')) < 32:
            failures.append('the settings screenshot is blank')

        # Closing the window keeps Ferry receiving; activating it again brings the window back.
        window = find_window(display, 'Ferry')
        if window is None:
            raise AssertionError('the window is not on the display')
        mark = len(stderr.lines)
        close_window(display, window)
        if stderr.wait_for(r'keeps receiving in the background', 15, start=mark) is None:
            raise AssertionError('closing the window did not keep Ferry in the background')
        time.sleep(1)
        if ferry.poll() is not None:
            raise AssertionError(f'ferry exited ({ferry.returncode}) when its window closed')

        second_path = os.path.join(home, 'uitest2.dcm')
        write_study(second_path, 'UITEST^SECOND', 'UITEST-2')
        send_study(second_path, ae_title, port)
        log('storescu sent a second study while the window was closed')
        if stderr.wait_for(r'Studies page shows 2 studies', 30, start=mark) is None:
            raise AssertionError('the study sent in the background did not arrive')

        activate_application()
        activate_action('about')
        time.sleep(2)
        if screenshot(display, os.path.join(artifacts, 'ferry-about.png')) < 32:
            failures.append('the about screenshot is blank')

        activate_action('quit', check=False)
        try:
            status = ferry.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise AssertionError('app.quit did not end the process')
        stderr.thread.join(5)
        if status != 0:
            failures.append(f'ferry exited with status {status}')

        criticals = [line for line in stderr.lines if 'CRITICAL' in line]
        if criticals:
            failures.append('criticals on stderr:\n  ' + '\n  '.join(criticals))

    finally:
        if ferry is not None and ferry.poll() is None:
            ferry.kill()
            ferry.wait()
        xvfb.terminate()
        xvfb.wait()
        shutil.rmtree(home, ignore_errors=True)

    for failure in failures:
        log(f'FAIL: {failure}')
    return 1 if failures else 0


def check_busy(ferry_bin, env, display, artifacts):
    """A second owner of the data directory (here ferry-cli serve) makes the window say so."""
    cli_bin = os.environ.get('FERRY_CLI') or \
        os.path.join(os.path.dirname(os.path.dirname(ferry_bin)), 'cli', 'ferry-cli')
    if not os.access(cli_bin, os.X_OK):
        log(f'skipping: no ferry-cli beside {ferry_bin}')
        return SKIP

    failures = []
    serve = subprocess.Popen([cli_bin, 'serve', '--port', '0'], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ferry = None
    try:
        serve_err = StderrWatcher(serve.stderr, os.path.join(artifacts, 'ferry-cli-busy.log'))
        if serve_err.wait_for(r'Receiving on port \d+', 30) is None:
            raise AssertionError('ferry-cli serve did not start')

        ferry = subprocess.Popen([ferry_bin, '--port', '0'], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = StderrWatcher(ferry.stderr, os.path.join(artifacts, 'ferry-ui-busy.log'))
        if stderr.wait_for(rf'already running for this data directory \(process {serve.pid}\)',
                           30) is None:
            raise AssertionError('the window did not report the other owner')
        time.sleep(2)
        if screenshot(display, os.path.join(artifacts, 'ferry-busy.png')) < 32:
            failures.append('the busy screenshot is blank')
        if any('Receiving on port' in line for line in stderr.lines):
            failures.append('the window started a second receiver')

        activate_action('quit', check=False)
        try:
            if ferry.wait(timeout=20) != 0:
                failures.append(f'ferry exited with status {ferry.returncode}')
        except subprocess.TimeoutExpired:
            raise AssertionError('app.quit did not end the process')
    finally:
        for process in (ferry, serve):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    for failure in failures:
        log(f'FAIL: {failure}')
    return 1 if failures else 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except AssertionError as error:
        log(f'FAIL: {error}')
        sys.exit(1)
