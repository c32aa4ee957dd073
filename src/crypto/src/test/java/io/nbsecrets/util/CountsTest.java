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
}
