package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.operator.Labels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Restarting the operator loses nothing and duplicates nothing. */
class OperatorRestartTest extends SessionLifecycle {
  @Override
  List<String> users() {
    return List.of("alice", "carol");
  }

  @Test
  void restartingTheOperatorLosesNothingAndDuplicatesNothing() throws Exception {
    // Two ready sessions for the restarted operator to find.
    assertThat(putSecret("alice", "A", plaintext("alice-restart"))).isEqualTo(201);
    assertThat(putSecret("carol", "A", plaintext("carol-restart"))).isEqualTo(201);
    create(newSession("alice", "nb", "alice", new SecretItem("A", null)));
    create(newSession("carol", "nb", "carol", new SecretItem("A", null)));
    awaitReady("alice", "nb");
    awaitReady("carol", "nb");

    Map<String, List<String>> before = objectNames();
    drainUntilQuiet(500);
    env.restartOperator();
    await().atMost(10, TimeUnit.SECONDS).until(() -> reconciles() > 0);
    List<RecordedRequest> after = drainUntilQuiet(1500);
    assertThat(
            writes(byAgent(after, DevEnvironment.OPERATOR_AGENT)).stream()
                .filter(r -> !r.getPath().contains("/events"))
                .toList())
        .as("writes after restart")
        .isEmpty();
    assertThat(objectNames()).isEqualTo(before);
    awaitReady("alice", "nb");
    awaitReady("carol", "nb");
  }

  private static Map<String, List<String>> objectNames() {
    Map<String, List<String>> names = new LinkedHashMap<>();
    names.put(
        "secrets",
        sorted(client.secrets().inAnyNamespace().withLabel(Labels.MANAGED_BY).list().getItems()));
    names.put(
        "statefulsets", sorted(client.apps().statefulSets().inAnyNamespace().list().getItems()));
    names.put("services", sorted(client.services().inAnyNamespace().list().getItems()));
    return names;
  }

  private static List<String> sorted(List<? extends HasMetadata> items) {
    return items.stream()
        .map(
            i ->
                i.getMetadata().getNamespace()
                    + "/"
                    + i.getMetadata().getName()
                    + "@"
                    + i.getMetadata().getResourceVersion())
        .sorted()
        .toList();
  }
}
