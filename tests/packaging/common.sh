# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by the packaging tests: what an install holds, and how a check fails or is skipped.
app_id=io.github.stateward.Stateward
icon_sizes=(16 22 24 32 48 64 128 256)

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
skip() { # ctest reports exit 77 as skipped (SKIP_RETURN_CODE)
    echo "SKIP: $*"
    exit 77
}
need() {
    local t
    for t; do
        command -v "$t" >/dev/null || skip "$t is not installed (scripts/deps installs it)"
    done
}

# Every file an install holds, relative to its prefix, sorted.
expected_files() {
    {
        printf '%s\n' bin/stateward bin/stateward-cli \
            share/doc/stateward/copyright share/doc/stateward/changelog.gz \
            "share/applications/$app_id.desktop" "share/metainfo/$app_id.metainfo.xml" \
            share/man/man1/stateward.1.gz share/man/man1/stateward-cli.1.gz \
            "share/icons/hicolor/scalable/apps/$app_id.svg"
        local s
        for s in "${icon_sizes[@]}"; do
            echo "share/icons/hicolor/${s}x$s/apps/$app_id.png"
        done
    } | LC_ALL=C sort
}

# same_files WHAT ACTUAL: fails naming what is missing from, or extra in, ACTUAL (a sorted list).
same_files() {
    local missing extra
    missing=$(LC_ALL=C comm -23 <(expected_files) <(echo "$2"))
    extra=$(LC_ALL=C comm -13 <(expected_files) <(echo "$2"))
    [ -z "$missing" ] || fail "$1 lacks:"$'\n'"$missing"
    [ -z "$extra" ] || fail "$1 holds files nobody should get:"$'\n'"$extra"
}
