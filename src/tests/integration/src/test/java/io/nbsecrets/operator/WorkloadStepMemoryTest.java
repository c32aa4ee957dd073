package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.nbsecrets.model.NotebookSession;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The workload step builds a session's StatefulSet again only when something it is made of changed,
 * and still writes it whenever the StatefulSet lacks what it should carry.
 */
@EnableKubernetesMockClient(crud = true)
class WorkloadStepMemoryTest {
  static KubernetesClient client;

  private final AtomicReference<String> ca = new AtomicReference<>("");
  private final WorkloadStep step =
      new WorkloadStep(
          new OperatorConfig(
              "https://api.test:8443",
              "nbsecrets:test",
              "nbsecrets",
              1000,
              100,
              ca::get,
              false,
              false));
  private final NotebookSession session = Sessions.session("memo", "nb", "erin", "API_KEY");
  private SnapshotRecord record;

  @BeforeEach
  void namespace() {
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName("memo").endMetadata().build())
        .createOr(r -> r.update());
    // Each test starts without a StatefulSet: one an earlier test left, the session's own, would be
    // found by the create's 409 and written as it should be, a build more.
    client.apps().statefulSets().inNamespace("memo").withName("nb").delete();
    Snapshot snapshot =
        new Snapshot(
            SecretResolver.selectionHash(session),
            List.of(new Snapshot.Entry("API_KEY", "API_KEY", 1, "gAAAAABfake-token")));
    record = SnapshotRecords.desired(session, snapshot, 100);
  }

  private StatefulSet apply(StatefulSet actual) throws SessionFailure {
    return step.apply(client, SessionEventSources.none(), session, record, actual, null);
  }

  private StatefulSet stored() {
    return client.apps().statefulSets().inNamespace("memo").withName("nb").get();
  }

  @Test
  void aPassWithTheSameInputsBuildsNothingAndAnyChangeBuildsAgain() throws Exception {
    StatefulSet created = apply(null);
    assertThat(step.builds()).isEqualTo(1);
    String version = stored().getMetadata().getResourceVersion();

    assertThat(apply(stored())).isNotNull();
    assertThat(step.builds()).as("same inputs").isEqualTo(1);
    assertThat(stored().getMetadata().getResourceVersion()).isEqualTo(version);

    // A label on the session: built again; the StatefulSet does not depend on it, so no write.
    session.getMetadata().setLabels(Map.of("team", "a"));
    apply(stored());
    assertThat(step.builds()).isEqualTo(2);
    assertThat(stored().getMetadata().getResourceVersion()).isEqualTo(version);

    // The desired hash edited by hand: found, built and written back.
    StatefulSet edited =
        client
            .apps()
            .statefulSets()
            .inNamespace("memo")
            .withName("nb")
            .edit(
                s -> {
                  s.getMetadata().getAnnotations().put(Labels.DESIRED_HASH, "edited");
                  return s;
                });
    StatefulSet repaired = apply(edited);
    assertThat(step.builds()).isEqualTo(3);
    assertThat(Workload.desiredHash(stored())).isEqualTo(Workload.desiredHash(created));
    assertThat(Workload.desiredHash(repaired)).isEqualTo(Workload.desiredHash(created));

    // The API's CA published anew: in the init container, so built and written.
    ca.set("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    apply(stored());
    assertThat(step.builds()).isEqualTo(4);
    assertThat(Workload.desiredHash(stored())).isNotEqualTo(Workload.desiredHash(created));

    // A new spec (a new generation): built and written.
    String before = Workload.desiredHash(stored());
    session.getSpec().setImage("quay.io/jupyter/scipy-notebook:latest");
    session.getMetadata().setGeneration(2L);
    apply(stored());
    assertThat(step.builds()).isEqualTo(5);
    assertThat(Workload.desiredHash(stored())).isNotEqualTo(before);
    apply(stored());
    assertThat(step.builds()).isEqualTo(5);
  }

  @Test
  void aSessionWithoutAGenerationIsBuiltEveryPass() throws Exception {
    session.getMetadata().setGeneration(null);
    apply(null);
    apply(stored());
    assertThat(step.builds()).isEqualTo(2);
  }
}
