#!/usr/bin/env bash
# fetch.sh — re-fetch the vendored front-end files (htmx and its SSE extension)
# from the npm registry with `npm pack`, at the exact versions pinned in
# vendor/MANIFEST, and verify them before anything is written.
#
# Usage:
#   bash assets/fetch.sh            fetch, verify against MANIFEST, install into assets/vendor/
#   bash assets/fetch.sh --check    fetch and verify only; assets/vendor/ is not touched
#   bash assets/fetch.sh --update   after editing a version in MANIFEST: fetch, check the tarball
#                                   against the registry's published integrity, rewrite the
#                                   integrity and sha256 columns of MANIFEST, install
#
# Verification (default and --check): each tarball's sha512 must equal the
# MANIFEST's integrity column and each extracted file's SHA-256 must equal the
# sha256 column. On any mismatch the script prints every mismatch, exits 1 and
# writes nothing.
#
# Needs: bash, npm (and so node), tar. Uses node for hashing so it behaves the
# same on Linux and macOS.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$here/vendor"
manifest="$vendor/MANIFEST"

mode=install
case "${1:-}" in
"") ;;
--check) mode=check ;;
--update) mode=update ;;
-h | --help)
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "fetch.sh: unknown argument: $1 (use --check, --update or --help)" >&2
	exit 2
	;;
esac

die() {
	echo "fetch.sh: $*" >&2
	exit 1
}

command -v npm >/dev/null || die "npm is not installed"
command -v node >/dev/null || die "node is not installed"
[[ -f "$manifest" ]] || die "missing $manifest"

# hash ALGORITHM ENCODING FILE — prints the digest of FILE.
hash() {
	node -e '
		const crypto = require("crypto"), fs = require("fs");
		const [alg, enc, file] = process.argv.slice(1);
		process.stdout.write(crypto.createHash(alg).update(fs.readFileSync(file)).digest(enc));
	' "$1" "$2" "$3"
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/roster-assets.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tarballs" "$tmp/staged"

files=() pkgs=() versions=() paths=() integrities=() sums=()
lineno=0
while IFS= read -r line || [[ -n "$line" ]]; do
	lineno=$((lineno + 1))
	[[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
	read -r -a f <<<"$line"
	((${#f[@]} == 6)) || die "MANIFEST line $lineno: want 6 columns, got ${#f[@]}: $line"
	[[ "${f[0]}" =~ ^[A-Za-z0-9._-]+$ ]] || die "MANIFEST line $lineno: bad file name ${f[0]}"
	[[ "${f[2]}" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
		die "MANIFEST line $lineno: version must be exact, got ${f[2]}"
	[[ "${f[3]}" == package/* && "${f[3]}" != *..* ]] || die "MANIFEST line $lineno: bad tarball path ${f[3]}"
	files+=("${f[0]}") pkgs+=("${f[1]}") versions+=("${f[2]}") paths+=("${f[3]}")
	integrities+=("${f[4]}") sums+=("${f[5]}")
done <"$manifest"
((${#files[@]} > 0)) || die "MANIFEST lists no files"

failures=()

for i in "${!files[@]}"; do
	spec="${pkgs[$i]}@${versions[$i]}"
	# Each package is packed once; its tree goes to $tmp/x/<spec>/ and the
	# tarball's integrity to $tmp/x/<spec>.integrity (no associative arrays:
	# macOS still ships bash 3.2).
	x="$tmp/x/$spec"
	if [[ ! -d "$x" ]]; then
		echo "fetch.sh: npm pack $spec" >&2
		name="$(cd "$tmp/tarballs" && npm pack --silent "$spec" | tail -n 1)"
		[[ -n "$name" && -f "$tmp/tarballs/$name" ]] || die "npm pack $spec produced no tarball"
		got="sha512-$(hash sha512 base64 "$tmp/tarballs/$name")"
		if [[ "$mode" == update ]]; then
			published="$(npm view "$spec" dist.integrity)"
			[[ "$got" == "$published" ]] ||
				die "$spec: tarball is $got but the registry publishes $published"
		fi
		mkdir -p "$x"
		tar -xzf "$tmp/tarballs/$name" -C "$x"
		printf '%s' "$got" >"$x.integrity"
	fi
	got="$(cat "$x.integrity")"
	if [[ "$mode" != update && "$got" != "${integrities[$i]}" ]]; then
		failures+=("$spec tarball integrity: MANIFEST says ${integrities[$i]}, npm gave $got")
	fi

	src="$x/${paths[$i]}"
	if [[ ! -f "$src" ]]; then
		failures+=("$spec has no ${paths[$i]} (for ${files[$i]})")
		continue
	fi
	cp "$src" "$tmp/staged/${files[$i]}"
	sum="$(hash sha256 hex "$src")"
	if [[ "$mode" == update ]]; then
		integrities[i]="$got"
		sums[i]="$sum"
	elif [[ "$sum" != "${sums[$i]}" ]]; then
		failures+=("${files[$i]} ($spec ${paths[$i]}) sha256: MANIFEST says ${sums[$i]}, npm gave $sum")
	fi
done

if ((${#failures[@]} > 0)); then
	echo "fetch.sh: VERIFICATION FAILED — nothing was written:" >&2
	for m in "${failures[@]}"; do
		echo "  MISMATCH: $m" >&2
	done
	exit 1
fi

if [[ "$mode" == check ]]; then
	echo "fetch.sh: ${#files[@]} files from npm match $manifest" >&2
	exit 0
fi

# Install: stage next to the targets, then rename, so a failure leaves no half-written file.
for i in "${!files[@]}"; do
	cp "$tmp/staged/${files[$i]}" "$vendor/.${files[$i]}.new"
	mv -f "$vendor/.${files[$i]}.new" "$vendor/${files[$i]}"
done

if [[ "$mode" == update ]]; then
	{
		grep -E '^[[:space:]]*(#|$)' "$manifest"
		for i in "${!files[@]}"; do
			printf '%-23s %-13s %-8s %-25s %s  %s\n' "${files[$i]}" "${pkgs[$i]}" "${versions[$i]}" \
				"${paths[$i]}" "${integrities[$i]}" "${sums[$i]}"
		done
	} >"$vendor/.MANIFEST.new"
	mv -f "$vendor/.MANIFEST.new" "$manifest"
	echo "fetch.sh: rewrote $manifest; review the diff, then run: go test ./assets/" >&2
fi

echo "fetch.sh: installed ${#files[@]} verified files into $vendor" >&2
