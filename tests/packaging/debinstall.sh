#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# packaging_deb_install DIR VERSION: installs the .deb that packaging_deb built in DIR with dpkg, runs
# both binaries from /usr/bin, and purges it again, leaving nothing behind. It changes the system,
# so it runs only as root with CI set (or STATEWARD_TEST_DPKG_INSTALL=1), and never over a
# stateward someone installed; elsewhere it is skipped (exit 77).
set -euo pipefail
dir=$1 version=$2
. "$(dirname "$0")/common.sh"
need dpkg dpkg-query
deb=$dir/stateward_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "$deb is missing (packaging_deb builds it)"

installed=
cleanup() {
    if [ -n "$installed" ]; then # only ever the package this run installed
        dpkg --purge stateward >/dev/null 2>&1 || echo "could not remove the stateward package again" >&2
    fi
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || skip "the dpkg install check runs only as root"
[ -n "${CI:-}" ] || [ "${STATEWARD_TEST_DPKG_INSTALL:-}" = 1 ] ||
    skip "the dpkg install check runs only with CI or STATEWARD_TEST_DPKG_INSTALL=1 set"
status=$(dpkg-query -W -f='${db:Status-Status}' stateward 2>/dev/null || true)
[ -z "$status" ] || [ "$status" = not-installed ] ||
    skip "a stateward package is on this system already ($status): not touching it; remove it to run the install check"
for f in $(expected_files); do
    [ ! -e "/usr/$f" ] || skip "/usr/$f exists already: not overwriting it"
done

installed=1
log=$(dpkg -i "$deb" 2>&1) || fail "dpkg -i failed:"$'\n'"$log"
[ "$(dpkg-query -W -f='${db:Status-Status} ${Version}' stateward)" = "installed $version" ] ||
    fail "dpkg says: $(dpkg-query -W -f='${db:Status-Status} ${Version}' stateward)"
got=$(/usr/bin/stateward-cli --version) || fail "/usr/bin/stateward-cli --version failed"
[ "$got" = "stateward-cli $version" ] || fail "/usr/bin/stateward-cli --version says '$got'"
got=$(QT_QPA_PLATFORM=offscreen /usr/bin/stateward --version 2>/dev/null) || fail "/usr/bin/stateward --version failed"
[ "$got" = "stateward $version" ] || fail "/usr/bin/stateward --version says '$got'"
owned=$(dpkg -L stateward)
for f in /usr/bin/stateward "/usr/share/applications/$app_id.desktop" "/usr/share/metainfo/$app_id.metainfo.xml" \
    "/usr/share/icons/hicolor/16x16/apps/$app_id.png" /usr/share/man/man1/stateward-cli.1.gz; do
    grep -qx "$f" <<<"$owned" || fail "dpkg -L stateward does not list $f"
done

log=$(dpkg --purge stateward 2>&1) || fail "dpkg --purge failed:"$'\n'"$log"
installed=
status=$(dpkg-query -W -f='${db:Status-Status}' stateward 2>/dev/null || true)
[ -z "$status" ] || [ "$status" = not-installed ] || fail "after dpkg --purge, dpkg says stateward is $status"
for f in $(expected_files); do
    [ ! -e "/usr/$f" ] || fail "/usr/$f is still there after dpkg --purge"
done
echo "installed with dpkg -i, ran /usr/bin/stateward-cli and /usr/bin/stateward --version, purged cleanly"
