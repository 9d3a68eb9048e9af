#!/bin/sh
# Upstream's docker-entrypoint.sh: a first argument that is an option or not a command runs bun.
set -e

if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- /usr/local/bin/bun "$@"
fi

exec "$@"
