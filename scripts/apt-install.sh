#!/usr/bin/env bash
# Installs Debian packages as root, without questions:
#
#   scripts/apt-install.sh [apt-get install options] package...
#
# A dpkg run that was cut off before (a machine image taken in the middle of
# an install) makes every apt-get install fail with "dpkg was interrupted, you
# must manually run 'dpkg --configure -a'"; CI's stop 21 failed on exactly
# that. So the interrupted run is finished first, and apt waits for another
# apt's lock instead of failing on it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
lock=(-o DPkg::Lock::Timeout=600)
if [[ -n $(ls -A /var/lib/dpkg/updates 2>/dev/null) || -n $(dpkg --audit 2>/dev/null) ]]; then
  echo "apt-install: finishing an interrupted dpkg run (dpkg --configure -a)"
  dpkg --force-confdef --force-confold --configure -a || apt-get "${lock[@]}" install -f -y -q
fi
apt-get "${lock[@]}" update -q
apt-get "${lock[@]}" install -y -q "$@"
