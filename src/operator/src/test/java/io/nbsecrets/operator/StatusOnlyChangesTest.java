package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionStatus;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class StatusOnlyChangesTest {
  private final StatusOnlyChanges filter = new StatusOnlyChanges();

  private static NotebookSession session() {
    NotebookSession s = Sessions.session("ns", "nb", "erin", "TOKEN");
    s.getMetadata().setResourceVersion("10");
    s.getMetadata().setAnnotations(Map.of("a", "1"));
    s.getMetadata().setLabels(Map.of("l", "1"));
    return s;
  }

  private static NotebookSession changed(Consumer<NotebookSession> change) {
    NotebookSession s = session();
    s.getMetadata().setResourceVersion("11");
    change.accept(s);
    return s;
  }

  @Test
  void anUpdateOfTheStatusAloneIsDropped() {
    NotebookSession updated =
        changed(
            s -> {
              NotebookSessionStatus status = new NotebookSessionStatus();
              status.setPodName("nb-0");
              s.setStatus(status);
              s.getMetadata().setManagedFields(List.of());
            });
    assertThat(filter.accept(updated, session())).isFalse();
  }

  @Test
  void aChangeOfSpecOrMetadataThatCountsIsLetThrough() {
    List<Consumer<NotebookSession>> changes =
        List.of(
            s -> s.getMetadata().setGeneration(2L),
            s -> s.getMetadata().setAnnotations(Map.of("a", "1", Labels.REFRESH_ANNOTATION, "x")),
            s -> s.getMetadata().setLabels(Map.of("l", "2")),
            s -> s.getMetadata().setFinalizers(List.of("example.com/keep")),
            s -> s.getMetadata().setDeletionTimestamp("2026-12-01T00:00:00Z"),
            s -> s.getSpec().setImage("other:1"));
    for (Consumer<NotebookSession> change : changes) {
      assertThat(filter.accept(changed(change), session())).isTrue();
    }
  }

  @Test
  void withoutAnOldCopyAnUpdateIsLetThrough() {
    assertThat(filter.accept(session(), null)).isTrue();
    NotebookSession bare = session();
    bare.setMetadata(null);
    assertThat(filter.accept(bare, session())).isTrue();
  }
}
