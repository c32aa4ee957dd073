package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Deleting a session deletes everything it created. */
class SessionDeletionTest extends SessionLifecycle {
  @Override
  List<String> users() {
    return List.of("ivan");
  }

  @Test
  void deletingASessionDeletesEverythingItCreated() throws Exception {
    putSecret("ivan", "A", plaintext("ivan"));
    create(newSession("ivan", "nb", "ivan", new SecretItem("A", null)));
    awaitReady("ivan", "nb");
    assertThat(files("ivan", "nb")).hasSize(1);
    client.resources(NotebookSession.class).inNamespace("ivan").withName("nb").delete();
    await()
        .atMost(20, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(sessionSecrets("ivan", "nb")).isEmpty();
              assertThat(client.apps().statefulSets().inNamespace("ivan").list().getItems())
                  .isEmpty();
              assertThat(client.services().inNamespace("ivan").list().getItems()).isEmpty();
              assertThat(client.pods().inNamespace("ivan").list().getItems()).isEmpty();
              assertThat(Files.exists(env.kubelet().sessionDir("ivan", "nb"))).isFalse();
            });
  }
}
