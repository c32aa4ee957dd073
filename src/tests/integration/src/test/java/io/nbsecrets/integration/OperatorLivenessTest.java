package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nbsecrets.dev.DevEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's {@code /healthz} follows its informers (issue 10, row 11: it was always 200). Once
 * the API server goes away, the informers stop watching and the operator is no longer live, saying
 * which event sources; a restart is what recovers it.
 */
class OperatorLivenessTest {
  @TempDir Path dir;

  @Test
  void theOperatorIsNotLiveOnceItsInformersCannotWatch() {
    try (DevEnvironment env =
        DevEnvironment.start(
            DevEnvironment.Options.defaults(dir.resolve("dev"))
                .withUsers(List.of("alice"))
                .withRetry(DevApi.patientRetry()))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> env.operatorLiveness().isEmpty());
      assertThat(env.operatorLiveness()).isEqualTo(Optional.empty());

      env.server().destroy();

      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> env.operatorLiveness().isPresent());
      assertThat(env.operatorLiveness().orElseThrow())
          .startsWith("unhealthy event sources:")
          .contains("notebooksession", "ControllerResourceEventSource");
    }
  }
}
