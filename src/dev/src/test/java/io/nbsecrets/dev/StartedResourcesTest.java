package io.nbsecrets.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartedResourcesTest {
  @Test
  void closesLastStartedFirstAndKeepsGoingPastAFailure() {
    List<String> closed = new ArrayList<>();
    StartedResources resources = new StartedResources();
    resources.add(() -> closed.add("first"));
    resources.add(
        () -> {
          closed.add("second");
          throw new IllegalStateException("cannot close");
        });
    resources.add(() -> closed.add("third"));

    resources.close();
    assertThat(closed).containsExactly("third", "second", "first");

    resources.close(); // forgotten: nothing is closed twice
    assertThat(closed).hasSize(3);
  }
}
