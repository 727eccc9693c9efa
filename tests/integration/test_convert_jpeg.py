#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ferry-cli convert` of JPEG photographs into VL Photographic Image objects, the JPEG bytes
passed through (JPEG Baseline transfer syntax):

  1. a colour and a grey baseline JPEG made by ImageMagick, a colour one with 1000 bytes of
     junk after its EOI (like a phone's MPF data) and a PDF in the same batch, beside a
     progressive JPEG, a truncated one, one whose frame header was patched to declare
     65500 × 65500, and one whose EXIF says it is rotated: exit 1, one clear error per bad file
     naming it, nothing written for those, the good ones written with "passthrough";
  2. each photo passes dciodvfy with zero errors and is read by dcmdump and gdcminfo, and
     dcmdjpeg decodes it;
  3. its Pixel Data is an empty Basic Offset Table and one fragment equal to the input JPEG
     (through the primary image's EOI; one trailing 0x00 only when that length is odd);
     Rows, Columns, Samples per Pixel and Photometric Interpretation match the image;
  4. the batch is one study, the JPEGs one series and the PDF another; modality XC."""

import os
import shutil
import struct

import ferrytest as ft

VL_PHOTO = '1.2.840.10008.5.1.4.1.1.77.1.4'
JPEG_BASELINE = '1.2.840.10008.1.2.4.50'


def small_pdf():
    stream = b'BT /F1 12 Tf 20 50 Td (Consent) Tj ET'
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>',
            b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>',
            b'<< /Length %d >>\nstream\n' % len(stream) + stream + b'\nendstream']
    out = bytearray(b'%PDF-1.4\n')
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


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return path


def magick(args, path):
    r = ft.run(['convert'] + args + [path])
    ft.check(r.returncode == 0 and os.path.exists(path),
             'ImageMagick could not make %s:\n%s' % (path, r.stdout))
    return path


def with_exif_orientation(jpeg, value):
    """The JPEG with an EXIF APP1 (big-endian TIFF, IFD0 holding Orientation) after SOI."""
    tiff = b'MM\0*' + struct.pack('>I', 8) + struct.pack('>H', 1)
    tiff += struct.pack('>HHIHH', 0x0112, 3, 1, value, 0) + struct.pack('>I', 0)
    payload = b'Exif\0\0' + tiff
    return jpeg[:2] + b'\xff\xe1' + struct.pack('>H', len(payload) + 2) + payload + jpeg[2:]


def fragments(pixel_data):
    """The items of an encapsulated Pixel Data value, as bytes."""
    items, pos = [], 0
    while pos + 8 <= len(pixel_data):
        group, elem, length = struct.unpack_from('<HHI', pixel_data, pos)
        pos += 8
        if (group, elem) == (0xFFFE, 0xE0DD):
            break
        ft.check((group, elem) == (0xFFFE, 0xE000), 'not an item in Pixel Data: (%04x,%04x)'
                 % (group, elem))
        items.append(pixel_data[pos:pos + length])
        pos += length
    return items


def dciodvfy_errors(path):
    r = ft.run(['dciodvfy', path], timeout=60)
    return [line for line in r.stdout.splitlines() if line.startswith('Error')], r.stdout


def body():
    for tool in ('convert', 'dciodvfy', 'dcmdump', 'gdcminfo', 'dcmdjpeg'):
        if shutil.which(tool) is None:
            ft.skip('%s is not installed' % tool)
    try:
        import pydicom
    except ImportError:
        ft.skip('pydicom is not installed')

    work = ft.mkdtemp(prefix='ferry-convert-jpeg-')
    out = os.path.join(work, 'out')
    home = ft.FerryHome()
    j = lambda name: os.path.join(work, name)

    colour = magick(['-size', '640x480', 'gradient:red-blue', '-quality', '90'], j('wound.jpg'))
    grey = magick(['-size', '333x201', 'gradient:white-black', '-colorspace', 'Gray',
                   '-quality', '85'], j('grey.jpg'))
    progressive = magick(['-size', '320x240', 'gradient:green-yellow', '-interlace', 'JPEG'],
                         j('progressive.jpg'))
    base = read(colour)
    ft.check(base.endswith(b'\xff\xd9'), 'ImageMagick\'s JPEG does not end with EOI')
    phone = write(j('phone.jpg'), base + b'\xff\xd8' + os.urandom(998))
    truncated = write(j('truncated.jpg'), base[:len(base) // 2])
    sof = base.index(b'\xff\xc0')
    forged = bytearray(base)
    forged[sof + 5:sof + 9] = struct.pack('>HH', 65500, 65500)
    huge = write(j('huge.jpg'), bytes(forged))
    rotated = write(j('rotated.jpg'), with_exif_orientation(base, 6))
    pdf = write(j('consent.pdf'), small_pdf())

    bad = {progressive: 'needs re-encoding', truncated: 'truncated', huge: '65500',
           rotated: 'orientation'}
    good = {colour: ('wound', base, 480, 640, 3, 'YBR_FULL_422'),
            grey: ('grey', read(grey), 201, 333, 1, 'MONOCHROME2'),
            phone: ('phone', base, 480, 640, 3, 'YBR_FULL_422')}

    args = ['convert', colour, progressive, pdf, truncated, grey, huge, rotated, phone,
            '-o', out, '--patient-id', 'PID-JPEG', '--patient-name', 'Foto^Ana']
    r = ft.ferry_cmd(home, args)
    ft.log(r.stdout)

    # 1. Exit 1, one error per bad file naming it; the good ones written, nothing else.
    ft.check(r.returncode == 1, 'convert with bad files exited %d, not 1:\n%s'
             % (r.returncode, r.stdout))
    lines = r.stdout.splitlines()
    for path, words in bad.items():
        mine = [line for line in lines if path in line and line.startswith('ferry-cli:')]
        ft.check(len(mine) == 1, 'expected one error naming %s:\n%s' % (path, r.stdout))
        ft.check(words in mine[0], 'the error for %s does not say %r: %s'
                 % (path, words, mine[0]))
    written = sorted(os.listdir(out))
    ft.check(written == ['consent.dcm', 'grey.dcm', 'phone.dcm', 'wound.dcm'],
             'expected consent, grey, phone and wound .dcm only, found %s' % written)
    for path, (name, *_rest) in good.items():
        mine = [line for line in lines if line.startswith(path + ' ')]
        ft.check(len(mine) == 1 and 'VL Photographic Image' in mine[0]
                 and 'JPEG Baseline' in mine[0] and mine[0].rstrip().endswith('passthrough'),
                 'no passthrough report line for %s:\n%s' % (path, r.stdout))

    photos = []
    for path, (name, jpeg, rows, cols, spp, photometric) in good.items():
        dcm = os.path.join(out, name + '.dcm')

        # 2. Valid by the book; read by DCMTK and GDCM; decodable.
        errors, text = dciodvfy_errors(dcm)
        ft.check(not errors, 'dciodvfy reports errors for %s:\n%s' % (name, text))
        r = ft.run(['dcmdump', '-q', dcm])
        ft.check(r.returncode == 0, 'dcmdump cannot read %s:\n%s' % (name, r.stdout))
        r = ft.run(['gdcminfo', dcm])
        ft.check(r.returncode == 0 and VL_PHOTO in r.stdout and JPEG_BASELINE in r.stdout,
                 'gdcminfo cannot read %s:\n%s' % (name, r.stdout))
        decoded = os.path.join(work, name + '-decoded.dcm')
        r = ft.run(['dcmdjpeg', dcm, decoded])
        ft.check(r.returncode == 0 and os.path.getsize(decoded) >= rows * cols * spp,
                 'dcmdjpeg cannot decode %s:\n%s' % (name, r.stdout))

        # 3. The JPEG bytes, unchanged.
        ds = pydicom.dcmread(dcm)
        ft.check(ds.file_meta.TransferSyntaxUID == JPEG_BASELINE,
                 '%s: transfer syntax %s' % (name, ds.file_meta.TransferSyntaxUID))
        items = fragments(ds.PixelData)
        ft.check(len(items) == 2 and items[0] == b'',
                 '%s: expected an empty offset table and one fragment, found %d items'
                 % (name, len(items)))
        expected = jpeg + (b'\0' if len(jpeg) % 2 else b'')
        ft.check(items[1] == expected,
                 '%s: the fragment (%d bytes) is not the input JPEG through its EOI '
                 '(%d bytes%s)' % (name, len(items[1]), len(jpeg),
                                   ', plus one 0x00' if len(jpeg) % 2 else ''))
        expect = {'Rows': rows, 'Columns': cols, 'SamplesPerPixel': spp,
                  'PhotometricInterpretation': photometric, 'BitsAllocated': 8,
                  'BitsStored': 8, 'HighBit': 7, 'PixelRepresentation': 0,
                  'Modality': 'XC', 'LossyImageCompression': '01',
                  'LossyImageCompressionMethod': 'ISO_10918_1', 'BurnedInAnnotation': 'NO',
                  'SpecificCharacterSet': 'ISO_IR 192', 'PatientID': 'PID-JPEG',
                  'SOPClassUID': VL_PHOTO}
        for keyword, value in expect.items():
            got = ds.get(keyword)
            ft.check(str(got) == str(value), '%s: %s is %r, not %r'
                     % (name, keyword, got, value))
        if spp == 3:
            ft.check(ds.get('PlanarConfiguration') == 0, '%s: Planar Configuration %r'
                     % (name, ds.get('PlanarConfiguration')))
        photos.append(ds)

    # 4. One study; the JPEGs one series, in argument order; the PDF another.
    doc = pydicom.dcmread(os.path.join(out, 'consent.dcm'))
    studies = {ds.StudyInstanceUID for ds in photos} | {doc.StudyInstanceUID}
    ft.check(len(studies) == 1, 'the batch is not one study: %s' % studies)
    series = {ds.SeriesInstanceUID for ds in photos}
    ft.check(len(series) == 1, 'the JPEGs are not one series')
    ft.check(doc.SeriesInstanceUID not in series, 'the PDF shares the JPEGs\' series')
    ft.check(photos[0].SeriesNumber != doc.SeriesNumber, 'both series have the same number')
    numbers = [int(ds.InstanceNumber) for ds in photos]
    ft.check(numbers == [1, 2, 3], 'JPEG instance numbers %s, not 1, 2, 3' % numbers)


ft.main(body)
