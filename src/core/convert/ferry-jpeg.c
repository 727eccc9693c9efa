/* ferry-jpeg.c: what a JPEG file is, read from its markers without decoding it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ITU-T T.81 Annex B: a marker is 0xFF followed by a code that is neither 0x00 nor 0xFF, and
 * may be preceded by any number of 0xFF fill bytes. Inside entropy-coded data a 0xFF byte is
 * followed by 0x00 (stuffing) or by RSTn; anything else ends the scan.
 */

#define G_LOG_DOMAIN "ferry-convert"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ferry-convert.h"
#include "ferry-jpeg.h"

#define M_SOF0  0xC0
#define M_DHT   0xC4
#define M_JPG   0xC8
#define M_DAC   0xCC
#define M_SOI   0xD8
#define M_EOI   0xD9
#define M_SOS   0xDA
#define M_APP0  0xE0
#define M_APP1  0xE1
#define M_APP14 0xEE
#define M_TEM   0x01

static guint
be16 (const guint8 *p)
{
  return ((guint) p[0] << 8) | p[1];
}

static void
set_corrupt (GError    **error,
             const char *name,
             const char *why)
{
  /* Translators: the first %s is a file name, the second says what is wrong */
  g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_CORRUPT,
               _("“%s” is not a usable JPEG: %s"), name, why);
}

/* The orientation in an EXIF APP1 payload (after "Exif\0\0"): IFD0's tag 0x0112. 0 when absent
 * or unreadable: a broken EXIF block does not make a broken image. */
static guint
exif_orientation (const guint8 *tiff,
                  gsize         n)
{
  gboolean le;
  guint32 ifd;
  guint count;

#define U16(p) (le ? (guint) ((p)[0] | ((p)[1] << 8)) : be16 (p))
#define U32(p) (le ? ((guint32) (p)[0] | ((guint32) (p)[1] << 8) | ((guint32) (p)[2] << 16) | \
                      ((guint32) (p)[3] << 24)) \
                   : (((guint32) (p)[0] << 24) | ((guint32) (p)[1] << 16) | \
                      ((guint32) (p)[2] << 8) | (guint32) (p)[3]))
  if (n < 8)
    return 0;
  if (memcmp (tiff, "II*\0", 4) == 0)
    le = TRUE;
  else if (memcmp (tiff, "MM\0*", 4) == 0)
    le = FALSE;
  else
    return 0;
  ifd = U32 (tiff + 4);
  if (ifd > n || n - ifd < 2)
    return 0;
  count = U16 (tiff + ifd);
  for (guint i = 0; i < count; i++)
    {
      gsize at = (gsize) ifd + 2 + (gsize) i * 12;

      if (at + 12 > n)
        return 0;
      if (U16 (tiff + at) == 0x0112 && U16 (tiff + at + 2) == 3)
        {
          guint value = U16 (tiff + at + 8);

          return value >= 1 && value <= 8 ? value : 0;
        }
    }
  return 0;
#undef U16
#undef U32
}

