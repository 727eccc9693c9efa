#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The walls between Ferry's rooms. DCMTK's headers sit on the default include path, so the build
# alone cannot keep them out of core: this test does. GTK may appear only in the window.
src=${1:?usage: check-layers.sh SRCDIR [FERRY-CLI]}
status=0

dcmtk=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]dcmtk/' "$src" --include='*.c' --include='*.h' --include='*.cc' --include='*.hh' | grep -v "^$src/dicom/")
if [ -n "$dcmtk" ]; then
  echo "DCMTK included outside src/dicom/:"; echo "$dcmtk"; status=1
fi

gtk=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](gtk/|gdk/|adwaita\.h|adw-)' "$src/core" "$src/dicom" "$src/cli")
if [ -n "$gtk" ]; then
  echo "GTK or libadwaita included outside src/gui/:"; echo "$gtk"; status=1
fi

cxx=$(find "$src" \( -name '*.cc' -o -name '*.cpp' -o -name '*.hh' \) ! -path "$src/dicom/*")
if [ -n "$cxx" ]; then
  echo "C++ outside src/dicom/:"; echo "$cxx"; status=1
fi

# Tests go through the C API like the rest of Ferry. The one exception is tests/peers/: DICOM
# peers the tests talk to (ferry-test-scp answers with statuses and stalls that DCMTK's own
# tools cannot), which are programs of their own, written in C++ over DCMTK, never linked
# into Ferry.
tests=$(dirname "$src")/tests
if [ -d "$tests" ]; then
  dcmtk=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]dcmtk/' "$tests" --include='*.c' --include='*.h' --include='*.cc' --include='*.hh' | grep -v "^$tests/peers/")
  if [ -n "$dcmtk" ]; then
    echo "DCMTK included in tests outside tests/peers/:"; echo "$dcmtk"; status=1
  fi
  cxx=$(find "$tests" \( -name '*.cc' -o -name '*.cpp' -o -name '*.hh' \) ! -path "$tests/peers/*")
  if [ -n "$cxx" ]; then
    echo "C++ in tests outside tests/peers/:"; echo "$cxx"; status=1
  fi
fi

# ferry-cli runs on machines without a display: it must not even load GTK.
cli=${2:-}
if [ -n "$cli" ] && objdump -p "$cli" | grep -E 'NEEDED.*(gtk|adwaita)'; then
  echo "ferry-cli links GTK"; status=1
fi

[ $status -eq 0 ] && echo "layers ok"
exit $status
