#!/usr/bin/env bash
# Builds Dovecot's imaptest into OUT_DIR (default target/imaptest) from the
# source snapshot in ../shared/tools/imaptest, installing what the build
# and the binary need first: it links libdovecot, which Debian ships in
# dovecot-core (dovecot-dev alone has only the headers). Installing
# dovecot-core must not start a system Dovecot, so service starts are
# refused for the duration of the install.
#   usage: install.sh [OUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/target/imaptest}
build="$root/../shared/tools/imaptest/build.sh"
[ -f "$build" ] || { echo "imaptest sources not found at $build" >&2; exit 1; }

if [ ! -e /usr/lib/dovecot/libdovecot.so ]; then
    command -v apt-get >/dev/null || { echo "libdovecot missing and no apt-get" >&2; exit 1; }
    policy=/usr/sbin/policy-rc.d
    had_policy=0
    [ -e "$policy" ] && had_policy=1
    if [ "$had_policy" = 0 ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod +x "$policy"
    fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-core dovecot-dev \
        autoconf automake libtool pkg-config >/dev/null
    [ "$had_policy" = 0 ] && rm -f "$policy"
fi
bash "$build" "$out"
