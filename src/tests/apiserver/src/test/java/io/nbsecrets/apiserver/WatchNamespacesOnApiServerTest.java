package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.nbsecrets.dev.ChartPod;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.dev.NodeStandIn;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart with {@code rbac.watchNamespaces}: Roles in each listed namespace instead of
 * ClusterRoles, and the operator watching only those. Sessions there reconcile and see their
 * namespace's binding; a session elsewhere is left alone.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WatchNamespacesOnApiServerTest {
  private static final String NS = "nbs-watch";
  private ChartRelease chart;
  private ChartPod api;
  private NodeStandIn node;

  @BeforeAll
  void install() throws Exception {
    ControlPlane cp = RealApiServer.get();
    try (var admin = cp.client(ControlPlane.ADMIN)) {
      for (var ns :
          List.of(
              List.of("w-carol", "carol"), List.of("w-bob", "bob"), List.of("w-alice", "alice"))) {
        admin.namespaces().resource(ChartRelease.restricted(ns.get(0), ns.get(1))).create();
      }
    }
    chart =
        ChartRelease.install(
            cp,
            "nbsecrets-watch",
            NS,
            // A non-default pod-token audience: the operator must request what the API expects.
            Map.of("rbac.watchNamespaces", "{w-carol,w-bob}", "api.podTokenAudience", "nbs-watch"));
    for (String ns : List.of("w-carol", "w-bob", "w-alice")) {
      chart.adoptNamespace(ns);
    }
    chart.startPod("nbsecrets-watch-operator", "operator", "watch-operator-standin");
    api = chart.startPod("nbsecrets-watch-api", "api", "watch-api-standin");
    node = chart.startNode(api.url("https"));
  }

  @AfterAll
  void uninstall() throws Exception {
    if (chart != null) {
      chart.close();
    }
  }

  @Test
  void sessionsInEveryWatchedNamespaceReconcileAndOthersAreLeftAlone() throws Exception {
    assertThat(chart.putSecret(api.url("https"), "carol", "c1", "carol-value-1")).isEqualTo(201);
    assertThat(chart.putSecret(api.url("https"), "bob", "b1", "bob-value-1")).isEqualTo(201);
    assertThat(chart.putSecret(api.url("https"), "alice", "a1", "alice-value-1")).isEqualTo(201);
    chart.apply("launcher", Sessions.yaml("w-carol", "nb", "carol", List.of("c1")));
    chart.apply("launcher", Sessions.yaml("w-bob", "nb", "bob", List.of("b1")));
    chart.apply("launcher", Sessions.yaml("w-alice", "nb", "alice", List.of("a1")));
    // The binding is seen: a session naming another user than the namespace's is refused.
    chart.apply("launcher", Sessions.yaml("w-carol", "not-mine", "bob", List.of("b1")));

    Sessions.awaitReady(chart, "w-carol", "nb");
    Sessions.awaitReady(chart, "w-bob", "nb");
    assertThat(Files.readString(node.files("w-carol", "nb-0").resolve("c1")))
        .isEqualTo("carol-value-1");
    assertThat(Files.readString(node.files("w-bob", "nb-0").resolve("b1")))
        .isEqualTo("bob-value-1");
    await()
        .atMost(Sessions.WAIT)
        .untilAsserted(
            () ->
                assertThat(Sessions.condition(chart, "w-carol", "not-mine", "SecretsReady"))
                    .containsEntry("status", "False")
                    .containsEntry("reason", "UserMismatch"));

    Thread.sleep(3000);
    GenericKubernetesResource outside = chart.session("w-alice", "nb");
    assertThat(outside.getAdditionalProperties().get("status"))
        .as("status of a session in a namespace the operator does not watch")
        .isNull();
    assertThat(chart.admin.apps().statefulSets().inNamespace("w-alice").list().getItems())
        .isEmpty();
  }

  @Test
  void anInitStepThatFailsShowsItsReasonInEachWatchedNamespace() throws Exception {
    // One pod informer per watched namespace here, each with its own cache (SessionPods).
    for (String[] ns : new String[][] {{"w-carol", "carol"}, {"w-bob", "bob"}}) {
      String user = ns[1];
      String yaml = Sessions.yaml(ns[0], "broken", user, List.of("bad"));
      // The real init step fails: the snapshot's Secret holds a token the user's key does not open.
      Sessions.startWithUndecryptableSnapshot(
          chart,
          yaml,
          "bad",
          () ->
              assertThat(chart.putSecret(api.url("https"), user, "bad", user + "-value-bad"))
                  .isEqualTo(201));
    }
    for (String ns : List.of("w-carol", "w-bob")) {
      await()
          .atMost(Sessions.WAIT)
          .untilAsserted(
              () ->
                  assertThat(Sessions.condition(chart, ns, "broken", "SecretsReady"))
                      .containsEntry("status", "False")
                      .containsEntry("reason", "DecryptFailed"));
    }
  }
}
