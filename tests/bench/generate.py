#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes the benchmark data sets of shared/BENCHMARKS.md in tests/bench/data/ (git-ignored):

  us    200 US images, 800x600 RGB, uncompressed (US Image Storage), ~1.4 MB each
  ct    500 CT slices, 512x512, 16-bit, ~0.5 MB each
  cine  one US multi-frame, 100 frames 800x600 RGB, ~144 MB

Each set is split in halves (p1/, p2/) so that two parallel senders get one each.
Usage: generate.py [--force] [SET...]"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
import ferrytest as ft  # noqa: E402

DATA = os.path.join(HERE, 'data')
SETS = {
    # name: (count, sop class, pixel kind, rows, cols, frames, modality)
    'us': (200, ft.US_STORAGE, 'rgb', 600, 800, 1, 'US'),
    'ct': (500, ft.CT_STORAGE, 'ct', 512, 512, 1, 'CT'),
    'cine': (1, ft.US_MF_STORAGE, 'rgb', 600, 800, 100, 'US'),
}


def make(name):
    import numpy as np
    count, sop_class, kind, rows, cols, frames, modality = SETS[name]
    out = os.path.join(DATA, name)
    done = os.path.join(DATA, '.%s.complete' % name)
    if os.path.exists(done):
        return out
    shutil.rmtree(out, ignore_errors=True)
    rng = np.random.default_rng(2024)
    patient = {'name': 'BENCH^%s' % name.upper(), 'id': 'BENCH-%s' % name, 'charset': None}
    study = {'uid': ft.new_uid(), 'date': '20240401', 'accession': 'BENCH%s' % name,
             'description': 'benchmark %s' % name}
    series = {'uid': ft.new_uid(), 'number': 1, 'description': name}
    template = None
    for i in range(count):
        part = 'p1' if i < (count + 1) // 2 else 'p2'
        os.makedirs(os.path.join(out, part), exist_ok=True)
        ds = ft._base_dataset(sop_class, patient, study, series, modality, i + 1)
        if template is None or frames > 1:
            ft._pixels(ds, kind, rows, cols, frames, rng)
            template = ds
        else:
            # Same geometry, fresh pixels (cheap): vary a band so no two images are equal.
            for kw in ('Rows', 'Columns', 'SamplesPerPixel', 'PhotometricInterpretation',
                       'BitsAllocated', 'BitsStored', 'HighBit', 'PixelRepresentation'):
                setattr(ds, kw, getattr(template, kw))
            if 'PlanarConfiguration' in template:
                ds.PlanarConfiguration = template.PlanarConfiguration
            px = bytearray(template.PixelData)
            px[:4096] = rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes()
            ds.PixelData = bytes(px)
        ft._save(ds, os.path.join(out, part, '%s%04d.dcm' % (name, i)), ft.EXPLICIT_LE)
    open(done, 'w').close()
    return out


def main(argv):
    force = '--force' in argv
    names = [a for a in argv if not a.startswith('--')] or list(SETS)
    for n in names:
        if n not in SETS:
            sys.exit('unknown data set %r (known: %s)' % (n, ', '.join(SETS)))
        if force:
            shutil.rmtree(os.path.join(DATA, n), ignore_errors=True)
        path = make(n)
        total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path)
                    for f in fs)
        print('%s: %s (%.0f MB)' % (n, path, total / 1e6))


if __name__ == '__main__':
    main(sys.argv[1:])
