#!/usr/bin/env bash
# What `npm run test:galera` needs on the machine: Debian's Galera provider and, only when
# no MariaDB server is installed at all, mariadb-server (with the SST scripts), plus rsync for
# state transfers. Nothing is started or configured here: the test runs its own nodes.
set -euo pipefail
missing=()
[ -e /usr/lib/galera/libgalera_smm.so ] || missing+=(galera-4)
command -v mariadbd >/dev/null || missing+=(mariadb-server)
command -v wsrep_sst_rsync >/dev/null || { command -v mariadbd >/dev/null && missing+=(mariadb-server); }
command -v rsync >/dev/null || missing+=(rsync)
command -v lsof >/dev/null || missing+=(lsof)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d 101: the package's own server is not started (the one on 3306, if any, is left alone).
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.galera && chmod +x /usr/sbin/policy-rc.d.galera
  if [ ! -e /usr/sbin/policy-rc.d ]; then cp /usr/sbin/policy-rc.d.galera /usr/sbin/policy-rc.d; placed=1; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "${placed:-0}" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  rm -f /usr/sbin/policy-rc.d.galera
fi
