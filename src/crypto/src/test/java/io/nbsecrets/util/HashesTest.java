package io.nbsecrets.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HashesTest {
  @Test
  void partsAreHashedWithTheirLengthsSoThatNoTwoListsMeet() {
    assertThat(Hashes.ofParts("ab", "c")).isNotEqualTo(Hashes.ofParts("a", "bc"));
    assertThat(Hashes.ofParts("abc")).isNotEqualTo(Hashes.ofParts("abc", ""));
    // Each part as text: 7 and "7" are one part; a map by its toString.
    assertThat(Hashes.ofParts(7L, Map.of("k", "v"))).isEqualTo(Hashes.ofParts("7", "{k=v}"));
    // SHA-256 of 00 00 00 01 'a': computed apart (printf '\0\0\0\1a' | sha256sum).
    assertThat(Hashes.ofParts("a"))
        .isEqualTo("72ff6b02949dad95006c343e3db3150090d3afb49f6bbdb92fdc17607997a85c");
  }
}
