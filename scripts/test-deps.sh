#!/usr/bin/env bash
# Installs what the end-to-end tests drive, when it is missing: a systemd
# user manager, headless Chromium, PostgreSQL, Wine with a MinGW compiler
# (the Windows build's smoke test), and npm (for the pinned Claude Code,
# which make installs under bin/tools). `make test` runs it first.
#
# As root on Debian or Ubuntu it installs with apt-get. Otherwise it says
# what is missing; the tests that need it then skip and say why.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
[ -x /lib/systemd/systemd ] || [ -x /usr/lib/systemd/systemd ] || need+=(systemd)
have chromium || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
have wine || need+=(wine wine64)
have x86_64-w64-mingw32-gcc || need+=(gcc-mingw-w64-x86-64-win32)
have npm || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && have apt-get; then
		echo "test-deps: apt-get install ${need[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	else
		echo "test-deps: not installed: ${need[*]}; the tests that need them will skip (as root on Debian, make test installs them)"
	fi
fi

# systemctl and sd_booted() look for this directory, which exists only
# where systemd is PID 1; the service tests run their own user manager.
if [ ! -d /run/systemd/system ] && [ "$(id -u)" = 0 ]; then
	mkdir -p /run/systemd/system
	echo "test-deps: created /run/systemd/system (systemctl needs it; systemd is not PID 1 here)"
fi
echo "test-deps: ok"
