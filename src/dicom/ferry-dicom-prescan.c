/* ferry-dicom-prescan.c: a bounded structural walk over a Part 10 object, without DCMTK
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DCMTK 3.6.7 parses nested sequences recursively and trusts declared lengths, so a hostile
 * object can exhaust the stack or make it allocate gigabytes. Every received object passes
 * through this walk first. It holds a small window of the object (64 KiB) at a time, keeps its
 * own stack of open sequences and items on the heap, checks every declared length against what
 * remains, and inflates deflated datasets with a bound on the output.
 */

#define G_LOG_DOMAIN "ferry-dicom"

#include "ferry-dicom.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <zlib.h>

#define DEFAULT_MAX_DEPTH         32
#define DEFAULT_MAX_INFLATED_SIZE (G_GUINT64_CONSTANT (4) << 30)
#define WINDOW_SIZE               (64 * 1024)
#define UNDEFINED_LENGTH          0xFFFFFFFFu
#define NO_LIMIT                  G_MAXUINT64
/* The longest value read into memory: UIDs are at most 64 bytes; anything longer is skipped. */
#define MAX_VALUE_READ            256

#define TAG(g, e)                 (((guint32) (g) << 16) | (guint32) (e))
#define TAG_GROUP(t)              ((guint) ((t) >> 16))
#define TAG_ELEMENT(t)            ((guint) ((t) & 0xFFFF))
#define TAG_ITEM                  TAG (0xFFFE, 0xE000)
#define TAG_ITEM_DELIMITER        TAG (0xFFFE, 0xE00D)
#define TAG_SEQUENCE_DELIMITER    TAG (0xFFFE, 0xE0DD)
#define TAG_PIXEL_DATA            TAG (0x7FE0, 0x0010)
#define TAG_TRANSFER_SYNTAX       TAG (0x0002, 0x0010)
#define TAG_SOP_CLASS_UID         TAG (0x0008, 0x0016)
#define TAG_SOP_INSTANCE_UID      TAG (0x0008, 0x0018)

/* ------------------------------------------------------------------------------------------ */
/* Reading: a window over the file or buffer, optionally behind an inflater.                   */

typedef struct {
  /* The raw object: a file descriptor or a memory block. */
  int           fd;
  const guint8 *mem;
  gsize         mem_length;
  gsize         mem_position;
  guint64       raw_size;

  /* The window over the logical stream (raw, or inflated once the dataset is deflated). */
  guint8       *window;
  gsize         start;
  gsize         end;
  guint64       offset;          /* logical offset of window[start] */

  /* Inflating. */
  gboolean      inflating;
  gboolean      inflate_done;
  z_stream      zs;
  guint8       *inflate_input;
  guint64       inflated;
  guint64       max_inflated;

  /* Set when a read failed for a reason other than running out of data. */
  GError       *io_error;
} Reader;

static gssize
raw_read (Reader *r,
          guint8 *dest,
          gsize   max)
{
  if (r->fd < 0)
    {
      gsize n = MIN (max, r->mem_length - r->mem_position);

      memcpy (dest, r->mem + r->mem_position, n);
      r->mem_position += n;
      return (gssize) n;
    }

  for (;;)
    {
      gssize n = read (r->fd, dest, max);

      if (n >= 0)
        return n;
      if (errno == EINTR)
        continue;
      if (r->io_error == NULL)
        {
          int saved_errno = errno;

          g_set_error (&r->io_error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "Could not read the object: %s", g_strerror (saved_errno));
        }
      return -1;
    }
}

/* Makes at least @need bytes available in the window (fewer only at the end of the stream).
 * Returns FALSE on a read error or an inflate error (r->io_error is set then). */
