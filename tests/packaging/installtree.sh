#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# packaging_install BUILD SOURCE VERSION: `cmake --install` into a temporary prefix holds exactly
# the files a user should get, and the desktop entry, metainfo and icons pass their validators.
set -euo pipefail
build=$1 source=$2 version=$3
. "$(dirname "$0")/common.sh"
need desktop-file-validate appstreamcli identify

prefix=$(mktemp -d "${TMPDIR:-/tmp}/stateward-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
log=$(cmake --install "$build" --prefix "$prefix" 2>&1) || fail "cmake --install failed:"$'\n'"$log"
same_files "cmake --install" "$(cd "$prefix" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort)"

got=$("$prefix/bin/stateward-cli" --version)
[ "$got" = "stateward-cli $version" ] || fail "installed stateward-cli --version says '$got', not $version"
grep -q "\"$app_id\"" "$source/core/version.cpp" || fail "core/version.cpp's applicationId() is not $app_id"

desktop=$prefix/share/applications/$app_id.desktop
out=$(desktop-file-validate "$desktop" 2>&1) || fail "desktop-file-validate:"$'\n'"$out"
[ -z "$out" ] || fail "desktop-file-validate has remarks (hints count too):"$'\n'"$out"
for line in "Exec=stateward %F" "Icon=$app_id" "Type=Application" "Terminal=false" "StartupWMClass=stateward"; do
    grep -qx "$line" "$desktop" || fail "$desktop lacks the line $line"
done

# Pedantic, and every remark must be one of these (the rest pass only as errors and warnings):
#   cid-contains-uppercase-letter: the id is io.github.stateward.Stateward, as the GUI reports it
#   unknown-tag developer: AppStream 0.16 (Debian 12) predates <developer>; it reads <developer_name>
#   developer-name-tag-deprecated: AppStream 1.0 says the opposite of 0.16
metainfo=$prefix/share/metainfo/$app_id.metainfo.xml
out=$(appstreamcli validate --no-net --pedantic "$metainfo" 2>&1) || fail "appstreamcli validate:"$'\n'"$out"
remarks=$(grep -E '^[EWIP]: ' <<<"$out" | cut -d' ' -f3- |
    grep -vxE 'cid-contains-uppercase-letter .*|unknown-tag developer|developer-name-tag-deprecated.*' || true)
[ -z "$remarks" ] || fail "appstreamcli validate --pedantic has new remarks:"$'\n'"$out"
out=$(appstreamcli validate-tree --no-net "$prefix" 2>&1) || fail "appstreamcli validate-tree:"$'\n'"$out"

# Releases are listed newest first; the newest names this version, so a bump adds one (and an
# entry to packaging/changelog).
newest=$(grep -oE '<release [^>]*version="[^"]+"' "$metainfo" | head -n1 | sed -E 's/.*version="([^"]+)".*/\1/')
[ "$newest" = "$version" ] || fail "the metainfo's newest release is '$newest', the project's version $version"
changelog=$(zcat "$prefix/share/doc/stateward/changelog.gz" | head -n1)
[[ "$changelog" == "stateward ($version) "* ]] || fail "packaging/changelog's newest entry is '$changelog', not $version"
dates=$(grep -oE '<release [^>]*date="[^"]+"' "$metainfo" | sed -E 's/.*date="([^"]+)".*/\1/')
[ "$dates" = "$(sort -r <<<"$dates")" ] || fail "the metainfo's releases are not newest first"
grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" ||
    fail "the metainfo's launchable is not $app_id.desktop"
for binary in $(grep -oE '<binary>[^<]+' "$metainfo" | cut -d'>' -f2); do
    [ -x "$prefix/bin/$binary" ] || fail "the metainfo provides the binary $binary, which is not installed"
done
# The screenshot is the repository's own file, served from the default branch.
url=$(grep -oE 'https://raw.githubusercontent.com/stateward/stateward/main/[^<]+' "$metainfo" | head -n1)
[ -n "$url" ] || fail "the metainfo has no screenshot from the repository"
[ -f "$source/${url#https://raw.githubusercontent.com/stateward/stateward/main/}" ] ||
    fail "the screenshot $url is not a file of the repository"

icons=$prefix/share/icons/hicolor
grep -q '<svg' "$icons/scalable/apps/$app_id.svg" || fail "the scalable icon is not an SVG"
for size in "${icon_sizes[@]}"; do
    png=$icons/${size}x$size/apps/$app_id.png
    got=$(identify -format '%m %wx%h' "$png")
    [ "$got" = "PNG ${size}x$size" ] || fail "$png is $got, not PNG ${size}x$size"
done
# The committed PNGs still show their SVGs (scripts/icons renders them; fuzz for renderer versions).
if command -v rsvg-convert >/dev/null && command -v compare >/dev/null; then
    for size in "${icon_sizes[@]}"; do
        svg=$source/resources/icons/stateward.svg
        [ "$size" -ge 20 ] || svg=$source/resources/icons/stateward-16.svg
        rsvg-convert --width "$size" --height "$size" "$svg" --output "$prefix/render.png"
        differ=$(compare -metric AE -fuzz 10% "$prefix/render.png" "$source/resources/icons/stateward-$size.png" \
            null: 2>&1 || true)
        [ "$differ" = 0 ] || fail "resources/icons/stateward-$size.png differs from $svg in $differ pixels: run scripts/icons"
    done
fi
echo "install tree: $(expected_files | wc -l) files, desktop entry, metainfo (release $newest) and icons valid"
