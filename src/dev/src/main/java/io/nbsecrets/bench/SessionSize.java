package io.nbsecrets.bench;

import picocli.CommandLine.Option;

/** The size of a benchmark's session: how many secrets, how long each value. */
final class SessionSize {
  @Option(names = "--secrets", description = "Secrets selected (1-200; default ${DEFAULT-VALUE}).")
  int secrets;

  @Option(
      names = "--value-chars",
      description = "Characters of each value (1-5000; default ${DEFAULT-VALUE}).")
  int valueChars;

  /** 50 secrets of 5,000 characters: issue 14's session. */
  SessionSize() {
    this(50, 5000);
  }

  SessionSize(int secrets, int valueChars) {
    this.secrets = secrets;
    this.valueChars = valueChars;
  }

  /**
   * @throws IllegalArgumentException naming the option out of its range
   */
  void check() {
    Bench.requireRange("--secrets", secrets, 1, 200);
    Bench.requireRange("--value-chars", valueChars, 1, 5000);
  }
}