static gboolean
reader_fill (Reader *r,
             gsize   need)
{
  g_assert (need <= WINDOW_SIZE);

  if (r->end - r->start >= need)
    return TRUE;

  if (r->start > 0)
    {
      memmove (r->window, r->window + r->start, r->end - r->start);
      r->end -= r->start;
      r->start = 0;
    }

  while (r->end < need)
    {
      if (!r->inflating)
        {
          gssize n = raw_read (r, r->window + r->end, WINDOW_SIZE - r->end);

          if (n < 0)
            return FALSE;
          if (n == 0)
            return TRUE;
          r->end += (gsize) n;
          continue;
        }

      if (r->inflate_done)
        return TRUE;

      if (r->zs.avail_in == 0)
        {
          gssize n = raw_read (r, r->inflate_input, WINDOW_SIZE);

          if (n < 0)
            return FALSE;
          if (n == 0)
            {
              /* The deflate stream stopped before its end block: a truncated object. */
              g_set_error (&r->io_error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE,
                           "The deflated dataset is truncated (offset %" G_GUINT64_FORMAT ")",
                           r->offset + (r->end - r->start));
              return FALSE;
            }
          r->zs.next_in = r->inflate_input;
          r->zs.avail_in = (uInt) n;
        }

      r->zs.next_out = r->window + r->end;
      r->zs.avail_out = (uInt) (WINDOW_SIZE - r->end);

      int status = inflate (&r->zs, Z_NO_FLUSH);
      gsize produced = (gsize) (WINDOW_SIZE - r->end) - r->zs.avail_out;

      r->end += produced;
      r->inflated += produced;

      if (r->inflated > r->max_inflated)
        {
          g_set_error (&r->io_error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_HOSTILE,
                       "The deflated dataset inflates to more than %" G_GUINT64_FORMAT " bytes",
                       r->max_inflated);
          return FALSE;
        }

      if (status == Z_STREAM_END)
        r->inflate_done = TRUE;
      else if (status != Z_OK && status != Z_BUF_ERROR)
        {
          g_set_error (&r->io_error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE,
                       "The deflated dataset is corrupt near offset %" G_GUINT64_FORMAT " (%s)",
                       r->offset + (r->end - r->start),
                       r->zs.msg ? r->zs.msg : "inflate error");
          return FALSE;
        }
    }

  return TRUE;
}

static inline gsize
reader_available (Reader *r)
{
  return r->end - r->start;
}

/* TRUE when no byte follows. FALSE with r->io_error set on a read error. */
static gboolean
reader_at_end (Reader   *r,
               gboolean *at_end)
{
  if (!reader_fill (r, 1))
    return FALSE;
  *at_end = reader_available (r) == 0;
  return TRUE;
}

/* Reads exactly @length bytes (at most WINDOW_SIZE). *@short_read tells a truncated object
 * apart from an I/O error. */
static gboolean
reader_read (Reader   *r,
             guint8   *dest,
             gsize     length,
             gboolean *short_read)
{
  *short_read = FALSE;
  if (!reader_fill (r, length))
    return FALSE;
  if (reader_available (r) < length)
    {
      *short_read = TRUE;
      return FALSE;
    }
  memcpy (dest, r->window + r->start, length);
  r->start += length;
  r->offset += length;
  return TRUE;
}

static gboolean
reader_skip (Reader   *r,
             guint64   length,
             gboolean *short_read)
{
  *short_read = FALSE;

  while (length > 0)
    {
      gsize buffered = reader_available (r);

      if (buffered > 0)
        {
          gsize n = (gsize) MIN ((guint64) buffered, length);

          r->start += n;
          r->offset += n;
          length -= n;
          continue;
        }

      /* Large raw values (pixel data) are skipped without reading them. */
      if (!r->inflating)
        {
          guint64 raw_position = r->offset;

          if (raw_position + length > r->raw_size)
            {
              *short_read = TRUE;
              return FALSE;
            }
          if (r->fd < 0)
            r->mem_position = (gsize) (raw_position + length);
          else if (lseek (r->fd, (off_t) (raw_position + length), SEEK_SET) == (off_t) -1)
            {
              int saved_errno = errno;

              g_set_error (&r->io_error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                           "Could not seek in the object: %s", g_strerror (saved_errno));
              return FALSE;
            }
          r->offset += length;
          return TRUE;
        }

      if (!reader_fill (r, 1))
        return FALSE;
      if (reader_available (r) == 0)
        {
          *short_read = TRUE;
          return FALSE;
        }
    }

  return TRUE;
}

/* Everything still in the window is deflate input from now on. */
static gboolean
reader_start_inflate (Reader  *r,
                      guint64  max_inflated,
                      GError **error)
{
  gsize pending = reader_available (r);

  r->inflate_input = g_malloc (WINDOW_SIZE);
  memcpy (r->inflate_input, r->window + r->start, pending);
  r->start = r->end = 0;

  memset (&r->zs, 0, sizeof r->zs);
  /* Deflated Explicit VR Little Endian is raw deflate (RFC 1951), no zlib header. */
  if (inflateInit2 (&r->zs, -MAX_WBITS) != Z_OK)
    {
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                           "Could not initialise the inflater");
      return FALSE;
    }
  r->zs.next_in = r->inflate_input;
  r->zs.avail_in = (uInt) pending;
  r->inflating = TRUE;
  r->max_inflated = max_inflated;
  return TRUE;
}

