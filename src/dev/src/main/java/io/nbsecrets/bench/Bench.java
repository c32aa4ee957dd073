package io.nbsecrets.bench;

import java.security.SecureRandom;
import java.util.Arrays;

/** What the benchmark commands share. */
final class Bench {
  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  private Bench() {}

  static void requireRange(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          option + " must be between " + min + " and " + max + ", got: " + value);
    }
  }

  /** Random printable text: values that neither compress nor repeat. */
  static String randomText(SecureRandom random, int chars) {
    StringBuilder s = new StringBuilder(chars);
    for (int i = 0; i < chars; i++) {
      s.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return s.toString();
  }

  /** Minimum, median and maximum of a sample of nanoseconds. */
  record Stats(double minMillis, double medianMillis, double maxMillis) {
    static Stats of(long[] nanos) {
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      int n = sorted.length;
      double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + (double) sorted[n / 2]) / 2;
      return new Stats(sorted[0] / 1e6, median / 1e6, sorted[n - 1] / 1e6);
    }
  }
}
