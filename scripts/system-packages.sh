#!/usr/bin/env bash
# Debian packages the handouts need: DejaVu and Noto CJK fonts (Latin and Chinese text; the Typst PDFs
# take their fonts from these packages' folders only), poppler-utils (pdftotext and pdfinfo, used by the
# tests), chromium (the browser the tests drive through Playwright). With the argument `bench`, also
# Pango and HarfBuzz-Subset for WeasyPrint, which only the benchmarks run (`make bench`: the naive loop
# keeps its `weasyprint` commands, comparable with earlier runs). Installed when missing and we are
# root; otherwise the missing ones are named and the build goes on.
set -euo pipefail
packages=(fonts-dejavu-core fonts-noto-cjk poppler-utils chromium)
if [ "${1:-}" = bench ]; then
    packages+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
fi
command -v dpkg-query >/dev/null || exit 0
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "system-packages: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "system-packages: missing ${missing[*]} (install them with apt-get as root)" >&2
fi