static void
reader_clear (Reader *r)
{
  if (r->inflating)
    inflateEnd (&r->zs);
  g_clear_pointer (&r->inflate_input, g_free);
  g_clear_pointer (&r->window, g_free);
  g_clear_error (&r->io_error);
}

/* ------------------------------------------------------------------------------------------ */
/* Structure.                                                                                  */

typedef enum {
  FRAME_DATASET,       /* the top-level dataset */
  FRAME_SEQUENCE,      /* inside an SQ value: items and a delimiter */
  FRAME_ITEM,          /* inside an item: elements */
  FRAME_FRAGMENTS,     /* inside encapsulated pixel data: fragments and a delimiter */
} FrameKind;

typedef struct {
  FrameKind kind;
  guint32   tag;       /* the element that opened the frame */
  guint64   opened_at; /* offset of its header, for messages */
  guint64   end;       /* where its defined length ends, or NO_LIMIT when undefined */
  guint64   limit;     /* the nearest defined end of this frame or any enclosing one */
  gboolean  explicit_vr;
  gboolean  big_endian;
} Frame;

typedef struct {
  Reader                  reader;
  guint                   max_depth;
  FerryDicomPrescanResult result;
  GArray                 *stack;   /* of Frame */
  guint                   depth;   /* open sequences */
  const char             *dataset_label;
} Scan;

static inline guint16
get16 (const guint8 *p,
       gboolean      big_endian)
{
  return big_endian ? (guint16) ((p[0] << 8) | p[1]) : (guint16) ((p[1] << 8) | p[0]);
}

static inline guint32
get32 (const guint8 *p,
       gboolean      big_endian)
{
  if (big_endian)
    return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

static inline guint32
get_tag (const guint8 *p,
         gboolean      big_endian)
{
  return TAG (get16 (p, big_endian), get16 (p + 2, big_endian));
}

typedef enum {
  VR_UNKNOWN,
  VR_SHORT,     /* 2-byte length */
  VR_LONG,      /* 2 reserved bytes, 4-byte length */
} VrKind;

static VrKind
classify_vr (const guint8 *vr)
{
  static const char long_vrs[][3] = {
    "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV",
  };
  static const char short_vrs[][3] = {
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN", "SH",
    "SL", "SS", "ST", "TM", "UI", "UL", "US",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (long_vrs); i++)
    if (vr[0] == long_vrs[i][0] && vr[1] == long_vrs[i][1])
      return VR_LONG;
  for (gsize i = 0; i < G_N_ELEMENTS (short_vrs); i++)
    if (vr[0] == short_vrs[i][0] && vr[1] == short_vrs[i][1])
      return VR_SHORT;
  return VR_UNKNOWN;
}

static char *
dup_trimmed (const guint8 *value,
             gsize         length)
{
  while (length > 0 && (value[length - 1] == ' ' || value[length - 1] == '\0'))
    length--;
  return g_strndup ((const char *) value, length);
}

static Frame *
top (Scan *scan)
{
  g_assert (scan->stack->len > 0);
  return &g_array_index (scan->stack, Frame, scan->stack->len - 1);
}

static gboolean
fail (GError    **error,
      gint        code,
      const char *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError    **error,
      gint        code,
      const char *format,
      ...)
{
  va_list args;
  char *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, FERRY_DICOM_ERROR, code, message);
  g_free (message);
  return FALSE;
}

/* Passes a read error on, or describes a truncated object at @what. */
static gboolean
fail_read (Scan       *scan,
           gboolean    short_read,
           GError    **error,
           guint32     tag,
           guint64     offset,
           const char *what)
{
  if (!short_read && scan->reader.io_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&scan->reader.io_error));
      return FALSE;
    }
  return fail (error, FERRY_DICOM_ERROR_PARSE,
               "The object is truncated: %s of (%04X,%04X) at offset %" G_GUINT64_FORMAT
               " is incomplete", what, TAG_GROUP (tag), TAG_ELEMENT (tag), offset);
}

/* Checks that @length bytes starting at the current offset fit in every enclosing frame. */
static gboolean
check_fits (Scan    *scan,
            guint64  length,
            guint32  tag,
            guint64  header_offset,
            GError **error)
{
  Frame *frame = top (scan);
  guint64 offset = scan->reader.offset;

  if (frame->limit == NO_LIMIT)
    return TRUE;
  if (offset <= frame->limit && length <= frame->limit - offset)
    return TRUE;

  return fail (error, FERRY_DICOM_ERROR_HOSTILE,
               "(%04X,%04X) at offset %" G_GUINT64_FORMAT " declares a length of %" G_GUINT64_FORMAT
               " bytes but only %" G_GUINT64_FORMAT " remain in %s",
               TAG_GROUP (tag), TAG_ELEMENT (tag), header_offset, length,
               offset <= frame->limit ? frame->limit - offset : 0,
               frame->kind == FRAME_DATASET ? "the object" : "the enclosing item or sequence");
}

