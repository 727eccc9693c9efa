/* test-archive.c: the durable archive
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ferry-archive.h"

#define UID "1.2.826.0.1.3680043.8.498.12345678901234567890"

typedef struct {
  char         *root;
  FerryArchive *archive;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->root = g_build_filename (g_get_user_data_dir (), "ferry", "archive", NULL);
  fixture->archive = ferry_archive_open (fixture->root, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->archive);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->archive, ferry_archive_close);
  g_clear_pointer (&fixture->root, g_free);
}

/* Writes @content to a new spool file, as a receiver would; returns the open fd. */
static int
spool (Fixture     *fixture,
       const char  *content,
       gsize        length,
       char       **path)
{
  g_autofree char *template = g_build_filename (ferry_archive_get_spool_dir (fixture->archive),
                                                "incoming-XXXXXX", NULL);
  int fd = g_mkstemp_full (template, O_RDWR | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, content, length), ==, (gssize) length);
  *path = g_steal_pointer (&template);
  return fd;
}

/* Every regular file under the root, outside the spool, as "folder/name". */
static GPtrArray *
archived_files (Fixture *fixture)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) root = g_dir_open (fixture->root, 0, NULL);
  const char *folder;

  g_assert_nonnull (root);
  while ((folder = g_dir_read_name (root)) != NULL)
    {
      g_autofree char *folder_path = g_build_filename (fixture->root, folder, NULL);
      g_autoptr(GDir) dir = NULL;
      const char *name;

      if (strcmp (folder, ".spool") == 0)
        continue;
      if (!g_file_test (folder_path, G_FILE_TEST_IS_DIR))
        {
          g_ptr_array_add (files, g_strdup (folder));
          continue;
        }
      dir = g_dir_open (folder_path, 0, NULL);
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (files, g_strconcat (folder, "/", name, NULL));
    }

  return files;
}

static guint
spool_count (Fixture *fixture)
{
  g_autoptr(GDir) dir = g_dir_open (ferry_archive_get_spool_dir (fixture->archive), 0, NULL);
  guint count = 0;

  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

static gboolean
commit (Fixture     *fixture,
        const char  *uid,
        const char  *content,
        gsize        length,
        guint64      expected_size,
        char       **relative_path,
        char       **sha256,
        GError     **error)
{
  g_autofree char *path = NULL;
  int fd = spool (fixture, content, length, &path);
  gboolean ok;

  ok = ferry_archive_commit_spool (fixture->archive, fd, path, expected_size, uid,
                                   relative_path, sha256, error);
  close (fd);
  if (!ok)
    g_unlink (path);
  return ok;
}

static void
test_name_is_hash (void)
{
  const char *content_hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  g_autofree char *uid_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, UID, -1);
  g_autofree char *expected = g_strdup_printf ("%.2s/%s", uid_hash, content_hash);
  g_autofree char *name = ferry_archive_name_for (UID, content_hash);
  g_autofree char *hostile = ferry_archive_name_for ("../../../etc/passwd", content_hash);

  g_assert_cmpstr (name, ==, expected);
  g_assert_null (strstr (name, UID));
  g_assert_null (strstr (name, "1.2.826"));

  /* Whatever the UID holds, the name is hex, one slash, hex. */
  g_assert_null (strstr (hostile, ".."));
  g_assert_cmpuint (strlen (hostile), ==, 2 + 1 + 64);
  for (const char *p = hostile; *p != '\0'; p++)
    g_assert_true (g_ascii_isxdigit (*p) || (*p == '/' && p - hostile == 2));
}

static void
test_commit (Fixture       *fixture,
             gconstpointer  data)
{
  static const char content[] = "DICM pretend this is a Part 10 file";
  g_autofree char *spool_path = NULL;
  g_autofree char *relative_path = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *expected_sha256 = NULL;
  g_autofree char *expected_name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *stored = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;
  gsize stored_length = 0;
  int fd;

  fd = spool (fixture, content, sizeof content - 1, &spool_path);
  /* The position of the fd does not matter. */
  g_assert_cmpint (lseek (fd, 3, SEEK_SET), ==, 3);
  g_assert_true (ferry_archive_commit_spool (fixture->archive, fd, spool_path,
                                             sizeof content - 1, UID, &relative_path, &sha256,
                                             &error));
  g_assert_no_error (error);
  close (fd);

  expected_sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) content,
                                                 sizeof content - 1);
  expected_name = ferry_archive_name_for (UID, expected_sha256);
  g_assert_cmpstr (sha256, ==, expected_sha256);
  g_assert_cmpstr (relative_path, ==, expected_name);

  path = ferry_archive_dup_path (fixture->archive, relative_path);
  g_assert_true (g_str_has_prefix (path, ferry_archive_get_root (fixture->archive)));
  g_assert_true (g_file_get_contents (path, &stored, &stored_length, NULL));
  g_assert_cmpmem (stored, stored_length, content, sizeof content - 1);

  /* The spool file is gone and the archive holds exactly this file. */
  g_assert_false (g_file_test (spool_path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (spool_count (fixture), ==, 0);
  files = archived_files (fixture);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (files, 0), ==, relative_path);
}

