#!/usr/bin/env bash
# Installs Debian's Orthanc (+ DICOMweb plugin) and dicom3tools (dciodvfy) for Testing/dicom when missing.
set -euo pipefail
if [ -x /usr/sbin/Orthanc ] && [ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] && command -v dciodvfy >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Orthanc/dicom3tools are missing and this is not root: PACS and dciodvfy tests will be skipped" \
       "(apt-get install orthanc orthanc-dicomweb dicom3tools)" >&2
  exit 0
fi
apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq orthanc orthanc-dicomweb dicom3tools >/dev/null