static gboolean
push (Scan      *scan,
      FrameKind  kind,
      guint32    tag,
      guint64    header_offset,
      guint32    length,
      gboolean   explicit_vr,
      gboolean   big_endian,
      GError   **error)
{
  Frame *parent = top (scan);
  Frame frame = { 0, };

  if (kind == FRAME_SEQUENCE)
    {
      if (scan->depth + 1 > scan->max_depth)
        return fail (error, FERRY_DICOM_ERROR_HOSTILE,
                     "Sequence (%04X,%04X) at offset %" G_GUINT64_FORMAT " is nested deeper "
                     "than %u levels", TAG_GROUP (tag), TAG_ELEMENT (tag), header_offset,
                     scan->max_depth);
      scan->depth++;
      scan->result.max_depth_seen = MAX (scan->result.max_depth_seen, scan->depth);
    }

  frame.kind = kind;
  frame.tag = tag;
  frame.opened_at = header_offset;
  frame.explicit_vr = explicit_vr;
  frame.big_endian = big_endian;
  if (length == UNDEFINED_LENGTH)
    {
      frame.end = NO_LIMIT;
      frame.limit = parent->limit;
    }
  else
    {
      if (!check_fits (scan, length, tag, header_offset, error))
        return FALSE;
      frame.end = scan->reader.offset + length;
      frame.limit = frame.end;
    }

  g_array_append_val (scan->stack, frame);
  return TRUE;
}

static void
pop (Scan *scan)
{
  Frame *frame = top (scan);

  if (frame->kind == FRAME_SEQUENCE)
    scan->depth--;
  g_array_set_size (scan->stack, scan->stack->len - 1);
}

/* Reads an item-level header (tag and 4-byte length, no VR) inside a sequence or fragments. */
static gboolean
read_item_header (Scan     *scan,
                  Frame    *frame,
                  guint32  *tag,
                  guint32  *length,
                  GError  **error)
{
  guint8 header[8];
  guint64 offset = scan->reader.offset;
  gboolean short_read;

  if (frame->limit != NO_LIMIT && frame->limit - offset < sizeof header)
    return fail (error, FERRY_DICOM_ERROR_HOSTILE,
                 "An item header at offset %" G_GUINT64_FORMAT " crosses the end of "
                 "(%04X,%04X)", offset, TAG_GROUP (frame->tag), TAG_ELEMENT (frame->tag));
  if (!reader_read (&scan->reader, header, sizeof header, &short_read))
    return fail_read (scan, short_read, error, frame->tag, offset, "an item header inside");

  /* Item tags and lengths are in the byte order of the transfer syntax, even in implicit VR. */
  *tag = get_tag (header, frame->big_endian);
  *length = get32 (header + 4, frame->big_endian);
  return TRUE;
}

static gboolean
step_sequence (Scan    *scan,
               GError **error)
{
  Frame *frame = top (scan);
  guint64 offset = scan->reader.offset;
  guint32 tag, length;

  if (!read_item_header (scan, frame, &tag, &length, error))
    return FALSE;

  if (tag == TAG_ITEM)
    {
      gboolean explicit_vr = frame->explicit_vr;
      gboolean big_endian = frame->big_endian;

      return push (scan, FRAME_ITEM, tag, offset, length, explicit_vr, big_endian, error);
    }

  if (tag == TAG_SEQUENCE_DELIMITER)
    {
      if (frame->end != NO_LIMIT)
        return fail (error, FERRY_DICOM_ERROR_PARSE,
                     "A sequence delimiter at offset %" G_GUINT64_FORMAT " closes (%04X,%04X), "
                     "which has a defined length", offset,
                     TAG_GROUP (frame->tag), TAG_ELEMENT (frame->tag));
      if (length != 0)
        return fail (error, FERRY_DICOM_ERROR_PARSE,
                     "The sequence delimiter at offset %" G_GUINT64_FORMAT " has length %u",
                     offset, length);
      pop (scan);
      return TRUE;
    }

  if (tag == TAG_ITEM_DELIMITER)
    return fail (error, FERRY_DICOM_ERROR_PARSE,
                 "An item delimiter at offset %" G_GUINT64_FORMAT " does not belong there: "
                 "(%04X,%04X) has no open item", offset,
                 TAG_GROUP (frame->tag), TAG_ELEMENT (frame->tag));

  return fail (error, FERRY_DICOM_ERROR_PARSE,
               "(%04X,%04X) at offset %" G_GUINT64_FORMAT " is not an item of sequence "
               "(%04X,%04X)", TAG_GROUP (tag), TAG_ELEMENT (tag), offset,
               TAG_GROUP (frame->tag), TAG_ELEMENT (frame->tag));
}

