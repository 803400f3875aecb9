#!/usr/bin/env bash
# Installs what the storefront's build and tests need on a clean machine:
#   node      npm ci when node_modules is missing or older than package-lock.json
#   chromium  Debian's chromium (for the browser tests) and a Chinese font when missing
# Called by `make web` and so `make run` (node), `make test` and `make bench` (both). Never downloads a
# browser of its own: playwright-core drives the system chromium.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

need_node() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "ensure-deps: npm is not installed; install Node.js 20.19+ to build web/h5" >&2
    exit 1
  fi
  local stamp="$here/node_modules/.siyu-deps"
  if [[ ! -f "$stamp" || "$here/package-lock.json" -nt "$stamp" || "$here/package.json" -nt "$stamp" ]]; then
    echo "ensure-deps: npm ci in web/h5"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
}

need_chromium() {
  # Chromium, and a Chinese font so screenshots show the shop's text.
  local pkgs=()
  command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
  [[ -n "$(fc-list :lang=zh 2>/dev/null || true)" ]] || pkgs+=(fonts-wqy-zenhei)
  if [[ ${#pkgs[@]} -eq 0 ]]; then
    return
  fi
  if [[ "$(id -u)" != 0 ]]; then
    echo "ensure-deps: missing ${pkgs[*]}; install Debian's packages: sudo apt-get install -y ${pkgs[*]}" >&2
    exit 1
  fi
  echo "ensure-deps: installing Debian's ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

for what in "${@:-node chromium}"; do
  for w in $what; do
    case "$w" in
      node) need_node ;;
      chromium) need_chromium ;;
      *) echo "ensure-deps: unknown dependency $w" >&2; exit 2 ;;
    esac
  done
done
