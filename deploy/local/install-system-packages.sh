#!/usr/bin/env bash
# System packages the local run and the tests need, from Debian's registry: Chromium for the
# browser tests (Playwright drives it; it never downloads its own browser); LibreOffice Calc and
# poppler-utils to print the report workbooks to PDF and PNG (make report-pictures, its test).
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v soffice >/dev/null || missing+=(libreoffice-calc)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing ${missing[*]} from Debian's packages ..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