static gboolean
step_fragments (Scan    *scan,
                GError **error)
{
  Frame *frame = top (scan);
  guint64 offset = scan->reader.offset;
  guint32 tag, length;
  gboolean short_read;

  if (!read_item_header (scan, frame, &tag, &length, error))
    return FALSE;

  if (tag == TAG_ITEM)
    {
      if (length == UNDEFINED_LENGTH)
        return fail (error, FERRY_DICOM_ERROR_PARSE,
                     "A pixel data fragment at offset %" G_GUINT64_FORMAT " has no length",
                     offset);
      if (!check_fits (scan, length, tag, offset, error))
        return FALSE;
      if (!reader_skip (&scan->reader, length, &short_read))
        return fail_read (scan, short_read, error, TAG_PIXEL_DATA, offset, "a fragment");
      return TRUE;
    }

  if (tag == TAG_SEQUENCE_DELIMITER)
    {
      if (length != 0)
        return fail (error, FERRY_DICOM_ERROR_PARSE,
                     "The sequence delimiter at offset %" G_GUINT64_FORMAT " has length %u",
                     offset, length);
      pop (scan);
      return TRUE;
    }

  return fail (error, FERRY_DICOM_ERROR_PARSE,
               "(%04X,%04X) at offset %" G_GUINT64_FORMAT " does not belong in encapsulated "
               "pixel data", TAG_GROUP (tag), TAG_ELEMENT (tag), offset);
}

