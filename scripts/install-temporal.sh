#!/usr/bin/env bash
# Makes a pinned Temporal CLI available at .tools/bin/temporal and prints its path on stdout.
# Progress goes to stderr. Routes, in order: TEMPORAL_CLI_PATH, an existing .tools/bin/temporal,
# a `temporal` on PATH, this machine's cache (~/.cache/llm-deploy), `go install`, the official release.
set -euo pipefail

VERSION=1.5.1 # the newest tag whose go.mod has no `replace` directive, so `go install …@v` works
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir="$root/.tools/bin"
target="$bin_dir/temporal"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/llm-deploy/temporal-v$VERSION"

say() { echo "install-temporal: $*" >&2; }
works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
link_into_tools() {
  mkdir -p "$bin_dir"
  ln -sf "$1" "$target"
  echo "$target"
}

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  if works "$TEMPORAL_CLI_PATH"; then
    say "using TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH"
    echo "$TEMPORAL_CLI_PATH"
    exit 0
  fi
  say "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable Temporal CLI; set it to the 'temporal' binary or unset it"
  exit 1
fi

if works "$target"; then
  echo "$target"
  exit 0
fi

if on_path=$(command -v temporal 2>/dev/null) && works "$on_path"; then
  say "using the temporal on PATH: $on_path ($("$on_path" --version 2>/dev/null | head -n1))"
  link_into_tools "$on_path"
  exit 0
fi

if works "$cache_dir/temporal"; then
  say "using the cached build in $cache_dir"
  link_into_tools "$cache_dir/temporal"
  exit 0
fi

go_bin=$(command -v go 2>/dev/null || true)
[ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
if [ -n "$go_bin" ]; then
  say "building the Temporal CLI v$VERSION with $("$go_bin" version) — the first build takes several minutes"
  mkdir -p "$cache_dir"
  if GOBIN="$cache_dir" GOFLAGS=-mod=mod "$go_bin" install "github.com/temporalio/cli/cmd/temporal@v$VERSION" >&2 && works "$cache_dir/temporal"; then
    say "built $cache_dir/temporal"
    link_into_tools "$cache_dir/temporal"
    exit 0
  fi
  say "go install failed (see above); trying the official release download"
fi

case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os="" ;; esac
case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="" ;; esac
if [ -n "$os" ] && [ -n "$arch" ] && command -v curl >/dev/null 2>&1; then
  url="https://github.com/temporalio/cli/releases/download/v$VERSION/temporal_cli_${VERSION}_${os}_${arch}.tar.gz"
  say "downloading $url"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if curl -fsSL --retry 2 --connect-timeout 15 "$url" -o "$tmp/cli.tgz" && tar -xzf "$tmp/cli.tgz" -C "$tmp" temporal; then
    mkdir -p "$cache_dir"
    mv "$tmp/temporal" "$cache_dir/temporal"
    chmod +x "$cache_dir/temporal"
    if works "$cache_dir/temporal"; then
      link_into_tools "$cache_dir/temporal"
      exit 0
    fi
  fi
  say "the download did not work"
fi

say "could not install the Temporal CLI v$VERSION. Do one of:"
say "  - install Go (https://go.dev/dl/) and run this script again, or"
say "  - download the CLI for your platform from https://github.com/temporalio/cli/releases/tag/v$VERSION"
say "    and set TEMPORAL_CLI_PATH to the 'temporal' binary, or"
say "  - point the service at an existing Temporal server with TEMPORAL_ADDRESS."
exit 1
