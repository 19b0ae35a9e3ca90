#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# check-screenshots.sh METAINFO DIR: every screenshot the AppStream
# metadata names is a PNG in DIR (data/screenshots/, where
# `ninja -C _build update-screenshots` takes them from the GUI) with the
# width and height it states, and DIR holds no screenshot it does not name.
set -eu

metainfo=$1
dir=$2
prefix=https://raw.githubusercontent.com/hangarvm/hangar/main/data/screenshots/
status=0

fail () {
  echo "error: $*" >&2
  status=1
}

# A big-endian 32-bit number at byte OFFSET of FILE.
be32 () {
  od -An -tu1 -j "$2" -N 4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'
}

lines=$(grep -o '<image[^>]*>[^<]*</image>' "$metainfo") || true
[ -n "$lines" ] || fail "$metainfo names no screenshots"

echo "$lines" | while IFS= read -r image; do
  url=$(echo "$image" | sed 's/.*>\([^<]*\)<\/image>/\1/')
  width=$(echo "$image" | sed -n 's/.* width="\([0-9]*\)".*/\1/p')
  height=$(echo "$image" | sed -n 's/.* height="\([0-9]*\)".*/\1/p')
  case "$url" in
    "$prefix"*) ;;
    *) echo "error: $url is not under $prefix" >&2; exit 1 ;;
  esac
  file=$dir/${url#"$prefix"}
  if [ ! -f "$file" ]; then
    echo "error: $file is missing (ninja -C _build update-screenshots)" >&2
    exit 1
  fi
  signature=$(od -An -tx1 -N 8 "$file" | tr -d ' \n')
  if [ "$signature" != 89504e470d0a1a0a ]; then
    echo "error: $file is not a PNG" >&2
    exit 1
  fi
  actual_width=$(be32 "$file" 16)
  actual_height=$(be32 "$file" 20)
  if [ -n "$width" ] && { [ "$width" != "$actual_width" ] || [ "$height" != "$actual_height" ]; }; then
    echo "error: $file is ${actual_width}x${actual_height}, the metadata says ${width}x${height}" >&2
    exit 1
  fi
  echo "ok: $file (${actual_width}x${actual_height})"
done || status=1

for file in "$dir"/*.png; do
  name=${file##*/}
  if ! grep -q "$prefix$name<" "$metainfo"; then
    fail "$file is not in $metainfo"
  fi
done

exit $status
