package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.operator.Labels;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Changes under a running session: a new selection takes a new snapshot; a replaced or deleted
 * secret is stale until refreshed.
 */
class SessionChangeTest extends SessionLifecycle {
  @Override
  List<String> users() {
    return List.of("carol", "dave");
  }

  @Test
  void changingTheSelectionTakesANewSnapshotAndRollsThePod() throws Exception {
    String a = plaintext("carol-a");
    String b = plaintext("carol-b");
    putSecret("carol", "A", a);
    putSecret("carol", "B", b);
    create(newSession("carol", "nb", "carol", new SecretItem("A", null)));
    awaitReady("carol", "nb");
    String firstSecret = sessionSecrets("carol", "nb").get(0).getMetadata().getName();
    String firstSnapshot = snapshotOf("carol", "nb");
    assertThat(files("carol", "nb")).containsOnly(Map.entry("A", a));

    select("carol", "nb", new SecretItem("A", null), new SecretItem("B", null));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              NotebookSession s = get("carol", "nb");
              assertThat(s.getMetadata().getGeneration()).isEqualTo(2L);
              assertThat(s.getStatus().getObservedGeneration()).isEqualTo(2L);
              assertThat(s.getStatus().getSecrets())
                  .extracting(MountedSecret::getName)
                  .containsExactly("A", "B");
              assertThat(files("carol", "nb")).containsOnly(Map.entry("A", a), Map.entry("B", b));
              assertThat(sessionSecrets("carol", "nb"))
                  .singleElement()
                  .satisfies(x -> assertThat(x.getMetadata().getName()).isNotEqualTo(firstSecret));
            });
    awaitReady("carol", "nb");
    assertThat(snapshotOf("carol", "nb")).isNotEqualTo(firstSnapshot);
  }

  @Test
  void aReplacedOrDeletedSecretIsStaleUntilTheSessionIsRefreshed() throws Exception {
    String v1 = plaintext("dave-v1");
    String v2 = plaintext("dave-v2");
    putSecret("dave", "A", v1);
    create(newSession("dave", "nb", "dave", new SecretItem("A", null)));
    awaitReady("dave", "nb");
    assertThat(putSecret("dave", "A", v2)).isEqualTo(200);

    // The stale check's contract: marked within 30 s (the poller's period and a pass), whether or
    // not something touches the session (a reconcile reuses the store's answer of the last 15 s
    // when it was asked after the session's snapshot).
    touch("dave", "nb");
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(get("dave", "nb").getStatus().getSecrets())
                    .containsExactly(new MountedSecret("A", 1L, true)));
    assertThat(files("dave", "nb")).containsOnly(Map.entry("A", v1)); // values are taken at start

    edit("dave", "nb", s -> annotate(s, Labels.REFRESH_ANNOTATION, "1"));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(get("dave", "nb").getStatus().getSecrets())
                  .containsExactly(new MountedSecret("A", 2L, null));
              assertThat(files("dave", "nb")).containsOnly(Map.entry("A", v2));
            });

    assertThat(deleteSecret("dave", "A")).isEqualTo(204);
    touch("dave", "nb");
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(get("dave", "nb").getStatus().getSecrets())
                    .containsExactly(new MountedSecret("A", 2L, true)));
  }
}
