package io.nbsecrets.util;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CountsTest {
  @Test
  void oneIsSingularEverythingElsePlural() {
    assertThat(Counts.of(1, "secret")).isEqualTo("1 secret");
    assertThat(Counts.of(0, "secret")).isEqualTo("0 secrets");
    assertThat(Counts.of(2, "secret")).isEqualTo("2 secrets");
    assertThat(Counts.of(1, "entry", "entries")).isEqualTo("1 entry");
    assertThat(Counts.of(3, "entry", "entries")).isEqualTo("3 entries");
  }

  @Test
  void largeNumbersAreGroupedWithCommasInAnyLocale() {
    java.util.Locale before = java.util.Locale.getDefault();
    try {
      java.util.Locale.setDefault(java.util.Locale.GERMANY);
      assertThat(Counts.of(1_048_576, "byte")).isEqualTo("1,048,576 bytes");
      assertThat(Counts.number(-1200)).isEqualTo("-1,200");
    } finally {
      java.util.Locale.setDefault(before);
    }
  }

  @Test
  void groupingByHandAgreesWithTheJdksFormatterEverywhere() {
    java.util.List<Long> samples = new java.util.ArrayList<>();
    java.util.SplittableRandom random = new java.util.SplittableRandom(42);
    for (long p = 1; p > 0 && p <= Long.MAX_VALUE / 10; p *= 10) {
      for (long n : new long[] {p - 1, p, p + 1, 999 * p, 1000 * p - 1}) {
        samples.add(n);
        samples.add(-n);
      }
    }
    for (int i = 0; i < 10_000; i++) {
      samples.add(random.nextLong() >> random.nextInt(64));
    }
    samples.addAll(java.util.List.of(0L, Long.MAX_VALUE, Long.MIN_VALUE, -1L, -999L, -1000L));
    for (long n : samples) {
      assertThat(Counts.number(n))
          .as("%d", n)
          .isEqualTo(String.format(java.util.Locale.ROOT, "%,d", n));
    }
  }
}
