#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ferry-cli convert` of PDFs into Encapsulated PDF objects:

  1. two real PDFs (one of odd, one of even length) and, in the same batch, a zero-byte file,
     a file starting with "%PDF-" followed by garbage, an unreadable file, a folder and a PNG
     (not converted yet):
     exit 1, one clear error per bad file naming it, nothing written for those, both PDFs
     written (no temporary files left);
  2. each output passes dciodvfy with zero errors and is read by dcmdump and gdcminfo;
  3. dcm2pdf extracts a PDF byte-identical to the input; the element holds the PDF plus one NUL
     when its length is odd, and Encapsulated Document Length is the PDF's own length
     (PS3.3 C.24.2.1);
  4. the patient and study fields are what was given, in ISO_IR 192 (a non-ASCII name
     round-trips as UTF-8 bytes); one study, one series, instance numbers in argument order;
     Ferry's Implementation Class UID in the file meta information."""

import os
import re
import shutil

import ferrytest as ft

ENCAPSULATED_PDF = '1.2.840.10008.5.1.4.1.1.104.1'
EXPLICIT_LE = '1.2.840.10008.1.2.1'
FERRY_IMPLEMENTATION_UID = '2.25.279877017135830266050471810891192721838'


def make_pdf(text, pad=0):
    """A small, valid one-page PDF with a correct cross-reference table."""
    stream = ('BT /F1 12 Tf 20 50 Td (%s) Tj ET' % text).encode('ascii') + b' ' * pad
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>',
            b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R '
            b'/Resources << /Font << /F1 5 0 R >> >> >>',
            b'<< /Length %d >>\nstream\n' % len(stream) + stream + b'\nendstream',
            b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>']
    out = bytearray(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b'%d 0 obj\n' % i + o + b'\nendobj\n'
    xref = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    for off in offsets:
        out += b'%010d 00000 n \n' % off
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1,
                                                                                xref)
    return bytes(out)


def pdf_of_parity(text, odd):
    data = make_pdf(text)
    if (len(data) % 2 == 1) != odd:
        data = make_pdf(text, pad=1)
    ft.check((len(data) % 2 == 1) == odd, 'could not make a PDF of the wanted parity')
    return data


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return path


def dciodvfy_errors(path):
    r = ft.run(['dciodvfy', path], timeout=60)
    errors = [line for line in r.stdout.splitlines() if line.startswith('Error')]
    return errors, r.stdout


