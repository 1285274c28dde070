#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# packaging_deb BUILD OUT VERSION: `cpack -G DEB` builds OUT/stateward_VERSION_ARCH.deb with the
# files, modes and control fields a Debian user expects. packaging_deb_install installs it.
set -euo pipefail
build=$1 out=$2 version=$3
. "$(dirname "$0")/common.sh"
need cpack dpkg-deb dpkg-shlibdeps readelf

rm -rf "$out"
mkdir -p "$out"
# -B keeps CPack's staging and the package in OUT, a folder of the tests' build tree.
log=$(cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" 2>&1) || fail "cpack failed:"$'\n'"$log"
rm -rf "$out/_CPack_Packages" # the staged copy of the install tree
arch=$(dpkg --print-architecture)
deb=$out/stateward_${version}_$arch.deb
[ -f "$deb" ] || fail "cpack made no $(basename "$deb"):"$'\n'"$(ls "$out")"

listing=$(dpkg-deb -c "$deb")
same_files "$(basename "$deb")" "$(grep -v '^d' <<<"$listing" | awk '{print $6}' | sed 's|^\./usr/||' | LC_ALL=C sort)"
bad=$(grep -v '^d' <<<"$listing" | awk '$2 != "root/root" {print $6 " is owned by " $2}
    $6 ~ /\/bin\// && $1 != "-rwxr-xr-x" {print $6 " has mode " $1}
    $6 !~ /\/bin\// && $1 != "-rw-r--r--" {print $6 " has mode " $1}')
[ -z "$bad" ] || fail "wrong owners or modes:"$'\n'"$bad"

unpacked=$out/unpacked
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb -x "$deb" "$unpacked"
for binary in stateward stateward-cli; do
    ! readelf -S "$unpacked/usr/bin/$binary" | grep -q '\.debug_info' || fail "/usr/bin/$binary is not stripped"
done
zcat "$unpacked/usr/share/man/man1/stateward-cli.1.gz" | grep -q '^\.TH STATEWARD-CLI 1' ||
    fail "stateward-cli.1.gz is not the man page"
control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed 's|^\./||' | grep -v '^$' | LC_ALL=C sort | tr '\n' ' ')
[ "$control" = "control md5sums " ] || fail "control members are '$control', expected only control and md5sums"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = stateward ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', the project's is $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)'"
[ "$(field Section)" = devel ] || fail "Section is '$(field Section)'"
[ "$(field Priority)" = optional ] || fail "Priority is '$(field Priority)'"
[[ "$(field Maintainer)" =~ ^[^\<]+\ \<[^@\>]+@[^\>]+\>$ ]] || fail "Maintainer is '$(field Maintainer)'"
[[ "$(field Homepage)" == https://* ]] || fail "Homepage is '$(field Homepage)'"
depends=$(field Depends)
for lib in libc6 libqt6core6 libqt6gui6 libqt6widgets6 libqt6svg6; do
    [[ ", $depends," == *", $lib"[\ ,]* ]] || fail "Depends lacks $lib: $depends"
done
description=$(field Description)
summary=$(head -n1 <<<"$description")
[ -n "$summary" ] && [ ${#summary} -le 80 ] || fail "the description's summary line is '$summary'"
[ "$(wc -l <<<"$description")" -ge 3 ] || fail "the description has no body: $description"
long=$(awk 'length > 80' <<<"$description")
[ -z "$long" ] || fail "description lines longer than 80 columns:"$'\n'"$long"
echo "$(basename "$deb"): $(wc -l <<<"$(expected_files)") files, Depends: $depends"

