package io.nbsecrets.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourcesTest {
  @Test
  void closesTheLastAddedFirstAndEachOnlyOnce() {
    List<String> closed = new ArrayList<>();
    Resources resources = new Resources();
    AutoCloseable first = resources.add(() -> closed.add("first"));
    resources.add(() -> closed.add("second"));
    assertThat(first).isNotNull();
    resources.close();
    resources.close();
    assertThat(closed).containsExactly("second", "first");
  }

  @Test
  void aFailureToCloseOneDoesNotStopTheRest() {
    List<String> closed = new ArrayList<>();
    Resources resources = new Resources();
    resources.add(() -> closed.add("first"));
    resources.add(
        () -> {
          throw new IllegalStateException("broken");
        });
    resources.close();
    assertThat(closed).containsExactly("first");
  }
}