static FerryJpegColour
colour_of (const FerryJpegHeader *h,
           const guint8          *ids)
{
  switch (h->components)
    {
    case 1:
      return FERRY_JPEG_COLOUR_GREY;
    case 3:
      /* libjpeg's rule (jdapimin.c default_decompress_parms). */
      if (h->jfif)
        return FERRY_JPEG_COLOUR_YCBCR;
      if (h->adobe_transform >= 0)
        return h->adobe_transform == 0 ? FERRY_JPEG_COLOUR_RGB : FERRY_JPEG_COLOUR_YCBCR;
      if (ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B')
        return FERRY_JPEG_COLOUR_RGB;
      return FERRY_JPEG_COLOUR_YCBCR;
    case 4:
      return h->adobe_transform == 2 ? FERRY_JPEG_COLOUR_YCCK : FERRY_JPEG_COLOUR_CMYK;
    default:
      return FERRY_JPEG_COLOUR_OTHER;
    }
}

gboolean
ferry_jpeg_parse (const guint8     *data,
                  gsize             length,
                  const char       *name,
                  FerryJpegHeader  *h,
                  GError          **error)
{
  gsize pos = 2;
  gboolean have_sof = FALSE, have_scan = FALSE;
  guint8 ids[3] = { 0, 0, 0 };

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (h != NULL, FALSE);

  memset (h, 0, sizeof *h);
  h->adobe_transform = -1;

  if (length == 0)
    {
      set_corrupt (error, name, _("the file is empty"));
      return FALSE;
    }
  if (length < 4 || data[0] != 0xFF || data[1] != M_SOI)
    {
      set_corrupt (error, name, _("it does not start with a JPEG header"));
      return FALSE;
    }

  for (;;)
    {
      guint marker;
      guint seg_len;
      const guint8 *payload;
      gsize payload_len;

      if (pos >= length)
        goto truncated;
      if (data[pos] != 0xFF)
        {
          set_corrupt (error, name, _("a marker is missing where one must be"));
          return FALSE;
        }
      while (pos < length && data[pos] == 0xFF)   /* fill bytes */
        pos++;
      if (pos >= length)
        goto truncated;
      marker = data[pos++];

      if (marker == 0x00)
        {
          set_corrupt (error, name, _("a marker is missing where one must be"));
          return FALSE;
        }
      if (marker == M_EOI)
        {
          if (!have_scan)
            {
              set_corrupt (error, name, _("it ends before any image data"));
              return FALSE;
            }
          h->primary_length = pos;
          h->colour = colour_of (h, ids);
          return TRUE;
        }
      if (marker == M_SOI)
        {
          set_corrupt (error, name, _("a second image starts inside the first"));
          return FALSE;
        }
      if (marker == M_TEM || (marker >= 0xD0 && marker <= 0xD7))
        continue;   /* stand-alone */

      if (length - pos < 2)
        goto truncated;
      seg_len = be16 (data + pos);
      if (seg_len < 2)
        {
          set_corrupt (error, name, _("a marker segment has an impossible length"));
          return FALSE;
        }
      if (length - pos < seg_len)
        goto truncated;
      payload = data + pos + 2;
      payload_len = seg_len - 2;
      pos += seg_len;

      if (marker >= 0xC0 && marker <= 0xCF && marker != M_DHT && marker != M_JPG &&
          marker != M_DAC)
        {
          guint64 pixels;

          if (have_sof)
            {
              set_corrupt (error, name, _("it has two frame headers"));
              return FALSE;
            }
          if (payload_len < 6 || payload_len < 6 + 3 * (gsize) payload[5] || payload[5] == 0)
            {
              set_corrupt (error, name, _("its frame header is malformed"));
              return FALSE;
            }
          have_sof = TRUE;
          h->sof = marker - M_SOF0;
          h->precision = payload[0];
          h->rows = be16 (payload + 1);
          h->columns = be16 (payload + 3);
          h->components = payload[5];
          for (guint c = 0; c < MIN (h->components, 3u); c++)
            ids[c] = payload[6 + 3 * c];

          if (h->rows == 0 || h->columns == 0)
            {
              set_corrupt (error, name, _("its frame header declares no size"));
              return FALSE;
            }
          pixels = (guint64) h->rows * h->columns;
          if (h->rows > FERRY_JPEG_MAX_DIMENSION || h->columns > FERRY_JPEG_MAX_DIMENSION ||
              pixels > FERRY_JPEG_MAX_PIXELS)
            {
              g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_TOO_LARGE,
                           /* Translators: “photo.jpg” declares 65500 × 65500 pixels; … */
                           _("“%s” declares %u × %u pixels; Ferry takes at most %u pixels a "
                             "side and 100 megapixels"),
                           name, h->columns, h->rows, (guint) FERRY_JPEG_MAX_DIMENSION);
              return FALSE;
            }
        }
      else if (marker == M_APP0 && payload_len >= 5 && memcmp (payload, "JFIF\0", 5) == 0)
        h->jfif = TRUE;
      else if (marker == M_APP14 && payload_len >= 12 && memcmp (payload, "Adobe", 5) == 0)
        h->adobe_transform = payload[11];
      else if (marker == M_APP1 && payload_len >= 6 && memcmp (payload, "Exif\0\0", 6) == 0 &&
               h->orientation == 0)
        h->orientation = exif_orientation (payload + 6, payload_len - 6);
      else if (marker == M_SOS)
        {
          if (!have_sof)
            {
              set_corrupt (error, name, _("image data comes before the frame header"));
              return FALSE;
            }
          have_scan = TRUE;
          /* The entropy-coded data: up to the next marker that is not RSTn. */
          for (;;)
            {
              const guint8 *ff = memchr (data + pos, 0xFF, length - pos);

              if (ff == NULL)
                goto truncated;
              pos = (gsize) (ff - data);
              if (pos + 1 >= length)
                goto truncated;
              if (data[pos + 1] == 0x00 || (data[pos + 1] >= 0xD0 && data[pos + 1] <= 0xD7))
                pos += 2;
              else if (data[pos + 1] == 0xFF)
                pos += 1;   /* a fill byte before a marker */
              else
                break;      /* a marker: back to the segment walk */
            }
        }
    }

truncated:
  set_corrupt (error, name, _("the file is truncated"));
  return FALSE;
}

gboolean
ferry_jpeg_can_pass_through (const FerryJpegHeader  *h,
                             const char             *name,
                             GError                **error)
{
  const char *why = NULL;

  if (h->sof == 2 || h->sof == 6 || h->sof == 10 || h->sof == 14)
    why = _("it is progressive");
  else if (h->sof >= 9)
    why = _("it is arithmetic-coded");
  else if (h->sof == 3 || h->sof == 7)
    why = _("it is lossless JPEG");
  else if (h->precision != 8)
    why = _("it has more than 8 bits per sample");
  else if (h->colour == FERRY_JPEG_COLOUR_CMYK || h->colour == FERRY_JPEG_COLOUR_YCCK)
    why = _("it is CMYK");
  else if (h->colour == FERRY_JPEG_COLOUR_OTHER)
    why = _("it has an unusual number of colour components");
  else if (h->sof != 0)
    why = _("it is not baseline JPEG");

  if (why != NULL)
    {
      g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_UNSUPPORTED,
                   /* Translators: the first %s is a file name, the second says why, e.g.
                    * “it is progressive” */
                   _("“%s” needs re-encoding (%s), which this version cannot do yet"),
                   name, why);
      return FALSE;
    }
  if (h->orientation > 1)
    {
      g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_UNSUPPORTED,
                   _("“%s” is marked as rotated or mirrored (EXIF orientation %u), and "
                     "rotating it is something this version cannot do yet"),
                   name, h->orientation);
      return FALSE;
    }
  return TRUE;
}
