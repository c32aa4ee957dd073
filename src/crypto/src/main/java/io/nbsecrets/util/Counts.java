package io.nbsecrets.util;

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

  /**
   * {@code n} with thousands grouped by commas ("1,048,576"), whatever the machine's locale. By
   * hand, not with {@code String.format}, whose parsing of the pattern cost the operator 2% of its
   * CPU (every status names a count).
   */
  public static String number(long n) {
    String digits = Long.toString(n);
    int sign = n < 0 ? 1 : 0;
    int count = digits.length() - sign;
    if (count <= 3) {
      return digits;
    }
    StringBuilder grouped = new StringBuilder(digits.length() + (count - 1) / 3);
    int head = sign + (count % 3 == 0 ? 3 : count % 3);
    grouped.append(digits, 0, head);
    for (int i = head; i < digits.length(); i += 3) {
      grouped.append(',').append(digits, i, i + 3);
    }
    return grouped.toString();
  }
}
