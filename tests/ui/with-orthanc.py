#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs a command (a UI test) with a live Orthanc as the PACS.

Orthanc listens on every interface, so this re-executes itself in a private network namespace
(tests/integration/orthanc.py: enter_netns), starts Orthanc there with AE title PACS_A, and runs
the command with FERRY_TEST_ORTHANC_PORT and FERRY_TEST_ORTHANC_AE set; the command's exit code
is ours. Exits 77 (skip) when Orthanc or namespaces are not available.

    with-orthanc.py COMMAND [ARG...]
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))

import ferrytest as ft  # noqa: E402
import orthanc as oc  # noqa: E402


def main():
    oc.enter_netns()
    pacs = oc.Orthanc(aet='PACS_A')
    pacs.start()
    try:
        env = dict(os.environ, FERRY_TEST_ORTHANC_PORT=str(pacs.dicom_port),
                   FERRY_TEST_ORTHANC_AE=pacs.aet)
        return subprocess.run(sys.argv[1:], env=env).returncode
    finally:
        pacs.stop()


if __name__ == '__main__':
    sys.exit(main())
