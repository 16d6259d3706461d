#!/usr/bin/env bash
# Starts a throw-away Dovecot for benchmarks: ./start.sh DIR [PORT] [USER] [PASSWORD]
# Needs `apt-get install dovecot-imapd` and root (Dovecot drops to an
# unprivileged mail user, created here when missing). Prints the pid.
set -euo pipefail
dir=$(realpath -m "${1:?usage: start.sh DIR [PORT] [USER] [PASSWORD]}")
port=${2:-10143}
user=${3:-bench}
password=${4:-bench}
mail_user=hadronbench

command -v dovecot >/dev/null || { echo "dovecot not installed (apt-get install dovecot-imapd)" >&2; exit 1; }
id "$mail_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$mail_user"

mkdir -p "$dir"/{run,state,home}
chown "$mail_user:$mail_user" "$dir/home"
printf '%s:{PLAIN}%s\n' "$user" "$password" > "$dir/users"
sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" \
    -e "s|@USER@|$mail_user|g" -e "s|@GROUP@|$mail_user|g" \
    "$(dirname "$0")/dovecot.conf.in" > "$dir/dovecot.conf"
# Every benchmark connection is a process with several descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
dovecot -c "$dir/dovecot.conf"
for _ in $(seq 1 50); do
    [ -s "$dir/run/master.pid" ] && break
    sleep 0.1
done
cat "$dir/run/master.pid"