/* The 256 folders exist from the start, so that a new instance needs no flush of the root; one
 * that disappears while the archive is open is made again rather than failing the store. */
static void
test_folders (Fixture       *fixture,
              gconstpointer  data)
{
  static const char content[] = "DICM in a folder that was removed";
  g_autofree char *uid_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, UID, -1);
  g_autofree char *folder = NULL;
  g_autofree char *relative_path = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 256; i++)
    {
      g_autofree char *name = g_strdup_printf ("%02x", i);
      g_autofree char *path = g_build_filename (ferry_archive_get_root (fixture->archive), name,
                                                NULL);

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
    }

  uid_hash[2] = '\0';
  folder = g_build_filename (ferry_archive_get_root (fixture->archive), uid_hash, NULL);
  g_assert_cmpint (g_rmdir (folder), ==, 0);

  g_assert_true (commit (fixture, UID, content, sizeof content - 1, sizeof content - 1,
                         &relative_path, &sha256, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
  g_assert_true (g_str_has_prefix (relative_path, uid_hash));
}

static void
test_same_content_twice (Fixture       *fixture,
                         gconstpointer  data)
{
  static const char content[] = "the same bytes";
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *sha_first = NULL;
  g_autofree char *sha_second = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (commit (fixture, UID, content, sizeof content - 1, sizeof content - 1,
                         &first, &sha_first, &error));
  g_assert_no_error (error);
  g_assert_true (commit (fixture, UID, content, sizeof content - 1, sizeof content - 1,
                         &second, &sha_second, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (first, ==, second);
  g_assert_cmpstr (sha_first, ==, sha_second);
  files = archived_files (fixture);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_cmpuint (spool_count (fixture), ==, 0);
}

static void
test_created (Fixture       *fixture,
              gconstpointer  data)
{
  static const char content[] = "who made this file";
  gboolean created[2] = { FALSE, TRUE };

  /* Only the first commit owns the file: a rollback of the second must not remove it. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *spool_path = NULL;
      g_autofree char *relative_path = NULL;
      g_autofree char *sha256 = NULL;
      g_autoptr(GError) error = NULL;
      int fd = spool (fixture, content, sizeof content - 1, &spool_path);

      g_assert_true (ferry_archive_commit_spool_full (fixture->archive, fd, spool_path,
                                                      sizeof content - 1, UID, &relative_path,
                                                      &sha256, &created[i], &error));
      g_assert_no_error (error);
      close (fd);
    }

  g_assert_true (created[0]);
  g_assert_false (created[1]);
}

static void
test_new_version (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *sha_first = NULL;
  g_autofree char *sha_second = NULL;
  g_autofree char *first_folder = NULL;
  g_autofree char *second_folder = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (commit (fixture, UID, "version one", 11, 11, &first, &sha_first, &error));
  g_assert_no_error (error);
  g_assert_true (commit (fixture, UID, "version two", 11, 11, &second, &sha_second, &error));
  g_assert_no_error (error);

  /* Both kept, side by side in the UID's folder. */
  g_assert_cmpstr (first, !=, second);
  first_folder = g_path_get_dirname (first);
  second_folder = g_path_get_dirname (second);
  g_assert_cmpstr (first_folder, ==, second_folder);
  files = archived_files (fixture);
  g_assert_cmpuint (files->len, ==, 2);
}

static void
test_truncated (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *spool_path = NULL;
  g_autofree char *relative_path = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  fd = spool (fixture, "short", 5, &spool_path);
  g_assert_false (ferry_archive_commit_spool (fixture->archive, fd, spool_path, 4096, UID,
                                              &relative_path, &sha256, &error));
  close (fd);
  g_assert_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_TRUNCATED);
  g_assert_null (relative_path);
  g_assert_null (sha256);

  /* Nothing in the archive; the spool file is the caller's to remove. */
  files = archived_files (fixture);
  g_assert_cmpuint (files->len, ==, 0);
  g_assert_true (g_file_test (spool_path, G_FILE_TEST_EXISTS));
}

static void
test_sweep (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *kept = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *kept_path = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *stranger_in_folder = NULL;
  g_autofree char *orphan_in_root = NULL;
  g_autofree char *orphan_spool = NULL;
  g_autofree char *orphan_spool_2 = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (commit (fixture, UID, "complete", 8, 8, &kept, &sha256, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ferry_archive_get_swept_count (fixture->archive), ==, 0);

  /* What a process killed in the middle of receiving leaves behind. Hash folders are not
   * walked at start-up (nothing writes temporary names there), so a stray file in one stays. */
  kept_path = ferry_archive_dup_path (fixture->archive, kept);
  folder = g_path_get_dirname (kept_path);
  stranger_in_folder = g_build_filename (folder, "abc.tmp-123", NULL);
  orphan_in_root = g_build_filename (fixture->root, "x.tmp-9", NULL);
  orphan_spool = g_build_filename (ferry_archive_get_spool_dir (fixture->archive), "incoming-1",
                                   NULL);
  orphan_spool_2 = g_build_filename (ferry_archive_get_spool_dir (fixture->archive), "partial",
                                     NULL);
  g_assert_true (g_file_set_contents (stranger_in_folder, "half", -1, NULL));
  g_assert_true (g_file_set_contents (orphan_in_root, "half", -1, NULL));
  g_assert_true (g_file_set_contents (orphan_spool, "half", -1, NULL));
  g_assert_true (g_file_set_contents (orphan_spool_2, "", -1, NULL));

  ferry_archive_close (fixture->archive);
  fixture->archive = ferry_archive_open (fixture->root, 0, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (ferry_archive_get_swept_count (fixture->archive), ==, 3);
  g_assert_true (g_file_test (stranger_in_folder, G_FILE_TEST_EXISTS));
  g_unlink (stranger_in_folder);
  g_assert_false (g_file_test (orphan_in_root, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (orphan_spool, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (orphan_spool_2, G_FILE_TEST_EXISTS));

  /* The acknowledged file stays. */
  files = archived_files (fixture);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (files, 0), ==, kept);
}

static void
test_reserve (void)
{
  g_autofree char *root = g_build_filename (g_get_user_data_dir (), "reserve", NULL);
  g_autoptr(FerryArchive) roomy = NULL;
  g_autoptr(FerryArchive) tight = NULL;
  g_autoptr(GError) error = NULL;

  roomy = ferry_archive_open (root, 0, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_archive_check_space (roomy, 1024, &error));
  g_assert_no_error (error);
  g_assert_false (ferry_archive_check_space (roomy, G_MAXUINT64, &error));
  g_assert_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_NO_SPACE);
  g_clear_error (&error);

  /* A reserve larger than any disk: nothing fits, and the message says why. */
  tight = ferry_archive_open (root, G_GUINT64_CONSTANT (1) << 60, &error);
  g_assert_no_error (error);
  g_assert_false (ferry_archive_check_space (tight, 1, &error));
  g_assert_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "below the reserve of 1099511627776 MB"));
}

static void
test_remove (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *relative_path = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (commit (fixture, UID, "roll me back", 12, 12, &relative_path, &sha256,
                         &error));
  g_assert_no_error (error);
  path = ferry_archive_dup_path (fixture->archive, relative_path);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_true (ferry_archive_remove (fixture->archive, relative_path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Gone already is fine; a name that is not the archive's own shape is refused. */
  g_assert_true (ferry_archive_remove (fixture->archive, relative_path, &error));
  g_assert_no_error (error);
  g_assert_false (ferry_archive_remove (fixture->archive, "../../config.json", &error));
  g_assert_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_IO);
}

static void
test_open_fails (void)
{
  g_autofree char *file = g_build_filename (g_get_user_data_dir (), "not-a-dir", NULL);
  g_autoptr(FerryArchive) archive = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (g_get_user_data_dir (), 0700));
  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  archive = ferry_archive_open (file, 0, &error);
  g_assert_null (archive);
  g_assert_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_IO);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ferry/core/archive/name-is-hash", test_name_is_hash);
  g_test_add ("/ferry/core/archive/commit", Fixture, NULL,
              fixture_set_up, test_commit, fixture_tear_down);
  g_test_add ("/ferry/core/archive/folders", Fixture, NULL,
              fixture_set_up, test_folders, fixture_tear_down);
  g_test_add ("/ferry/core/archive/same-content-twice", Fixture, NULL,
              fixture_set_up, test_same_content_twice, fixture_tear_down);
  g_test_add ("/ferry/core/archive/created", Fixture, NULL,
              fixture_set_up, test_created, fixture_tear_down);
  g_test_add ("/ferry/core/archive/new-version", Fixture, NULL,
              fixture_set_up, test_new_version, fixture_tear_down);
  g_test_add ("/ferry/core/archive/truncated", Fixture, NULL,
              fixture_set_up, test_truncated, fixture_tear_down);
  g_test_add ("/ferry/core/archive/sweep", Fixture, NULL,
              fixture_set_up, test_sweep, fixture_tear_down);
  g_test_add_func ("/ferry/core/archive/reserve", test_reserve);
  g_test_add ("/ferry/core/archive/remove", Fixture, NULL,
              fixture_set_up, test_remove, fixture_tear_down);
  g_test_add_func ("/ferry/core/archive/open-fails", test_open_fails);

  return g_test_run ();
}
