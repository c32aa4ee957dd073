package io.nbsecrets.cli.user;

/** {@code -o}: a table for people, or JSON (the API's own shape) for scripts. */
enum OutputFormat {
  table,
  json
}