/* One element of a dataset or item, or the delimiter that closes the item. */
static gboolean
step_element (Scan    *scan,
              GError **error)
{
  Frame *frame = top (scan);
  gboolean explicit_vr = frame->explicit_vr;
  gboolean big_endian = frame->big_endian;
  guint64 offset = scan->reader.offset;
  guint8 header[12];
  guint8 vr[2] = { 0, 0 };
  gboolean short_read;
  guint32 tag, length;
  gboolean is_sequence = FALSE;

  if (frame->limit != NO_LIMIT && frame->limit - offset < 8)
    return fail (error, FERRY_DICOM_ERROR_HOSTILE,
                 "An element header at offset %" G_GUINT64_FORMAT " crosses the end of %s",
                 offset, frame->kind == FRAME_DATASET ? "the object" : "its item");
  if (!reader_read (&scan->reader, header, 8, &short_read))
    return fail_read (scan, short_read, error, frame->tag, offset, "an element header after");

  tag = get_tag (header, big_endian);

  if (TAG_GROUP (tag) == 0xFFFE)
    {
      length = get32 (header + 4, big_endian);

      if (tag == TAG_ITEM_DELIMITER && frame->kind == FRAME_ITEM && frame->end == NO_LIMIT)
        {
          if (length != 0)
            return fail (error, FERRY_DICOM_ERROR_PARSE,
                         "The item delimiter at offset %" G_GUINT64_FORMAT " has length %u",
                         offset, length);
          pop (scan);
          return TRUE;
        }

      return fail (error, FERRY_DICOM_ERROR_PARSE,
                   "%s (%04X,%04X) at offset %" G_GUINT64_FORMAT " does not belong there",
                   tag == TAG_ITEM_DELIMITER ? "An item delimiter" :
                   tag == TAG_SEQUENCE_DELIMITER ? "A sequence delimiter" : "An item tag",
                   TAG_GROUP (tag), TAG_ELEMENT (tag), offset);
    }

  if (explicit_vr)
    {
      VrKind kind;

      vr[0] = header[4];
      vr[1] = header[5];
      kind = classify_vr (vr);

      if (kind == VR_UNKNOWN)
        return fail (error, FERRY_DICOM_ERROR_PARSE,
                     "(%04X,%04X) at offset %" G_GUINT64_FORMAT " has an unknown VR "
                     "(0x%02X 0x%02X)", TAG_GROUP (tag), TAG_ELEMENT (tag), offset, vr[0], vr[1]);

      if (kind == VR_SHORT)
        length = get16 (header + 6, big_endian);
      else
        {
          if (frame->limit != NO_LIMIT && frame->limit - offset < 12)
            return fail (error, FERRY_DICOM_ERROR_HOSTILE,
                         "The header of (%04X,%04X) at offset %" G_GUINT64_FORMAT
                         " crosses the end of %s", TAG_GROUP (tag), TAG_ELEMENT (tag), offset,
                         frame->kind == FRAME_DATASET ? "the object" : "its item");
          if (!reader_read (&scan->reader, header + 8, 4, &short_read))
            return fail_read (scan, short_read, error, tag, offset, "the header");
          length = get32 (header + 8, big_endian);
        }

      is_sequence = vr[0] == 'S' && vr[1] == 'Q';

      if (length == UNDEFINED_LENGTH && !is_sequence)
        {
          if (vr[0] == 'U' && vr[1] == 'N')
            {
              /* PS3.5 6.2.2: UN of undefined length holds a sequence in implicit VR LE. */
              scan->result.element_count++;
              return push (scan, FRAME_SEQUENCE, tag, offset, length, FALSE, FALSE, error);
            }
          if (tag == TAG_PIXEL_DATA && vr[0] == 'O')
            {
              scan->result.element_count++;
              return push (scan, FRAME_FRAGMENTS, tag, offset, length, explicit_vr, big_endian,
                           error);
            }
          return fail (error, FERRY_DICOM_ERROR_PARSE,
                       "(%04X,%04X) at offset %" G_GUINT64_FORMAT " has an undefined length "
                       "but is neither a sequence nor pixel data",
                       TAG_GROUP (tag), TAG_ELEMENT (tag), offset);
        }
    }
  else
    {
      length = get32 (header + 4, big_endian);

      if (length == UNDEFINED_LENGTH)
        {
          scan->result.element_count++;
          /* Without a dictionary, an undefined length in implicit VR is a sequence, except
           * for encapsulated pixel data. */
          if (tag == TAG_PIXEL_DATA)
            return push (scan, FRAME_FRAGMENTS, tag, offset, length, explicit_vr, big_endian,
                         error);
          return push (scan, FRAME_SEQUENCE, tag, offset, length, explicit_vr, big_endian, error);
        }

      /* A defined-length sequence in implicit VR is only recognisable by its first item tag.
       * Walk into it when it looks like one, so its nesting is bounded too. */
      if (length >= 8 && tag != TAG_PIXEL_DATA && TAG_GROUP (tag) != 0x0002)
        {
          if (!check_fits (scan, length, tag, offset, error))
            return FALSE;
          if (!reader_fill (&scan->reader, 8))
            return fail_read (scan, FALSE, error, tag, offset, "the value");
          if (reader_available (&scan->reader) >= 8)
            {
              const guint8 *p = scan->reader.window + scan->reader.start;
              guint32 item_length = get32 (p + 4, big_endian);

              if (get_tag (p, big_endian) == TAG_ITEM &&
                  (item_length == UNDEFINED_LENGTH || item_length <= length - 8))
                is_sequence = TRUE;
            }
        }
    }

  scan->result.element_count++;

  if (is_sequence)
    return push (scan, FRAME_SEQUENCE, tag, offset, length, explicit_vr, big_endian, error);

  if (!check_fits (scan, length, tag, offset, error))
    return FALSE;

  if (frame->kind == FRAME_DATASET &&
      (tag == TAG_SOP_CLASS_UID || tag == TAG_SOP_INSTANCE_UID) &&
      length <= MAX_VALUE_READ)
    {
      guint8 value[MAX_VALUE_READ];
      char **slot = tag == TAG_SOP_CLASS_UID ? &scan->result.sop_class_uid
                                             : &scan->result.sop_instance_uid;

      if (!reader_read (&scan->reader, value, length, &short_read))
        return fail_read (scan, short_read, error, tag, offset, "the value");
      g_free (*slot);
      *slot = dup_trimmed (value, length);
      return TRUE;
    }

  if (!reader_skip (&scan->reader, length, &short_read))
    {
      if (short_read)
        return fail (error, FERRY_DICOM_ERROR_HOSTILE,
                     "(%04X,%04X) at offset %" G_GUINT64_FORMAT " declares a length of %u "
                     "bytes beyond the end of the %s", TAG_GROUP (tag), TAG_ELEMENT (tag),
                     offset, length, scan->dataset_label);
      return fail_read (scan, FALSE, error, tag, offset, "the value");
    }
  return TRUE;
}

