#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every user-visible string is translatable and the Spanish translation stays complete:
#  1. every source file with translatable strings is listed in po/POTFILES.in;
#  2. po/es.po, merged with the messages extracted from the sources as they are now, has no
#     untranslated and no fuzzy message.
# Usage: check-translations.sh SOURCE_ROOT
set -eu

root=$1
cd "$root"
status=0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort > "$work/listed"
{
  grep -rlE '(^|[^A-Za-z0-9_])(N?C?_|g_dn?gettext|ngettext) ?\(' src --include='*.c' --include='*.cc' || true
  grep -rl 'translatable="yes"' ui --include='*.ui' || true
  ls data/*.desktop.in data/*.metainfo.xml.in
} | sort -u > "$work/found"
missing=$(comm -23 "$work/found" "$work/listed")
if [ -n "$missing" ]; then
  echo "These files have translatable strings but are not in po/POTFILES.in:"
  printf '  %s\n' $missing
  status=1
fi

# The keywords of meson's i18n "glib" preset.
xgettext --from-code=UTF-8 --add-comments --directory="$root" --files-from=po/POTFILES.in \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 --keyword=ngettext:1,2 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --output="$work/ferry.pot" 2>"$work/xgettext.log" || { cat "$work/xgettext.log"; exit 1; }

msgmerge --quiet --no-fuzzy-matching --output-file="$work/es.po" po/es.po "$work/ferry.pot"
stats=$(msgfmt --check --statistics --output-file=/dev/null "$work/es.po" 2>&1)
echo "es: $stats"
case "$stats" in
  *untranslated*|*fuzzy*)
    echo "po/es.po is incomplete: run 'ninja -C BUILDDIR ferry-update-po' and translate:"
    msgattrib --untranslated --only-fuzzy "$work/es.po" 2>/dev/null | grep '^msgid' | head -20 || true
    msgattrib --untranslated "$work/es.po" | grep '^msgid' | head -20 || true
    status=1 ;;
esac

exit $status
