#!/usr/bin/env bash
# Checks that a linux-musl publish carries no glibc-only native library: Alpine has neither ld-linux-x86-64.so.2 nor
# glibc's versioned symbols, so such a .so loads nowhere in the image (it is how the glibc libonnxruntime.so once
# slipped into the Alpine image). Usage: check-musl-natives.sh <publish dir>. Exit 1 on any offender.
set -euo pipefail
dir=${1:?usage: check-musl-natives.sh <publish dir>}
command -v readelf >/dev/null || { echo "readelf (binutils) is needed"; exit 2; }
checked=0 bad=0
while IFS= read -r -d '' lib; do
  # Only ELF files: packages also ship .so.dbg or text files named like libraries.
  head -c 4 "$lib" | grep -q $'\x7fELF' || continue
  checked=$((checked + 1))
  needed=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  glibc_versions=$(readelf -V "$lib" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tr '\n' ' ' || true)
  interp=$(readelf -l "$lib" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
  if [[ -n "$glibc_versions" || "$needed" == *"libc.so.6"* || "$needed" == *"ld-linux"* || "$interp" == *"ld-linux"* ]]; then
    echo "glibc-only: ${lib#"$dir"/} (needs: ${needed:-none}; glibc versions: ${glibc_versions:-none}${interp:+; interpreter $interp})"
    bad=$((bad + 1))
  else
    echo "ok: ${lib#"$dir"/} (needs: ${needed:-none})"
  fi
done < <(find "$dir" -type f \( -name '*.so' -o -name '*.so.*' \) -print0)
echo "musl natives: $checked ELF libraries checked, $bad glibc-only"
[ "$bad" -eq 0 ]
