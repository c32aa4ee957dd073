package io.nbsecrets.bench;

import picocli.CommandLine.Option;

/** The size of a benchmark's session: how many secrets, how long each value. */
final class SessionSize {
  @Option(names = "--secrets", defaultValue = "50", description = "Secrets selected (1-200).")
  int secrets;

  @Option(
      names = "--value-chars",
      defaultValue = "5000",
      description = "Characters of each value (1-5000).")
  int valueChars;

  /**
   * @throws IllegalArgumentException naming the option out of its range
   */
  void check() {
    Bench.requireRange("--secrets", secrets, 1, 200);
    Bench.requireRange("--value-chars", valueChars, 1, 5000);
  }
}
