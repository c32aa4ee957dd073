#!/bin/sh
# nbsecrets launcher: loads the session's secrets as environment variables from the file the init
# step wrote on the in-memory volume, then runs the container's own command in its place (exec:
# the same process, so signals and the exit code are the command's). POSIX sh only.
# A named file that cannot be read stops the container: a session never starts half-injected.
set -e
if [ -n "${NBSECRETS_ENV_FILE:-}" ]; then
  . "$NBSECRETS_ENV_FILE"
fi
unset NBSECRETS_ENV_FILE
exec "$@"
