#!/usr/bin/env bash
# Debian packages the tests need: chromium (the browser the map tests drive), a CJK font (so that
# Chinese renders in figures), PostgreSQL with PostGIS (the tests start a server of their own),
# QGIS with its Python bindings (the GeoPackage is opened in PyQGIS, offscreen, by /usr/bin/python3;
# ogrinfo comes with QGIS's GDAL), LibreOffice Calc (the workbook is converted to PDF) and poppler
# (pdftotext and pdfinfo read the PDFs).
# Installs only what is missing; needs root or sudo.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgis)
/usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || need+=(qgis python3-qgis)
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
{ command -v pdftotext && command -v pdfinfo && command -v pdftoppm; } >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && { echo "system packages present"; exit 0; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
