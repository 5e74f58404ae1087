#!/bin/sh
# soak.sh MINUTES OUT: run ./mflowlab under Xvfb with every layer on and training live, and
# append its resident memory (VmRSS, kB) to OUT every 30 s for MINUTES minutes.
# Example: make build && scripts/soak.sh 60 soak.txt
set -eu
MIN=${1:?minutes}
OUT=${2:?output file}
BIN=$(pwd)/mflowlab
[ -x "$BIN" ] || { echo "soak: build ./mflowlab first (make build)" >&2; exit 2; }
xvfb-run -a -s "-screen 0 1280x800x24" "$BIN" --all-layers >/dev/null 2>&1 &
sleep 5
PID=$(pgrep -n -f "^$BIN --all-layers") || { echo "soak: the app did not start" >&2; exit 1; }
trap 'kill $PID 2>/dev/null || true' EXIT INT TERM
end=$(( $(date +%s) + MIN * 60 ))
while [ "$(date +%s)" -lt "$end" ] && kill -0 "$PID" 2>/dev/null; do
	echo "$(date +%H:%M:%S) $(awk '/VmRSS/ {print $2}' /proc/$PID/status) kB" >>"$OUT"
	sleep 30
done
