#!/usr/bin/env bash
# The date guard: runs the tests with the program's clock (package clock,
# REENTRYBOT_CLOCK) moved far from today, so that a test leaning on the real
# date fails now rather than at the next month's turn.
#
#   scripts/test-dates.sh                  # every package, at each date below
#   scripts/test-dates.sh ./store ./bot    # some packages
#   TEST_DATES="2033-07-31T23:59:00+07:00" scripts/test-dates.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# A month's last evening in Vietnam (already the next day nowhere, but the
# last day of February), a leap day, and New Year's morning in Vietnam,
# which is still the old year in UTC.
read -r -a dates <<<"${TEST_DATES:-2031-02-28T23:30:00+07:00 2032-02-29T08:00:00+07:00 2031-01-01T06:00:00+07:00}"
pkgs=("$@")
[[ ${#pkgs[@]} -gt 0 ]] || pkgs=(./...)

for d in "${dates[@]}"; do
	echo "--- REENTRYBOT_CLOCK=$d go test -count=1 ${pkgs[*]}"
	REENTRYBOT_CLOCK="$d" go test -count=1 "${pkgs[@]}"
done
