package io.nbsecrets.util;

import java.util.Locale;

/**
 * Counts in messages a person reads: "1 secret", "2 secrets", "1,048,576 bytes". One place, so no
 * message says "1 secrets" and every large number is grouped the same way.
 */
public final class Counts {
  private Counts() {}

  /** {@code n} and the noun, singular for exactly one ("1 secret", "0 secrets", "2 secrets"). */
  public static String of(long n, String singular) {
    return of(n, singular, singular + "s");
  }

  /** {@code n} and the noun, for nouns whose plural is not {@code singular + "s"}. */
  public static String of(long n, String singular, String plural) {
    return number(n) + " " + (n == 1 ? singular : plural);
  }

  /** {@code n} with thousands grouped by commas ("1,048,576"), whatever the machine's locale. */
  public static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
