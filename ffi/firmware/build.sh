#!/usr/bin/env bash
# Builds the C ABI's static library for thumbv7em-none-eabihf (no_std, no
# allocator, the size profile of embedded/), links it into the minimal C
# firmware image of ffi/firmware/main.c with arm-none-eabi-gcc, checks that
# no allocator was linked, and reports its size beside the Rust image of
# embedded/ (the same work).
# Needs: rustup target thumbv7em-none-eabihf; Debian's gcc-arm-none-eabi and
# libnewlib-arm-none-eabi.  Usage: bash ffi/firmware/build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
rustup target add thumbv7em-none-eabihf >/dev/null 2>&1 || true
# The profile embedded/Cargo.toml uses for the Rust image.
CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=true \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_DEBUG=false \
CARGO_PROFILE_RELEASE_PANIC=abort \
  cargo rustc --quiet -p lotledger-ffi --lib --crate-type staticlib --release \
    --no-default-features --target thumbv7em-none-eabihf
lib=target/thumbv7em-none-eabihf/release/liblotledger_ffi.a
out=target/ffi-firmware
mkdir -p "$out"
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 \
  -Os -ffunction-sections -fdata-sections -Wall -Wextra -Werror -std=c11 \
  -I ffi/include ffi/firmware/main.c "$lib" \
  -nostartfiles --specs=nano.specs --specs=nosys.specs -T ffi/firmware/link.ld \
  -Wl,--gc-sections -Wl,--no-warn-execstack -Wl,-Map="$out/firmware.map" -o "$out/firmware.elf"
if arm-none-eabi-nm "$out/firmware.elf" | grep -Ew '(malloc|_malloc_r|free|_sbrk|realloc|calloc)$'; then
  echo "the C firmware image links an allocator" >&2
  exit 1
fi
printf 'C image (ffi/firmware, liblotledger_ffi.a):   '
bash embedded/size.sh "$out/firmware.elf"
printf 'Rust image (embedded/, the same work):         '
bash embedded/size.sh
