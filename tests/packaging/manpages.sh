#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# packaging_manpages BUILD VERSION: the built man pages are free of groff warnings (lintian's
# check), and each names every long option that its binary's --help prints, and no other.
set -euo pipefail
build=$1 version=$2
. "$(dirname "$0")/common.sh"
need man groff

# The long options in a --help text's option lines ("  -o, --output <file>  …").
help_options() {
    grep -E '^ +(-[a-zA-Z], )?--[a-z]' | grep -oE -- '--[a-z][a-z-]*' || true
}
# check PAGE OPTIONS…: the page lints clean and names exactly these long options.
check() {
    local page=$build/docs/man/$1.1.gz
    shift
    [ -f "$page" ] || fail "$page was not built"
    local warnings text
    warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
    [ -z "$warnings" ] || fail "$page has groff warnings:"$'\n'"$warnings"
    # Rendered without hyphenation on long lines, so no option is split.
    text=$(zcat "$page" | groff -man -Tascii -rHY=0 -rLL=250n -P-cbou 2>/dev/null)
    grep -q "Stateward $version" <<<"$text" || fail "$page does not name version $version"
    local want got missing extra
    want=$(printf '%s\n' "$@" | LC_ALL=C sort -u)
    got=$(grep -oE -- '--[a-z][a-z-]*' <<<"$text" | LC_ALL=C sort -u)
    missing=$(LC_ALL=C comm -23 <(echo "$want") <(echo "$got"))
    extra=$(LC_ALL=C comm -13 <(echo "$want") <(echo "$got"))
    [ -z "$missing" ] || fail "$page does not document:"$'\n'"$missing"
    [ -z "$extra" ] || fail "$page documents options the binary does not have:"$'\n'"$extra"
    PAGE_TEXT=$text
}

gui=$(QT_QPA_PLATFORM=offscreen "$build/bin/stateward" --help 2>/dev/null) || fail "stateward --help failed"
check stateward $(help_options <<<"$gui")

cli=$("$build/bin/stateward-cli" --help) || fail "stateward-cli --help failed"
commands=$(sed -n '/^Commands:/,/^$/p' <<<"$cli" | grep -oE '^  [a-z][a-z-]*' | tr -d ' ')
[ -n "$commands" ] || fail "stateward-cli --help lists no commands"
options=$(help_options <<<"$cli")
for c in $commands; do
    sub=$("$build/bin/stateward-cli" "$c" --help) || fail "stateward-cli $c --help failed"
    options+=$'\n'$(help_options <<<"$sub")
done
check stateward-cli $options
for c in $commands; do # each command has its own subsection, "   scan WS..."
    grep -qE "^   $c( |\$)" <<<"$PAGE_TEXT" || fail "stateward-cli.1 has no subsection for the command $c"
done
echo "man pages: lint clean; stateward and stateward-cli ($(echo $commands)) document every option"
