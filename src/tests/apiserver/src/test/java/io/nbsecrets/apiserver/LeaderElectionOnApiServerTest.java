package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.nbsecrets.dev.ChartPod;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.http.Probes;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.operator.Labels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart in {@code combined} mode with two replicas: leader election on a real Lease. One
 * operator is active; when it dies the other takes over, and no session is lost or duplicated.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeaderElectionOnApiServerTest {
  private static final String NS = "nbs-ha";
  private static final String DEPLOYMENT = "nbsecrets-ha";
  private ChartRelease chart;
  private ChartPod first;
  private ChartPod second;
  private ChartPod api;
  private String ns;

  @BeforeAll
  void install() throws Exception {
    ControlPlane cp = RealApiServer.get();
    chart =
        ChartRelease.install(
            cp, "nbsecrets-ha", NS, Map.of("mode", "combined", "operator.replicas", "2"));
    first = chart.startPod(DEPLOYMENT, "operator", "nbsecrets-ha-a");
    second = chart.startPod(DEPLOYMENT, "operator", "nbsecrets-ha-b");
    api = chart.startPod(DEPLOYMENT, "api", "nbsecrets-ha-a-api");
    chart.startNode(api.url("https"));
    ns = chart.userNamespace("ha-alice", "alice");
  }

  @AfterAll
  void uninstall() throws Exception {
    if (chart != null) {
      chart.close();
    }
  }

  private String holder() {
    Lease lease = chart.admin.leases().inNamespace(NS).withName("nbsecrets-operator").get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  @Test
  @Order(1)
  void whenTheLeaderDiesTheOtherTakesOverAndNoSessionIsLostOrDuplicated() throws Exception {
    await().atMost(Sessions.WAIT).until(() -> holder() != null);
    String leader = holder();
    assertThat(leader).isIn(first.name, second.name);
    assertThat(chart.putSecret(api.url("https"), "alice", "k1", "ha-value-1")).isEqualTo(201);
    assertThat(chart.putSecret(api.url("https"), "alice", "k2", "ha-value-2")).isEqualTo(201);
    chart.apply("launcher", Sessions.yaml(ns, "before", "alice", List.of("k1")));
    Sessions.awaitReady(chart, ns, "before");
    // A new selection: the StatefulSet names k1's Secret as superseded, and the leader deletes it
    // and says so in the status (secretName: the Secret mounted now).
    String k1Secret = sessionSecretNames("before").get(0);
    edit(
        "before",
        r -> {
          @SuppressWarnings("unchecked")
          Map<String, Object> spec = (Map<String, Object>) r.getAdditionalProperties().get("spec");
          spec.put("secrets", Map.of("items", List.of(Map.of("name", "k2"))));
          return r;
        });
    await()
        .atMost(Sessions.WAIT)
        .untilAsserted(
            () -> {
              assertThat(sessionSecretNames("before")).singleElement().isNotEqualTo(k1Secret);
              assertThat(secretNameInStatus("before"))
                  .isEqualTo(sessionSecretNames("before").get(0));
            });
    Sessions.awaitReady(chart, ns, "before");

    ChartPod dying = leader.equals(first.name) ? first : second;
    ChartPod survivor = dying == first ? second : first;
    Instant killed = Instant.now();
    dying.kill();
    chart.apply("launcher", Sessions.yaml(ns, "after", "alice", List.of("k2")));
    await().atMost(Sessions.WAIT).until(() -> survivor.name.equals(holder()));
    Sessions.awaitReady(chart, ns, "after");
    System.out.printf(
        "[measure] leader killed -> the other replica's session Ready: %d ms%n",
        Duration.between(killed, Instant.now()).toMillis());

    // Neither session lost nor duplicated: one Secret and one StatefulSet each, all Ready.
    Sessions.awaitReady(chart, ns, "before");
    for (String session : List.of("before", "after")) {
      assertThat(
              chart
                  .admin
                  .secrets()
                  .inNamespace(ns)
                  .withLabel(Labels.SESSION, session)
                  .list()
                  .getItems())
          .hasSize(1);
      assertThat(chart.admin.apps().statefulSets().inNamespace(ns).withName(session).get())
          .isNotNull();
    }
    assertThat(chart.admin.apps().statefulSets().inNamespace(ns).list().getItems()).hasSize(2);
    assertThat(survivor.isAlive()).isTrue();
    assertThat(Files.exists(survivor.log)).isTrue();

    // The new leader deletes no Secret that exists: k1's, which the StatefulSet still names as
    // superseded, it may delete once more (it cannot read Secrets to know it is gone), and the
    // API server answers 404. A touch makes sure it has reconciled "before" (a pass with nothing
    // to do writes nothing).
    long reconciles = reconciles(survivor);
    edit(
        "before",
        r -> {
          Map<String, String> annotations = new java.util.HashMap<>();
          if (r.getMetadata().getAnnotations() != null) {
            annotations.putAll(r.getMetadata().getAnnotations());
          }
          annotations.put("example.com/touched", Instant.now().toString());
          r.getMetadata().setAnnotations(annotations);
          return r;
        });
    await().atMost(Sessions.WAIT).until(() -> reconciles(survivor) > reconciles);
    assertThat(
            AuditLog.read(chart.cp.auditLog()).stream()
                .filter(e -> e.at().isAfter(killed))
                .filter(e -> "delete".equals(e.verb()) && "secrets".equals(e.resource()))
                .filter(e -> ns.equals(e.namespace()))
                .toList())
        .as("Secrets deleted after the leader died")
        .allSatisfy(
            e -> {
              assertThat(e.name()).isEqualTo(k1Secret);
              assertThat(e.code()).isEqualTo(404);
            });
    for (String session : List.of("before", "after")) {
      assertThat(sessionSecretNames(session))
          .singleElement()
          .isEqualTo(secretNameInStatus(session));
    }
  }

  /**
   * Back to one replica by {@code helm upgrade}: the Deployment's strategy becomes Recreate (one
   * operator at a time without leader election), and the upgrade is not refused for the rolling
   * update settings the API server had filled in.
   */
  @Test
  @Order(2)
  void aReleaseGoesBackToOneOperatorByAnUpgrade() throws Exception {
    chart.helm.run(
        List.of(
            "upgrade",
            "nbsecrets-ha",
            io.nbsecrets.dev.Helm.CHART.toString(),
            "-n",
            NS,
            "--reuse-values",
            "--set",
            "operator.replicas=1"));
    var deployment = chart.admin.apps().deployments().inNamespace(NS).withName(DEPLOYMENT).get();
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(deployment.getSpec().getStrategy().getRollingUpdate()).isNull();
  }

  private void edit(String session, UnaryOperator<GenericKubernetesResource> change) {
    chart
        .admin
        .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
        .inNamespace(ns)
        .withName(session)
        .edit(change);
  }

  private List<String> sessionSecretNames(String session) {
    return chart
        .admin
        .secrets()
        .inNamespace(ns)
        .withLabel(Labels.SESSION, session)
        .list()
        .getItems()
        .stream()
        .map(s -> s.getMetadata().getName())
        .toList();
  }

  private String secretNameInStatus(String session) {
    Object status = chart.session(ns, session).getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> m ? (String) m.get("secretName") : null;
  }

  /** How many reconciles {@code pod}'s operator has run, by its {@code /metrics}. */
  private static long reconciles(ChartPod pod) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(pod.url("management") + Probes.METRICS)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body()
        .lines()
        .filter(l -> l.startsWith("nbsecrets_operator_reconcile_seconds_count"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
