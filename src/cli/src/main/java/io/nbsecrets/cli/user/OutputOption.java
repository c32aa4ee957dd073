package io.nbsecrets.cli.user;

import picocli.CommandLine.Option;

/** {@code -o table|json}: a table for people, or the API's JSON for scripts. */
final class OutputOption {
  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description = "table (default) or json (the API's own shape, stable for scripts).")
  OutputFormat format = OutputFormat.table;

  boolean json() {
    return format == OutputFormat.json;
  }
}