def body():
    for tool in ('dciodvfy', 'dcmdump', 'gdcminfo', 'dcm2pdf'):
        if shutil.which(tool) is None:
            ft.skip('%s is not installed' % tool)
    try:
        import pydicom
    except ImportError:
        ft.skip('pydicom is not installed')

    work = ft.mkdtemp(prefix='ferry-convert-')
    out = os.path.join(work, 'out')
    home = ft.FerryHome()

    odd = pdf_of_parity('Consent form', odd=True)
    even = pdf_of_parity('Referral letter', odd=False)
    good_odd = write(os.path.join(work, 'consent.pdf'), odd)
    good_even = write(os.path.join(work, 'referral.pdf'), even)
    empty = write(os.path.join(work, 'empty.pdf'), b'')
    garbage = write(os.path.join(work, 'garbage.pdf'), b'%PDF-' + os.urandom(4000))
    photo = write(os.path.join(work, 'photo.png'), b'\x89PNG\r\n\x1a\n' + b'\0' * 64)
    folder = os.path.join(work, 'folder.pdf')
    os.mkdir(folder)
    bad = {empty: 'empty', garbage: 'not a PDF', folder: 'folder', photo: 'not available yet'}
    if os.geteuid() != 0:
        unreadable = write(os.path.join(work, 'locked.pdf'), make_pdf('Locked'))
        os.chmod(unreadable, 0)
        bad[unreadable] = 'Cannot read'
    else:
        ft.log('running as root: the unreadable file is only the folder case')

    args = ['convert', good_odd, empty, garbage, folder, photo]
    args += [p for p in bad if p not in args]
    args += [good_even, '-o', out,
             '--patient-id', 'PID-Ñ1', '--patient-name', 'Núñez^José',
             '--birth-date', '19700315', '--sex', 'M', '--accession', 'ACC42',
             '--study-description', 'Documentos escaneados']
    r = ft.ferry_cmd(home, args)
    ft.log(r.stdout)

    # 1. Exit 1, one error per bad file, naming it; the good ones written.
    ft.check(r.returncode == 1, 'convert with bad files exited %d, not 1:\n%s'
             % (r.returncode, r.stdout))
    lines = r.stdout.splitlines()
    for path, words in bad.items():
        mine = [line for line in lines if path in line and line.startswith('ferry-cli:')]
        ft.check(len(mine) == 1, 'expected one error naming %s:\n%s' % (path, r.stdout))
        ft.check(words in mine[0], 'the error for %s does not say %r: %s'
                 % (path, words, mine[0]))
    written = sorted(os.listdir(out))
    ft.check(written == ['consent.dcm', 'referral.dcm'],
             'expected consent.dcm and referral.dcm only (nothing for bad files, no '
             'temporary names), found %s' % written)
    for name in ('consent', 'referral'):
        mine = [line for line in lines if line.startswith(os.path.join(work, name + '.pdf'))]
        ft.check(len(mine) == 1 and os.path.join(out, name + '.dcm') in mine[0]
                 and 'Encapsulated PDF' in mine[0] and 'Explicit VR Little Endian' in mine[0]
                 and mine[0].rstrip().endswith('encapsulated'),
                 'no report line for %s.pdf:\n%s' % (name, r.stdout))
    ft.check(ENCAPSULATED_PDF in r.stdout and EXPLICIT_LE in r.stdout,
             'the SOP class and transfer syntax UIDs are not printed:\n' + r.stdout)

    datasets = []
    for name, source in (('consent', odd), ('referral', even)):
        path = os.path.join(out, name + '.dcm')

        # 2. Valid by the book, and readable by two other toolkits.
        errors, text = dciodvfy_errors(path)
        ft.check(not errors, 'dciodvfy reports errors for %s:\n%s' % (name, text))
        r = ft.run(['dcmdump', '-q', path])
        ft.check(r.returncode == 0, 'dcmdump cannot read %s:\n%s' % (name, r.stdout))
        r = ft.run(['gdcminfo', path])
        ft.check(r.returncode == 0 and ENCAPSULATED_PDF in r.stdout,
                 'gdcminfo cannot read %s:\n%s' % (name, r.stdout))

        # 3. The PDF comes back byte for byte.
        extracted = os.path.join(work, name + '-extracted.pdf')
        r = ft.run(['dcm2pdf', path, extracted])
        ft.check(r.returncode == 0, 'dcm2pdf failed on %s:\n%s' % (name, r.stdout))
        with open(extracted, 'rb') as f:
            got = f.read()
        ft.check(got == source, 'dcm2pdf extracted %d bytes from %s, not the %d-byte input'
                 % (len(got), name, len(source)))

        ds = pydicom.dcmread(path)
        value = bytes(ds.EncapsulatedDocument)
        expected = source + (b'\0' if len(source) % 2 else b'')
        ft.check(value == expected, '%s: Encapsulated Document is not the PDF%s'
                 % (name, ' plus one NUL' if len(source) % 2 else ''))
        ft.check(int(ds.EncapsulatedDocumentLength) == len(source),
                 '%s: Encapsulated Document Length %s, the PDF has %d bytes'
                 % (name, ds.EncapsulatedDocumentLength, len(source)))
        datasets.append((name, ds))

    # 4. The fields given, in UTF-8; one study, one series, instance numbers in order.
    for (name, ds), number in zip(datasets, (1, 2)):
        meta = ds.file_meta
        ft.check(meta.TransferSyntaxUID == EXPLICIT_LE, '%s: transfer syntax %s'
                 % (name, meta.TransferSyntaxUID))
        ft.check(meta.MediaStorageSOPClassUID == ENCAPSULATED_PDF == ds.SOPClassUID,
                 '%s: SOP class %s' % (name, ds.SOPClassUID))
        ft.check(meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID,
                 '%s: the meta SOP Instance UID differs from the dataset\'s' % name)
        ft.check(meta.ImplementationClassUID == FERRY_IMPLEMENTATION_UID,
                 '%s: Implementation Class UID %s' % (name, meta.ImplementationClassUID))
        ft.check(ds.SpecificCharacterSet == 'ISO_IR 192', '%s: Specific Character Set %r'
                 % (name, ds.SpecificCharacterSet))
        raw = ds.get_item(0x00100010).value
        ft.check(raw.rstrip(b' ') == 'Núñez^José'.encode('utf-8'),
                 '%s: Patient\'s Name bytes %r are not UTF-8 Núñez^José' % (name, raw))
        expect = {
            'PatientName': 'Núñez^José', 'PatientID': 'PID-Ñ1', 'PatientBirthDate': '19700315',
            'PatientSex': 'M', 'AccessionNumber': 'ACC42',
            'StudyDescription': 'Documentos escaneados', 'Modality': 'DOC',
            'ConversionType': 'WSD', 'Manufacturer': 'Ferry', 'BurnedInAnnotation': 'YES',
            'MIMETypeOfEncapsulatedDocument': 'application/pdf', 'DocumentTitle': name,
            'InstanceNumber': str(number), 'SeriesNumber': '1',
        }
        for keyword, value in expect.items():
            got = str(ds.get(keyword, ''))
            ft.check(got == value, '%s: %s is %r, not %r' % (name, keyword, got, value))
        for keyword in ('StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'):
            uid = str(ds.get(keyword, ''))
            ft.check(re.fullmatch(r'2\.25\.[1-9][0-9]*', uid) and len(uid) <= 64,
                     '%s: %s %r is not a 2.25 UID' % (name, keyword, uid))
        for keyword in ('StudyDate', 'StudyTime', 'ContentDate', 'ContentTime'):
            ft.check(ds.get(keyword), '%s: %s is empty' % (name, keyword))
    a, b = datasets[0][1], datasets[1][1]
    ft.check(a.StudyInstanceUID == b.StudyInstanceUID, 'the batch is not one study')
    ft.check(a.SeriesInstanceUID == b.SeriesInstanceUID, 'the PDFs are not one series')
    ft.check(a.SOPInstanceUID != b.SOPInstanceUID, 'two objects share a SOP Instance UID')


ft.main(body)
