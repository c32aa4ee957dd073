package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

/** Asserts that an exception, with its causes, reveals none of the given values. */
final class Leaks {
  private Leaks() {}

  static void assertNoLeak(Throwable thrown, String... forbidden) {
    Set<Throwable> seen = new HashSet<>();
    for (Throwable t = thrown; t != null && seen.add(t); t = t.getCause()) {
      String text = t.toString();
      for (String value : forbidden) {
        assertThat(text).as("message of %s", t.getClass().getSimpleName()).doesNotContain(value);
      }
    }
  }
}
