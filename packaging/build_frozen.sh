#!/usr/bin/env bash
# Build the one-folder frozen app with PyInstaller and run its self-test.
#
#   packaging/build_frozen.sh            # uses the python on PATH (or $PYTHON)
#
# Needs the project's runtime dependencies plus the 'packaging' extra
# (pip install -e '.[packaging]'). Writes dist/nst-desktop/ and
# build/pyinstaller/; prints the build time and the folder's size, and exits
# non-zero if the build or the self-test fails. Set NST_FROZEN_CUDA=keep to
# keep CUDA's on-demand libraries when building from CUDA wheels (see the spec).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python}"
DIST="${NST_FROZEN_DIST:-$ROOT/dist}"
WORK="${NST_FROZEN_WORK:-$ROOT/build/pyinstaller}"
cd "$ROOT"

start=$(date +%s)
# Importing every torch submodule (PyInstaller's torch hook) prints hundreds of
# deprecation notices; they say nothing about this build.
PYTHONWARNINGS="ignore::DeprecationWarning,ignore::FutureWarning" "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/pyinstaller/nst-desktop.spec
end=$(date +%s)

APP="$DIST/nst-desktop"
echo "frozen build: $((end - start)) s, $(du -sh "$APP" | cut -f1) in $APP ($(find "$APP" -type f | wc -l) files)"

# Headless, from another directory, with a home that cannot be written: the
# self-test must need nothing but the folder itself.
ro_home="$(mktemp)"
trap 'rm -f "$ro_home"' EXIT
(cd / && env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen \
    NST_DESKTOP_HOME="$ro_home/home" "$APP/nst-desktop" --self-test)
(cd / && env -u DISPLAY -u WAYLAND_DISPLAY "$APP/nst-desktop-cli" --self-test > /dev/null)
echo "frozen self-test passed (nst-desktop and nst-desktop-cli)"