/* Reads the preamble, "DICM" and the group 0002 elements (always explicit VR little endian). */
static gboolean
scan_meta (Scan    *scan,
           GError **error)
{
  Reader *r = &scan->reader;
  guint8 preamble[132];
  gboolean short_read;

  if (!reader_read (r, preamble, sizeof preamble, &short_read) ||
      memcmp (preamble + 128, "DICM", 4) != 0)
    {
      if (!short_read && r->io_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&r->io_error));
          return FALSE;
        }
      return fail (error, FERRY_DICOM_ERROR_PARSE,
                   "Not a DICOM Part 10 file: there is no \"DICM\" after a 128-byte preamble");
    }

  for (;;)
    {
      guint64 offset = r->offset;
      guint8 header[12];
      guint32 tag, length;
      VrKind kind;

      if (!reader_fill (r, 8))
        return fail_read (scan, FALSE, error, 0, offset, "the file meta information");
      if (reader_available (r) < 8)
        break;
      if (get16 (r->window + r->start, FALSE) != 0x0002)
        break;

      if (!reader_read (r, header, 8, &short_read))
        return fail_read (scan, short_read, error, 0x00020000, offset, "the file meta information");
      tag = get_tag (header, FALSE);
      kind = classify_vr (header + 4);
      if (kind == VR_UNKNOWN || (header[4] == 'S' && header[5] == 'Q'))
        return fail (error, FERRY_DICOM_ERROR_PARSE,
                     "(%04X,%04X) at offset %" G_GUINT64_FORMAT " in the file meta information "
                     "is not explicit VR little endian", TAG_GROUP (tag), TAG_ELEMENT (tag), offset);
      if (kind == VR_SHORT)
        length = get16 (header + 6, FALSE);
      else
        {
          if (!reader_read (r, header + 8, 4, &short_read))
            return fail_read (scan, short_read, error, tag, offset, "the header");
          length = get32 (header + 8, FALSE);
        }
      if (length == UNDEFINED_LENGTH)
        return fail (error, FERRY_DICOM_ERROR_PARSE,
                     "(%04X,%04X) at offset %" G_GUINT64_FORMAT " in the file meta information "
                     "has an undefined length", TAG_GROUP (tag), TAG_ELEMENT (tag), offset);
      if (!check_fits (scan, length, tag, offset, error))
        return FALSE;

      scan->result.element_count++;

      if (tag == TAG_TRANSFER_SYNTAX && length <= MAX_VALUE_READ)
        {
          guint8 value[MAX_VALUE_READ];

          if (!reader_read (r, value, length, &short_read))
            return fail_read (scan, short_read, error, tag, offset, "the value");
          g_free (scan->result.transfer_syntax_uid);
          scan->result.transfer_syntax_uid = dup_trimmed (value, length);
        }
      else if (!reader_skip (r, length, &short_read))
        return fail_read (scan, short_read, error, tag, offset, "the value");
    }

  if (scan->result.transfer_syntax_uid == NULL || scan->result.transfer_syntax_uid[0] == '\0')
    return fail (error, FERRY_DICOM_ERROR_PARSE,
                 "The file meta information has no Transfer Syntax UID (0002,0010)");

  return TRUE;
}

