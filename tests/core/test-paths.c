/* test-paths.c: paths and the data-directory lock
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ferry-paths.h"

static void
assert_private_dir (const char *path)
{
  GStatBuf st;

  g_assert_no_errno (g_stat (path, &st));
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

static void
test_ferry_home (void)
{
  g_autofree char *home = g_build_filename (g_get_user_cache_dir (), "portable", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(GError) error = NULL;

  g_setenv ("FERRY_HOME", home, TRUE);
  paths = ferry_paths_new (NULL);
  g_unsetenv ("FERRY_HOME");

  g_assert_cmpstr (paths->config_dir, ==, home);
  g_assert_cmpstr (paths->data_dir, ==, home);
  expected = g_build_filename (home, "config.json", NULL);
  g_assert_cmpstr (paths->config_file, ==, expected);
  g_clear_pointer (&expected, g_free);
  expected = g_build_filename (home, "ferry.db", NULL);
  g_assert_cmpstr (paths->database_file, ==, expected);
  g_clear_pointer (&expected, g_free);
  expected = g_build_filename (home, "archive", NULL);
  g_assert_cmpstr (paths->archive_dir, ==, expected);
  g_clear_pointer (&expected, g_free);
  expected = g_build_filename (home, "logs", NULL);
  g_assert_cmpstr (paths->log_dir, ==, expected);
  g_clear_pointer (&expected, g_free);
  expected = g_build_filename (home, "ferry.lock", NULL);
  g_assert_cmpstr (paths->lock_file, ==, expected);

  g_assert_false (g_file_test (home, G_FILE_TEST_EXISTS));
  g_assert_true (ferry_paths_ensure (paths, &error));
  g_assert_no_error (error);
  assert_private_dir (home);
  assert_private_dir (paths->archive_dir);
  assert_private_dir (paths->log_dir);

  /* Idempotent. */
  g_assert_true (ferry_paths_ensure (paths, &error));
  g_assert_no_error (error);
}

static void
test_home_argument (void)
{
  g_autofree char *home = g_build_filename (g_get_user_cache_dir (), "argument", NULL);
  g_autoptr(FerryPaths) paths = NULL;

  /* The argument wins over the environment. */
  g_setenv ("FERRY_HOME", "/nonexistent/ferry-home", TRUE);
  paths = ferry_paths_new (home);
  g_unsetenv ("FERRY_HOME");

  g_assert_cmpstr (paths->data_dir, ==, home);
  g_assert_cmpstr (paths->config_dir, ==, home);
}

static void
test_xdg (void)
{
  g_autofree char *config_dir = g_build_filename (g_get_user_config_dir (), "ferry", NULL);
  g_autofree char *data_dir = g_build_filename (g_get_user_data_dir (), "ferry", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(GError) error = NULL;

  g_unsetenv ("FERRY_HOME");
  paths = ferry_paths_new (NULL);

  g_assert_cmpstr (paths->config_dir, ==, config_dir);
  g_assert_cmpstr (paths->data_dir, ==, data_dir);
  expected = g_build_filename (config_dir, "config.json", NULL);
  g_assert_cmpstr (paths->config_file, ==, expected);
  g_clear_pointer (&expected, g_free);
  expected = g_build_filename (data_dir, "ferry.db", NULL);
  g_assert_cmpstr (paths->database_file, ==, expected);

  g_assert_true (ferry_paths_ensure (paths, &error));
  g_assert_no_error (error);
  assert_private_dir (config_dir);
  assert_private_dir (data_dir);
  assert_private_dir (paths->archive_dir);
}

static void
test_ensure_fails (void)
{
  g_autofree char *file = g_build_filename (g_get_user_cache_dir (), "a-file", NULL);
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (g_get_user_cache_dir (), 0700));
  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  paths = ferry_paths_new (file);
  g_assert_false (ferry_paths_ensure (paths, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, file));
}

