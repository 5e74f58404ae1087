#!/usr/bin/env bash
# deps.sh — make sure the Debian packages and the Go toolchain that mflowlab needs are here.
#
# Usage: scripts/deps.sh GROUP...   (groups: build, run, test; default: build run)
#   scripts/deps.sh build run        what `make run` needs
#   scripts/deps.sh build run test   what `make test` needs
#
# Prints one line when everything is present. When packages are missing it installs them
# as root (apt-get update only if the install fails without it); otherwise it prints the
# exact sudo line to run and exits 1.
set -euo pipefail

export PATH="/usr/local/go/bin:$PATH"

build_pkgs=(gcc libc6-dev pkg-config libx11-dev libx11-xcb-dev libxkbcommon-x11-dev
	libxcursor-dev libegl-dev libwayland-dev libvulkan-dev)
run_pkgs=(libgles2 libegl1 libegl-mesa0 libgl1-mesa-dri)
test_pkgs=(xvfb xauth imagemagick)

groups=("$@")
if [ ${#groups[@]} -eq 0 ]; then
	groups=(build run)
fi

wanted=()
for g in "${groups[@]}"; do
	case "$g" in
	build) wanted+=("${build_pkgs[@]}") ;;
	run) wanted+=("${run_pkgs[@]}") ;;
	test) wanted+=("${test_pkgs[@]}") ;;
	*)
		echo "deps: unknown group '$g' (want build, run or test)" >&2
		exit 2
		;;
	esac
done

# installed reports whether a package is installed. No pipe: with pipefail, `dpkg -s | grep -q`
# fails at random when grep exits early and dpkg dies of SIGPIPE (seen with libc6-dev).
installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${wanted[@]}"; do
	if ! installed "$p"; then
		missing+=("$p")
	fi
done

# The Go toolchain is not a Debian package: it lives in /usr/local/go.
go_msg=""
if command -v go >/dev/null 2>&1; then
	go_msg="$(go env GOVERSION)"
else
	go_msg="missing"
fi

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "deps: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt_opts=(-y --no-install-recommends -o DPkg::Lock::Timeout=600)
		if ! apt-get install "${apt_opts[@]}" "${missing[@]}"; then
			echo "deps: install failed; running apt-get update and retrying"
			apt-get -o DPkg::Lock::Timeout=600 update
			apt-get install "${apt_opts[@]}" "${missing[@]}"
		fi
		still=()
		for p in "${missing[@]}"; do
			installed "$p" || still+=("$p")
		done
		if [ ${#still[@]} -gt 0 ]; then
			echo "deps: still missing after install: ${still[*]}" >&2
			exit 1
		fi
	else
		echo "deps: missing Debian packages: ${missing[*]}" >&2
		echo "deps: install them with:" >&2
		echo "sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
fi

if [ "$go_msg" = "missing" ]; then
	echo "deps: the Go toolchain is missing: install Go $(sed -n 's/^go //p' "$(dirname "$0")/../go.mod") or newer into /usr/local/go (https://go.dev/dl/) and put /usr/local/go/bin on PATH" >&2
	exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: ${groups[*]}: all ${#wanted[@]} packages present, $go_msg"
else
	echo "deps: ${groups[*]}: installed ${#missing[@]} packages, all ${#wanted[@]} present, $go_msg"
fi