static gboolean
scan_run (Scan                          *scan,
          const FerryDicomPrescanLimits *limits,
          GError                       **error)
{
  const char *ts;
  gboolean explicit_vr = TRUE;
  gboolean big_endian = FALSE;
  Frame root = { 0, };

  scan->max_depth = limits && limits->max_depth > 0 ? limits->max_depth : DEFAULT_MAX_DEPTH;
  scan->stack = g_array_sized_new (FALSE, TRUE, sizeof (Frame), 2 * scan->max_depth + 2);
  scan->reader.window = g_malloc (WINDOW_SIZE);
  scan->dataset_label = "object";

  root.kind = FRAME_DATASET;
  root.end = scan->reader.raw_size;
  root.limit = scan->reader.raw_size;
  root.explicit_vr = TRUE;
  g_array_append_val (scan->stack, root);

  if (!scan_meta (scan, error))
    return FALSE;

  ts = scan->result.transfer_syntax_uid;
  if (g_str_equal (ts, "1.2.840.10008.1.2"))
    explicit_vr = FALSE;
  else if (g_str_equal (ts, "1.2.840.10008.1.2.2"))
    big_endian = TRUE;
  else if (g_str_equal (ts, "1.2.840.10008.1.2.1.99"))
    {
      guint64 bound = limits && limits->max_inflated_size > 0 ? limits->max_inflated_size
                                                               : DEFAULT_MAX_INFLATED_SIZE;

      if (!reader_start_inflate (&scan->reader, bound, error))
        return FALSE;
      /* The inflated length is unknown until the stream ends; the inflate bound holds instead. */
      top (scan)->end = NO_LIMIT;
      top (scan)->limit = NO_LIMIT;
      scan->dataset_label = "inflated dataset";
    }

  top (scan)->explicit_vr = explicit_vr;
  top (scan)->big_endian = big_endian;

  for (;;)
    {
      Frame *frame = top (scan);
      gboolean ok;

      if (frame->end != NO_LIMIT && scan->reader.offset == frame->end)
        {
          if (frame->kind == FRAME_DATASET)
            break;
          pop (scan);
          continue;
        }

      /* The object may end only at the top level; inside an undefined-length sequence or item
       * the end of the data means it was never closed, reported below. */
      if (frame->end == NO_LIMIT)
        {
          gboolean at_end;

          if (!reader_at_end (&scan->reader, &at_end))
            return fail_read (scan, FALSE, error, 0, scan->reader.offset, "the dataset");
          if (at_end)
            break;
        }

      switch (frame->kind)
        {
        case FRAME_SEQUENCE:
          ok = step_sequence (scan, error);
          break;
        case FRAME_FRAGMENTS:
          ok = step_fragments (scan, error);
          break;
        case FRAME_DATASET:
        case FRAME_ITEM:
        default:
          ok = step_element (scan, error);
          break;
        }
      if (!ok)
        return FALSE;
    }

  if (scan->stack->len > 1)
    {
      Frame *open = top (scan);

      return fail (error, FERRY_DICOM_ERROR_PARSE,
                   "The object ends inside (%04X,%04X) opened at offset %" G_GUINT64_FORMAT
                   ", which was never closed (truncated?)",
                   TAG_GROUP (open->tag), TAG_ELEMENT (open->tag), open->opened_at);
    }

  return TRUE;
}

static gboolean
scan_finish (Scan                    *scan,
             gboolean                 ok,
             FerryDicomPrescanResult *result)
{
  if (ok)
    *result = scan->result;
  else
    ferry_dicom_prescan_result_clear (&scan->result);
  g_clear_pointer (&scan->stack, g_array_unref);
  reader_clear (&scan->reader);
  return ok;
}

gboolean
ferry_dicom_prescan_file (const char                    *path,
                          const FerryDicomPrescanLimits *limits,
                          FerryDicomPrescanResult       *result,
                          GError                       **error)
{
  Scan scan = { 0, };
  struct stat st;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (result, 0, sizeof *result);

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not open the object: %s", g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE,
                           "The object is not a regular file");
      close (fd);
      return FALSE;
    }

  scan.reader.fd = fd;
  scan.reader.raw_size = (guint64) st.st_size;
  ok = scan_run (&scan, limits, error);
  close (fd);
  return scan_finish (&scan, ok, result);
}

/**
 * ferry_dicom_prescan_buffer:
 * @data: (array length=length): a Part 10 object in memory
 * @length: its size in bytes
 * @limits: (nullable): bounds, or %NULL for the defaults
 * @result: (out caller-allocates): filled on success; free with ferry_dicom_prescan_result_clear()
 * @error: return location for a #GError
 *
 * The same walk as ferry_dicom_prescan_file(), over memory. @data is only read.
 *
 * Returns: %TRUE when the structure is sound
 */
gboolean
ferry_dicom_prescan_buffer (const guint8                  *data,
                            gsize                          length,
                            const FerryDicomPrescanLimits *limits,
                            FerryDicomPrescanResult       *result,
                            GError                       **error)
{
  Scan scan = { 0, };
  gboolean ok;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (result, 0, sizeof *result);

  scan.reader.fd = -1;
  scan.reader.mem = data;
  scan.reader.mem_length = length;
  scan.reader.raw_size = length;
  ok = scan_run (&scan, limits, error);
  return scan_finish (&scan, ok, result);
}

/**
 * ferry_dicom_prescan_result_clear:
 * @result: (nullable): a result filled by a pre-scan
 *
 * Frees the strings of @result and zeroes it; the struct itself belongs to the caller.
 */
void
ferry_dicom_prescan_result_clear (FerryDicomPrescanResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->sop_class_uid, g_free);
  g_clear_pointer (&result->sop_instance_uid, g_free);
  g_clear_pointer (&result->transfer_syntax_uid, g_free);
  result->max_depth_seen = 0;
  result->element_count = 0;
}
