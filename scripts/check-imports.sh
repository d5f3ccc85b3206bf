#!/usr/bin/env bash
# Enforces the package graph ARCHITECTURE.md describes: the scheduler stays
# pure, jobspec and api stay free of the server, the client and drivers stay
# free of the server's internals.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0

# deny PKG PATTERN...: PKG's non-test transitive imports must match none of PATTERNs.
deny() {
  local pkg=$1; shift
  local deps
  deps=$(go list -deps "$pkg" 2>/dev/null) || { echo "check: cannot list $pkg"; fail=1; return; }
  for pat in "$@"; do
    local hits
    hits=$(grep -E "^${pat}$" <<<"$deps" || true)
    if [ -n "$hits" ]; then
      echo "check: $pkg must not import:"; sed 's/^/  /' <<<"$hits"; fail=1
    fi
  done
}

# deny_direct PKG PATTERN...: PKG's own imports must match none of PATTERNs.
# Used for the standard library's I/O packages, which third-party helpers
# (uuid, hclog) may import for reasons of their own.
deny_direct() {
  local pkg=$1; shift
  local imports
  imports=$(go list -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' "$pkg") || { echo "check: cannot list $pkg"; fail=1; return; }
  while read -r p rest; do
    for imp in $rest; do
      for pat in "$@"; do
        if [[ $imp =~ ^${pat}$ ]]; then echo "check: $p must not import $imp"; fail=1; fi
      done
    done
  done <<<"$imports"
}

# The scheduler is pure: no network, disk, processes, Raft or server internals.
deny_direct "$mod/scheduler/..." "net" "net/.*" "os" "os/.*" "io/fs" "syscall"
deny "$mod/scheduler/..." "github.com/hashicorp/raft.*" \
  "$mod/nomadlike" "$mod/nomadlike/state" "$mod/client.*" "$mod/drivers.*" "$mod/command.*"
# jobspec decodes into api types and knows nothing of the server.
deny "$mod/jobspec" "$mod/nomadlike.*" "$mod/scheduler.*" "$mod/client.*" "$mod/command.*"
# api is the public client: nothing internal.
deny "$mod/api" "$mod/nomadlike.*" "$mod/scheduler.*" "$mod/client.*" "$mod/drivers.*" "$mod/command.*" "$mod/jobspec"
# Drivers know only their SDK.
deny "$mod/drivers/..." "$mod/nomadlike.*" "$mod/scheduler.*" "$mod/client.*" "$mod/command.*"
# The client talks to servers only through RPC types.
deny "$mod/client/..." "$mod/nomadlike" "$mod/nomadlike/state" "$mod/scheduler.*" "$mod/command.*"

exit $fail