static char *
lock_path (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "data", NULL);

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  return g_build_filename (dir, "ferry.lock", NULL);
}

/* Tries the lock in a child process; returns its exit status and what it reported. */
static int
acquire_in_child (const char  *path,
                  char       **report)
{
  int fds[2];
  pid_t pid;
  int status = 0;
  GString *out = g_string_new (NULL);
  char buffer[256];
  gssize n;

  g_assert_no_errno (pipe (fds));
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);

  if (pid == 0)
    {
      g_autoptr(GError) error = NULL;
      FerryLock *lock;
      const char *message;

      close (fds[0]);
      lock = ferry_lock_acquire (path, &error);
      message = lock != NULL ? "acquired"
              : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY) ? error->message
              : "unexpected error";
      if (write (fds[1], message, strlen (message)) < 0)
        _exit (3);
      _exit (lock != NULL ? 0 : 1);
    }

  close (fds[1]);
  while ((n = read (fds[0], buffer, sizeof buffer)) > 0)
    g_string_append_len (out, buffer, n);
  close (fds[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));

  *report = g_string_free (out, FALSE);
  return WEXITSTATUS (status);
}

static void
test_lock_other_process (void)
{
  g_autofree char *path = lock_path ();
  g_autofree char *report = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  FerryLock *lock;

  lock = ferry_lock_acquire (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lock);

  /* Our PID is in the file. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpint (g_ascii_strtoll (contents, NULL, 10), ==, getpid ());

  expected = g_strdup_printf ("Ferry is already running for this data directory (process %ld)",
                              (long) getpid ());
  g_assert_cmpint (acquire_in_child (path, &report), ==, 1);
  g_assert_cmpstr (report, ==, expected);
  g_clear_pointer (&report, g_free);

  /* Released: the file stays, and someone else may take it. */
  ferry_lock_release (lock);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (acquire_in_child (path, &report), ==, 0);
  g_assert_cmpstr (report, ==, "acquired");
}

static void
test_lock_same_process (void)
{
  g_autofree char *path = lock_path ();
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryLock) again = NULL;
  FerryLock *lock;
  FerryLock *second;

  lock = ferry_lock_acquire (path, &error);
  g_assert_no_error (error);

  /* OFD locks conflict between open file descriptions, even in one process. */
  second = ferry_lock_acquire (path, &error);
  g_assert_null (second);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  expected = g_strdup_printf ("Ferry is already running for this data directory (process %ld)",
                              (long) getpid ());
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  ferry_lock_release (lock);
  again = ferry_lock_acquire (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
}

static void
test_lock_stale_file (void)
{
  g_autofree char *path = lock_path ();
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryLock) lock = NULL;

  /* A PID left by a killed process does not block: only a held lock does. */
  g_assert_true (g_file_set_contents (path, "99999999\n", -1, NULL));
  lock = ferry_lock_acquire (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpint (g_ascii_strtoll (contents, NULL, 10), ==, getpid ());
}

static void
test_lock_unopenable (void)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "missing", "ferry.lock", NULL);
  g_autoptr(GError) error = NULL;
  FerryLock *lock;

  lock = ferry_lock_acquire (path, &error);
  g_assert_null (lock);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ferry/core/paths/ferry-home", test_ferry_home);
  g_test_add_func ("/ferry/core/paths/home-argument", test_home_argument);
  g_test_add_func ("/ferry/core/paths/xdg", test_xdg);
  g_test_add_func ("/ferry/core/paths/ensure-fails", test_ensure_fails);
  g_test_add_func ("/ferry/core/paths/lock-other-process", test_lock_other_process);
  g_test_add_func ("/ferry/core/paths/lock-same-process", test_lock_same_process);
  g_test_add_func ("/ferry/core/paths/lock-stale-file", test_lock_stale_file);
  g_test_add_func ("/ferry/core/paths/lock-unopenable", test_lock_unopenable);

  return g_test_run ();
}
