#!/usr/bin/env bash
# Builds the minimal line-controller program (append + verify, no heap) for
# thumbv7em-none-eabihf and reports its text, data and bss sizes the way
# Berkeley `size` does: text = flash that is not written (code, vector
# table, constants), data = initialised RAM, bss = zeroed RAM.
# Usage: bash embedded/size.sh [ELF]  (with ELF: report that image instead,
# as ffi/firmware/build.sh does for the C image)
set -euo pipefail
if [ $# -gt 0 ]; then
  elf="$(realpath "$1")"
else
  cd "$(dirname "$0")"
  rustup target add thumbv7em-none-eabihf >/dev/null 2>&1 || true
  cargo build --release --quiet
  elf=target/thumbv7em-none-eabihf/release/lotledger-embedded
fi
readelf -SW "$elf" | python3 -c '
import re, sys
text = data = bss = 0
for line in sys.stdin:
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+\S+\s+\S+\s+([0-9a-f]+)\s+\S+\s+([A-Za-z]*)\s", line)
    if not m or "A" not in m.group(4):
        continue
    size = int(m.group(3), 16)
    if m.group(2) == "NOBITS":
        bss += size
    elif "W" in m.group(4):
        data += size
    else:
        text += size
print(f"text {text} bytes ({text / 1024:.1f} KiB), data {data} bytes, bss {bss} bytes")
'
