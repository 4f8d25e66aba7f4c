#!/usr/bin/env bash
# The repository's documentation stands alone.
#
#   tests/docs/links_test.sh [REPO_ROOT]     (ctest: docs.no_dead_links)
#
# 1. In README.md, docs/*.md, storage/FORMAT.md, projections/FORMAT.md,
#    bench/README.md and every README.md under deploy/: every relative
#    Markdown link `[text](path)` (and reference definition `[x]: path`)
#    must name a file or folder that exists, relative to the page (a link
#    starting with / is relative to the repository); every other path
#    ending in .md, backticked or plain, must exist relative to the page or
#    to the repository root. URLs and in-page anchors are not checked.
# 2. Neither those pages nor any file under tools/, scripts/, bench/ or
#    deploy/ may cite the material outside the repository the project was
#    written from ("../shared", "shared/domain", "shared/design").
#
# Prints FILE:LINE: what is wrong, for every finding, and exits 1 if there
# was any.
set -uo pipefail

root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || { echo "links_test: no such directory: $root" >&2; exit 2; }

failures=0
fail() {
  echo "$1:$2: $3" >&2
  failures=$((failures + 1))
}

pages=()
for f in README.md docs/*.md storage/FORMAT.md projections/FORMAT.md \
         bench/README.md; do
  [ -f "$f" ] && pages+=("$f")
done
while IFS= read -r f; do pages+=("$f"); done \
  < <(find deploy -name README.md -type f 2>/dev/null | sort)

root_abs=$(pwd -P)

# True when $1 (a path relative to the repository root) exists inside the
# repository: "../shared/x.md" does not count, even where it exists.
in_repo() {
  local abs
  abs=$(realpath -m -- "$1") || return 1
  [[ $abs == "$root_abs" || $abs == "$root_abs"/* ]] && [ -e "$abs" ]
}

# True when $1 (a path as written in page $2) exists.
exists_from_page() {
  local target=$1 page=$2
  if [[ $target == /* ]]; then
    in_repo ".${target}"
  else
    in_repo "$(dirname "$page")/${target}"
  fi
}

check_link() {
  local page=$1 line_no=$2 target=$3
  target=${target#<}
  target=${target%>}
  target=${target%% *}           # drop a title: (path "title")
  case $target in
    '' | '#'* | *://* | mailto:* | tel:*) return ;;
  esac
  target=${target%%#*}
  target=${target%%\?*}
  [ -n "$target" ] || return
  exists_from_page "$target" "$page" ||
    fail "$page" "$line_no" "dead link: ($target) leads to no file in the repository"
}

# Prints "LINE<TAB>link<TAB>TARGET" for every Markdown link target and
# reference definition of a page, and "LINE<TAB>path<TAB>PATH" for every
# other path ending in .md (outside links and URLs). One awk per page: the
# pages are long, and a process per line would take minutes.
extract() {
  awk '
    {
      rest = $0
      while (match(rest, /\]\([^)]*\)/)) {
        print NR "\tlink\t" substr(rest, RSTART + 2, RLENGTH - 3)
        rest = substr(rest, RSTART + RLENGTH)
      }
      if ($0 ~ /^ ? ? ?\[[^]]+\]:[ \t]+[^ \t]/) {
        target = $0
        sub(/^ ? ? ?\[[^]]+\]:[ \t]+/, "", target)
        sub(/[ \t].*$/, "", target)
        print NR "\tlink\t" target
        next
      }
      plain = $0
      gsub(/\[[^]]*\]\([^)]*\)/, "", plain)
      gsub(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^ \t)>`]*/, "", plain)
      plain = plain " "
      while (match(plain, /[A-Za-z0-9_.~\/-]*[A-Za-z0-9_-]\.md[^A-Za-z0-9_]/)) {
        print NR "\tpath\t" substr(plain, RSTART, RLENGTH - 1)
        plain = substr(plain, RSTART + RLENGTH - 1)
      }
    }' "$1"
}

tab=$'\t'
for page in "${pages[@]}"; do
  while IFS="$tab" read -r line_no kind target; do
    if [ "$kind" = link ]; then
      check_link "$page" "$line_no" "$target"
    elif ! { in_repo "$(dirname "$page")/${target#/}" ||
             in_repo "./${target#/}"; }; then
      fail "$page" "$line_no" "names $target, which is not in the repository"
    fi
  done < <(extract "$page")
done

# Citations of material outside the repository.
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  fail "$file" "${rest%%:*}" \
    "cites a file outside the repository: ${rest#*:}"
done < <(
  {
    printf '%s\n' "${pages[@]}"
    find tools scripts bench deploy -type f 2>/dev/null
  } | sort -u | tr '\n' '\0' |
    xargs -0 grep -n -I -E '\.\./shared|shared/domain|shared/design' -- \
      2>/dev/null
)

if [ "$failures" -gt 0 ]; then
  echo "links_test: $failures problem(s) in ${#pages[@]} pages" >&2
  exit 1
fi
echo "links_test: ${#pages[@]} pages, no dead links, nothing cited from outside"
