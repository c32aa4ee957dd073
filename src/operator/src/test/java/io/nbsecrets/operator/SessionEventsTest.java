package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionEventsTest {
  @Test
  void aLongListOfNamesIsCutWithHowManyMore() {
    assertThat(SessionEvents.joinNames(List.of("a", "b"), 900)).isEqualTo("a, b");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      names.add(String.format("%04d-", i) + "n".repeat(123));
    }
    String joined = SessionEvents.joinNames(names, 900);
    assertThat(joined).startsWith("0000-n").endsWith(" and 994 more").hasSizeLessThan(1000);
    assertThat(SessionEvents.joinNames(names.subList(0, 7), 900)).endsWith(" and 1 more");
  }
}
