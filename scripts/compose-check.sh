#!/usr/bin/env bash
# CI: docker-compose.yml must refuse to run without its secrets and addresses, and must resolve with them.
# For every variable written `${NAME:?…}` in the file: leaving out that one (all others set) must fail and name
# it. With all set, every profile must resolve, carry the values given and no well-known fallback secret.
set -euo pipefail
cd "$(dirname "$0")/.."
compose_file=docker-compose.yml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The ones a deployment must never run without, whatever else the file demands.
must_demand=(POSTGRES_PASSWORD MQTT_SERVICE_PASSWORD VIEW_TOKEN_SECRET TURN_SECRET PUBLIC_HTTP_URL PUBLIC_MQTT_URL RELAY_HOST_ADDRESSES TURN_URLS)
mapfile -t demanded < <(grep -v '^\s*#' "$compose_file" | grep -o '\${[A-Z0-9_]*:?' | sed 's/^\${//; s/:?$//' | sort -u)

for name in "${must_demand[@]}"; do
  printf '%s\n' "${demanded[@]}" | grep -qx "$name" || { echo "compose check: $compose_file does not demand $name with \${$name:?…}"; exit 1; }
done

# A demanded variable must not also have a fallback elsewhere in the file.
for name in "${demanded[@]}"; do
  if grep -v '^\s*#' "$compose_file" | grep -qE "\\\$\{$name:?-[^}]"; then echo "compose check: $name has a fallback value somewhere in $compose_file"; exit 1; fi
done

value_for() { # distinct, recognisable values; the service password needs 12 characters
  case "$1" in
    PUBLIC_HTTP_URL) echo "http://203.0.113.5:8080" ;;
    PUBLIC_MQTT_URL) echo "mqtt://203.0.113.5:1883" ;;
    RELAY_HOST_ADDRESSES) echo "203.0.113.5" ;;
    TURN_URLS) echo "turn:203.0.113.5:3478?transport=udp" ;;
    *) echo "ci-$(echo "$1" | tr 'A-Z_' 'a-z-')-0123456789abcdef" ;;
  esac
}

# A clean environment and an explicit env file, so neither the caller's variables nor a local .env count.
compose() { env -i PATH="$PATH" docker-compose --env-file "$1" -f "$compose_file" --profile cluster --profile sim config; }

for left_out in "${demanded[@]}"; do
  : > "$work/env"
  for name in "${demanded[@]}"; do [ "$name" = "$left_out" ] || echo "$name=$(value_for "$name")" >> "$work/env"; done
  if compose "$work/env" > "$work/out" 2>&1; then echo "compose check: docker-compose config passed without $left_out"; exit 1; fi
  grep -q "$left_out" "$work/out" || { echo "compose check: the error without $left_out does not name it:"; cat "$work/out"; exit 1; }
done
echo "compose check: docker-compose config fails without each of ${#demanded[@]} variables: ${demanded[*]}"

: > "$work/env"
for name in "${demanded[@]}"; do echo "$name=$(value_for "$name")" >> "$work/env"; done
compose "$work/env" > "$work/resolved" || { echo "compose check: docker-compose config failed with every variable set"; exit 1; }
for name in "${demanded[@]}"; do
  grep -qF "$(value_for "$name")" "$work/resolved" || { echo "compose check: the value of $name is not used"; exit 1; }
done
if grep -niE 'change-?me|wangxiang-demo' "$work/resolved"; then echo "compose check: a well-known secret is still in the resolved file"; exit 1; fi
grep -q 'use-auth-secret' "$work/resolved" || { echo "compose check: coturn does not run with use-auth-secret"; exit 1; }
echo "compose check: with them, every profile resolves (default, cluster, sim), no well-known secret, coturn use-auth-secret"
