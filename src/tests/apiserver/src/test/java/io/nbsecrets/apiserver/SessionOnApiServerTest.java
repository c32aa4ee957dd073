package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.dev.ChartPod;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.dev.NodeStandIn;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.ObjectKeys;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.Owners;
import io.nbsecrets.operator.SessionSecrets;
import io.nbsecrets.operator.SnapshotRecords;
import io.nbsecrets.operator.Workload;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * The whole product on a real API server, installed by the real helm with the chart's default
 * values (split mode, every namespace watched): the {@code operator} and {@code api} subcommands
 * run with the chart's arguments and environment as their own ServiceAccounts, the real StatefulSet
 * controller makes the session pods, the real garbage collector removes what a deleted session
 * owned, and Pod Security {@code restricted} is enforced on every namespace.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SessionOnApiServerTest {
  private static final String RELEASE = "nbsecrets";
  private static final String NS = "nbs-system";
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** Every plaintext this class stored, for the final leak scan. */
  private static final Map<String, String> PLAINTEXTS = new ConcurrentHashMap<>();

  private ControlPlane cp;
  private ChartRelease chart;
  private ChartPod operator;
  private ChartPod api;
  private NodeStandIn node;
  private KubernetesClient admin;
  private String alice;

  @BeforeAll
  void install() throws Exception {
    cp = RealApiServer.get();
    long start = System.nanoTime();
    chart =
        ChartRelease.install(
            cp,
            RELEASE,
            NS,
            Map.of(
                "admissionPolicy.enabled",
                "true",
                "admissionPolicy.launcherGroups[0]",
                RealApiServer.LAUNCHERS));
    admin = chart.admin;
    operator = chart.startPod("nbsecrets-operator", "operator", "nbsecrets-operator-standin");
    api = chart.startPod("nbsecrets-api", "api", "nbsecrets-api-standin");
    node = chart.startNode(api.url("https"));
    alice = chart.userNamespace("alice", "alice");
    System.out.printf(
        "[measure] helm install + operator and API ready on the real API server: %d ms%n",
        (System.nanoTime() - start) / 1_000_000);
  }

  @AfterAll
  void uninstall() throws Exception {
    if (chart != null) {
      chart.close();
    }
  }

  private String secret(String user, String name) throws Exception {
    String value = "plain-" + name + "-" + UUID.randomUUID();
    PLAINTEXTS.put(user + "/" + name, value);
    assertThat(chart.putSecret(api.url("https"), user, name, value)).isIn(200, 201);
    return value;
  }

  private static String sessionYaml(String ns, String name, String user, List<String> secrets) {
    return Sessions.yaml(ns, name, user, secrets);
  }

  private Map<String, Object> condition(String ns, String name, String type) {
    return Sessions.condition(chart, ns, name, type);
  }

  private void awaitReady(String ns, String name) {
    Sessions.awaitReady(chart, ns, name);
  }

  private List<Secret> sessionSecrets(String ns, String session) {
    return admin.secrets().inNamespace(ns).withLabel(Labels.SESSION, session).list().getItems();
  }

  // ------------------------------------------------------------------ install and admission

  @Test
  @Order(1)
  void theChartsPodsAreAdmittedUnderPodSecurityRestricted() {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        admin.pods().inNamespace(NS).list().getItems().stream()
                            .map(p -> p.getMetadata().getName()))
                    .as("pods the ReplicaSet controller made from the chart's Deployments")
                    .anyMatch(n -> n.startsWith("nbsecrets-operator-"))
                    .anyMatch(n -> n.startsWith("nbsecrets-api-")));
    assertThat(
            admin.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "FailedCreate".equals(e.getReason()))
                .map(e -> e.getMessage()))
        .isEmpty();
    // Pod Security is really enforced here: a pod without the restricted settings is refused.
    Pod privileged =
        new PodBuilder()
            .withNewMetadata()
            .withName("privileged")
            .withNamespace(alice)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("busybox")
            .endContainer()
            .endSpec()
            .build();
    assertThatThrownBy(() -> admin.resource(privileged).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("violates PodSecurity \"restricted:latest\"");
  }

  // ------------------------------------------------------------------ the whole lifecycle

  @Test
  @Order(2)
  void aSessionRunsWithItsSecretsIsRolledOnANewSelectionAndIsCollectedWhenDeleted()
      throws Exception {
    String token = secret("alice", "OPENAI_API_KEY");
    String password = secret("alice", "db-password");
    String extra = secret("alice", "extra");
    Instant created = Instant.now();
    chart.apply(
        "launcher",
        sessionYaml(alice, "notebook", "alice", List.of("OPENAI_API_KEY", "db-password")));
    awaitReady(alice, "notebook");

    // The chart's default session key is X-Wing: the API sealed nbs2 records, the operator opened
    // them (the session is Ready), and the public half is published with its algorithm.
    assertThat(
            admin
                .configMaps()
                .inNamespace(NS)
                .withName(io.nbsecrets.keys.SessionKeys.CONFIGMAP_NAME)
                .get()
                .getData())
        .containsEntry(io.nbsecrets.keys.SessionKeys.ALGORITHM, "mlkem768-x25519");
    assertThat(
            admin.secrets().inAnyNamespace().list().getItems().stream()
                .filter(s -> s.getMetadata().getName().startsWith("nbsecrets-rec-"))
                .map(
                    s ->
                        new String(
                            java.util.Base64.getDecoder().decode(s.getData().get("sealed")),
                            java.nio.charset.StandardCharsets.US_ASCII))
                .toList())
        .isNotEmpty()
        .allMatch(record -> record.startsWith("nbs2.xw-"));

    // Written by the operator's own identity; the pod by the real StatefulSet controller.
    String operatorUser = chart.serviceAccountUser("nbsecrets-operator");
    List<AuditLog.Entry> audit = AuditLog.read(cp.auditLog());
    for (String resource : List.of("secrets", "statefulsets", "services")) {
      assertThat(audit)
          .as("create of %s in %s", resource, alice)
          .anyMatch(
              e ->
                  e.verb().equals("create")
                      && resource.equals(e.resource())
                      && alice.equals(e.namespace())
                      && e.code() == 201
                      && e.user().equals(operatorUser));
    }
    assertThat(audit)
        .anyMatch(
            e ->
                e.verb().equals("create")
                    && "pods".equals(e.resource())
                    && alice.equals(e.namespace())
                    && e.code() == 201
                    && e.user().equals("system:serviceaccount:kube-system:statefulset-controller"));
    List<Secret> secrets = sessionSecrets(alice, "notebook");
    assertThat(secrets).hasSize(1);
    assertThat(secrets.get(0).getImmutable()).isTrue();
    // The snapshot's record rides in the StatefulSet, naming the Secret; no ConfigMap of its own.
    StatefulSet workload =
        admin.apps().statefulSets().inNamespace(alice).withName("notebook").get();
    assertThat(SnapshotRecords.ofWorkload(workload).orElseThrow().secretName("notebook"))
        .hasValue(secrets.get(0).getMetadata().getName());
    assertThat(snapshotConfigMaps(alice, "notebook")).isEmpty();
    assertThat(secrets.get(0).getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getController()).isTrue());

    // The init step got alice's key through a real bound token and wrote the plaintext files.
    Pod pod = admin.pods().inNamespace(alice).withName("notebook-0").get();
    Path files = node.files(alice, "notebook-0");
    assertThat(files).isNotNull();
    assertThat(Files.readString(files.resolve("OPENAI_API_KEY"))).isEqualTo(token);
    assertThat(Files.readString(files.resolve("db-password"))).isEqualTo(password);
    GenericKubernetesResource session = chart.session(alice, "notebook");
    @SuppressWarnings("unchecked")
    Map<String, Object> status =
        (Map<String, Object>) session.getAdditionalProperties().get("status");
    assertThat(status).containsEntry("secretCount", 2).containsEntry("podName", "notebook-0");
    System.out.printf(
        "[measure] session created -> Ready on the real API server: %d ms%n",
        Duration.between(created, Instant.now()).toMillis());

    // A new selection: a new snapshot, the old Secret gone, a new pod with the new files.
    GenericKubernetesResource edited = chart.session(alice, "notebook");
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) edited.getAdditionalProperties().get("spec");
    spec.put(
        "secrets",
        Map.of(
            "items",
            List.of(
                Map.of("name", "OPENAI_API_KEY"),
                Map.of("name", "db-password"),
                Map.of("name", "extra"))));
    try (KubernetesClient launcher = cp.client("launcher")) {
      ChartRelease.sessions(launcher, edited).update();
    }
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Pod now = admin.pods().inNamespace(alice).withName("notebook-0").get();
              assertThat(now).isNotNull();
              assertThat(now.getMetadata().getUid()).isNotEqualTo(pod.getMetadata().getUid());
              assertThat(node.files(alice, "notebook-0")).isNotNull();
              assertThat(condition(alice, "notebook", "Ready")).containsEntry("status", "True");
            });
    assertThat(Files.readString(node.files(alice, "notebook-0").resolve("extra"))).isEqualTo(extra);
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(sessionSecrets(alice, "notebook")).hasSize(1));
    StatefulSet replaced =
        admin.apps().statefulSets().inNamespace(alice).withName("notebook").get();
    assertThat(replaced.getMetadata().getAnnotations())
        .containsEntry(Labels.SUPERSEDED_SECRET, secrets.get(0).getMetadata().getName());
    // The operator reads objects without their managed fields, and its update of the StatefulSet
    // names none: the server kept the field managers' records, the controller's as well as its own.
    assertThat(replaced.getMetadata().getManagedFields())
        .extracting(m -> m.getManager() + "/" + m.getSubresource())
        .contains("kube-controller-manager/status")
        .hasSizeGreaterThan(1);

    // Delete: the real garbage collector removes the Secret, StatefulSet, Service and pod.
    try (KubernetesClient launcher = cp.client("launcher")) {
      ChartRelease.sessions(launcher, chart.session(alice, "notebook")).delete();
    }
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(sessionSecrets(alice, "notebook")).isEmpty();
              assertThat(admin.apps().statefulSets().inNamespace(alice).withName("notebook").get())
                  .isNull();
              assertThat(admin.services().inNamespace(alice).withName("notebook").get()).isNull();
              assertThat(admin.pods().inNamespace(alice).withName("notebook-0").get()).isNull();
            });
  }

  @Test
  @Order(3)
  void aNewSessionCostsFiveWritesAndAReconcileWithNothingToDoNone() throws Exception {
    secret("alice", "quiet");
    Instant applied = Instant.now();
    chart.apply("launcher", sessionYaml(alice, "quiet", "alice", List.of("quiet")));
    awaitReady(alice, "quiet");
    Thread.sleep(3000); // let the last status write and events settle
    Instant from = Instant.now();
    String operatorUser = chart.serviceAccountUser("nbsecrets-operator");
    // A new session's whole write budget: the three objects the product contract names, and two
    // status writes: the first visit's (conditions set while the workload starts, as the API
    // conventions ask, so that observedGeneration says the operator has seen the spec) and Ready's.
    // No Event (a first snapshot is told by the status alone), no update, no retry.
    assertThat(
            AuditLog.read(cp.auditLog()).stream()
                .filter(e -> e.at().isAfter(applied) && e.at().isBefore(from))
                .filter(e -> e.user().equals(operatorUser) && e.isWrite())
                .filter(e -> alice.equals(e.namespace()))
                .map(
                    e ->
                        e.verb()
                            + " "
                            + e.resource()
                            + (e.subresource() == null || e.subresource().isEmpty()
                                ? ""
                                : "/" + e.subresource())
                            + " "
                            + e.code())
                .sorted()
                .toList())
        .as("the operator's writes for a new session, until it is Ready")
        .containsExactly(
            "create secrets 201",
            "create services 201",
            "create statefulsets 201",
            "patch notebooksessions/status 200",
            "patch notebooksessions/status 200");
    // The status is patched without reading the session first (the reconcile has it).
    assertThat(
            AuditLog.read(cp.auditLog()).stream()
                .filter(e -> e.at().isAfter(applied) && e.at().isBefore(from))
                .filter(e -> e.user().equals(operatorUser) && e.verb().equals("get"))
                .filter(e -> "notebooksessions".equals(e.resource()))
                .toList())
        .as("the operator's reads of one session")
        .isEmpty();
    // Events that reach the reconciler but change nothing it owns: a metadata edit of the session
    // and of its namespace.
    try (KubernetesClient launcher = cp.client("launcher")) {
      launcher
          .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
          .inNamespace(alice)
          .withName("quiet")
          .edit(
              s -> {
                s.getMetadata().setLabels(Map.of("touched", "1"));
                return s;
              });
    }
    admin
        .namespaces()
        .withName(alice)
        .edit(
            n -> {
              n.getMetadata().getLabels().put("touched", "1");
              return n;
            });
    Thread.sleep(6000);
    List<AuditLog.Entry> writes =
        AuditLog.read(cp.auditLog()).stream()
            .filter(e -> e.at().isAfter(from) && e.user().equals(operatorUser) && e.isWrite())
            .toList();
    assertThat(writes).as("the operator's writes after a no-op event").isEmpty();
  }

  @Test
  @Order(4)
  void aPodTheStatefulSetControllerCannotCreateIsReportedOnTheSessionUntilItIsMade()
      throws Exception {
    secret("alice", "lonely");
    String yaml =
        sessionYaml(alice, "no-sa", "alice", List.of("lonely"))
            .replace("  image:", "  serviceAccountName: missing\n  image:");
    chart.apply("launcher", yaml);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Map<String, Object> workload = condition(alice, "no-sa", "WorkloadReady");
              assertThat(workload).containsEntry("status", "False");
              assertThat(workload).containsEntry("reason", "PodCreationFailed");
              assertThat((String) workload.get("message"))
                  .contains("cannot create pod no-sa-0")
                  .contains("missing");
              assertThat(condition(alice, "no-sa", "Ready"))
                  .containsEntry("reason", "PodCreationFailed");
            });
    // Found through watches: the operator reads pods and Events only by its informers' lists and
    // watches (the session pods by label; the Events by reason, the StatefulSet controller's
    // FailedCreate and the kubelet's FailedMount), never polling one session's.
    String operatorUser = chart.serviceAccountUser("nbsecrets-operator");
    List<AuditLog.Entry> reads =
        AuditLog.read(cp.auditLog()).stream()
            .filter(e -> e.user().equals(operatorUser) && !e.isWrite())
            .filter(e -> "pods".equals(e.resource()) || "events".equals(e.resource()))
            .toList();
    assertThat(reads)
        .as("the operator's reads of pods and Events")
        .isNotEmpty()
        .allSatisfy(
            e -> {
              assertThat(e.verb()).isIn("list", "watch");
              assertThat(e.name()).isNullOrEmpty();
              if ("events".equals(e.resource())) {
                assertThat(e.uri())
                    .containsAnyOf(
                        "fieldSelector=reason%3DFailedCreate%2CinvolvedObject.kind%3DStatefulSet",
                        "fieldSelector=reason%3DFailedMount%2CinvolvedObject.kind%3DPod");
              } else {
                assertThat(e.uri()).contains("labelSelector=");
              }
            });
    // Once the controller can make the pod, the failure goes away as soon as the pod is made: its
    // addition reconciles, because its StatefulSet had a FailedCreate (no status write of the
    // StatefulSet does before the pod is ready). Every status written is watched, for the pod
    // made and not ready yet, which the node stand-in soon makes ready.
    List<String> reasons = new CopyOnWriteArrayList<>();
    Watch watch =
        admin
            .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
            .inNamespace(alice)
            .withName("no-sa")
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, GenericKubernetesResource s) {
                    Object reason = Sessions.condition(s, "WorkloadReady").get("reason");
                    if (reason != null) {
                      reasons.add(reason.toString());
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {
                    reasons.add("the watch closed: " + cause);
                  }
                });
    try {
      admin
          .serviceAccounts()
          .inNamespace(alice)
          .resource(
              new ServiceAccountBuilder()
                  .withNewMetadata()
                  .withName("missing")
                  .withNamespace(alice)
                  .endMetadata()
                  .build())
          .create();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  reasons.contains("PodReady")
                      || reasons.stream().anyMatch(r -> r.startsWith("the watch closed")));
    } finally {
      watch.close();
    }
    assertThat(reasons)
        .as("WorkloadReady's reasons, in the order written")
        .containsSubsequence("PodCreationFailed", "PodNotReady", "PodReady");
    assertThat(condition(alice, "no-sa", "Ready")).containsEntry("status", "True");
  }

  // ------------------------------------------------------------------ schema, CEL, admission

  @Test
  @Order(5)
  void theCrdSchemaAndRulesRefuseBadSessionsWith422() throws Exception {
    Map<String, String> bad =
        Map.of(
            "relative mount path",
            sessionYaml(alice, "bad1", "alice", List.of("a"))
                .replace("    items:", "    mountPath: secrets\n    items:"),
            "system mount path",
            sessionYaml(alice, "bad2", "alice", List.of("a"))
                .replace("    items:", "    mountPath: /etc\n    items:"),
            "/tmp as the mount path",
            sessionYaml(alice, "bad6", "alice", List.of("a"))
                .replace("    items:", "    mountPath: /tmp\n    items:"),
            "name with a slash",
            sessionYaml(alice, "bad3", "alice", List.of("a/b")),
            "name beginning with ..",
            sessionYaml(alice, "bad4", "alice", List.of("..data")),
            "no user",
            sessionYaml(alice, "bad5", "alice", List.of("a")).replace("  user: alice\n", ""),
            "a variable without a command",
            sessionYaml(alice, "bad7", "alice", List.of("a")) + "        env: A\n",
            "envAll without a command",
            sessionYaml(alice, "bad8", "alice", List.of("a"))
                .replace("    items:", "    envAll: true\n    items:"),
            "a variable name with a dash",
            sessionYaml(alice, "bad9", "alice", List.of("a"))
                    .replace("  secrets:", "  command: [x]\n  secrets:")
                + "        env: A-B\n",
            "a variable name of nbsecrets",
            sessionYaml(alice, "bad10", "alice", List.of("a"))
                    .replace("  secrets:", "  command: [x]\n  secrets:")
                + "        env: NBSECRETS_ENV_FILE\n");
    for (var e : bad.entrySet()) {
      assertThatThrownBy(() -> chart.apply("launcher", e.getValue()))
          .as(e.getKey())
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              x -> assertThat(x.getCode()).as(e.getKey() + ": " + x.getMessage()).isEqualTo(422));
    }
    assertThatThrownBy(() -> chart.apply("launcher", bad.get("a variable without a command")))
        .hasMessageContaining("command is required when secrets are exported");
    chart.apply("launcher", sessionYaml(alice, "good", "alice", List.of("a")));
    try (KubernetesClient launcher = cp.client("launcher")) {
      assertThatThrownBy(
              () ->
                  launcher
                      .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
                      .inNamespace(alice)
                      .withName("good")
                      .patch(
                          PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"user\":\"bob\"}}"))
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              x -> {
                assertThat(x.getCode()).isEqualTo(422);
                assertThat(x.getMessage()).contains("immutable");
              });
    }
  }

  @Test
  @Order(6)
  void theAdmissionPolicyLetsUsersNameOnlyThemselvesAndLaunchersAnyone() {
    assertThatThrownBy(
            () -> chart.apply("alice", sessionYaml(alice, "for-bob", "bob", List.of("a"))))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            x -> assertThat(x.getMessage()).contains("spec.user must be your own username"));
    chart.apply("alice", sessionYaml(alice, "mine", "alice", List.of("a")));
    chart.apply("launcher", sessionYaml(alice, "launched", "alice", List.of("a")));
    assertThat(chart.session(alice, "mine")).isNotNull();
    assertThat(chart.session(alice, "launched")).isNotNull();
  }

  // ------------------------------------------------------------------ the init endpoint

  private int userKey(String token) throws Exception {
    HttpResponse<String> r =
        chart
            .apiClient()
            .send(
                HttpRequest.newBuilder(URI.create(api.url("https") + "/api/v1/init/user-key"))
                    .header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  private String podToken(Pod pod, String audience) {
    return NodeStandIn.podToken(admin, pod, audience, 600L);
  }

  @Test
  @Order(7)
  void theInitEndpointRefusesEveryTokenButASessionPodsOwn() throws Exception {
    secret("alice", "keyed");
    chart.apply("launcher", sessionYaml(alice, "keyed", "alice", List.of("keyed")));
    awaitReady(alice, "keyed");
    Pod sessionPod = admin.pods().inNamespace(alice).withName("keyed-0").get();
    assertThat(userKey(podToken(sessionPod, "nbsecrets"))).isEqualTo(200);

    assertThat(userKey(podToken(sessionPod, "other-audience")))
        .as("another audience")
        .isIn(401, 403);
    Pod stray =
        admin
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("stray")
                    .withNamespace(alice)
                    .endMetadata()
                    .withNewSpec()
                    .withNewSecurityContext()
                    .withRunAsNonRoot(true)
                    .withNewSeccompProfile()
                    .withType("RuntimeDefault")
                    .endSeccompProfile()
                    .endSecurityContext()
                    .addNewContainer()
                    .withName("c")
                    .withImage("busybox")
                    .withNewSecurityContext()
                    .withAllowPrivilegeEscalation(false)
                    .withNewCapabilities()
                    .withDrop("ALL")
                    .endCapabilities()
                    .endSecurityContext()
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    assertThat(userKey(podToken(stray, "nbsecrets"))).as("a pod of no session").isEqualTo(403);
    String unbound =
        admin
            .serviceAccounts()
            .inNamespace(alice)
            .withName("default")
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withAudiences("nbsecrets")
                    .withExpirationSeconds(600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    assertThat(userKey(unbound)).as("a token bound to no pod").isEqualTo(403);
    String deletedPodToken = podToken(stray, "nbsecrets");
    admin.resource(stray).withGracePeriod(0).delete();
    await()
        .atMost(WAIT)
        .until(() -> admin.pods().inNamespace(alice).withName("stray").get() == null);
    assertThat(userKey(deletedPodToken)).as("a token of a deleted pod").isIn(401, 403);
    assertThat(userKey(ExpiredTokens.forge(cp, sessionPod, "nbsecrets")))
        .as("an expired token of the session's own pod")
        .isIn(401, 403);
  }

  @Test
  @Order(9)
  void aLostSnapshotRecordIsRebuiltWithoutTouchingTheMountedSecretOrThePod() throws Exception {
    secret("alice", "kept");
    chart.apply("launcher", sessionYaml(alice, "rebuilt", "alice", List.of("kept")));
    awaitReady(alice, "rebuilt");
    Secret sealed = sessionSecrets(alice, "rebuilt").get(0);
    Pod pod = admin.pods().inNamespace(alice).withName("rebuilt-0").get();
    var workload = admin.apps().statefulSets().inNamespace(alice).withName("rebuilt");
    String record = workload.get().getMetadata().getAnnotations().get(ObjectKeys.SNAPSHOT_RECORD);
    assertThat(record).isNotNull();
    // Someone removes the record from the StatefulSet (kubectl annotate sts rebuilt KEY-).
    workload.edit(
        sts -> {
          sts.getMetadata().getAnnotations().remove(ObjectKeys.SNAPSHOT_RECORD);
          return sts;
        });
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(workload.get().getMetadata().getAnnotations())
                    .containsEntry(ObjectKeys.SNAPSHOT_RECORD, record));
    // The same snapshot (same name, same contents): the Secret was neither replaced nor re-read,
    // and the running pod was left alone.
    assertThat(sessionSecrets(alice, "rebuilt"))
        .singleElement()
        .satisfies(
            s -> assertThat(s.getMetadata().getUid()).isEqualTo(sealed.getMetadata().getUid()));
    assertThat(admin.pods().inNamespace(alice).withName("rebuilt-0").get().getMetadata().getUid())
        .isEqualTo(pod.getMetadata().getUid());
    awaitReady(alice, "rebuilt");
  }

  @Test
  @Order(9)
  void aStatefulSetDeletedByHandAfterItsSecretChangedLeavesOnlyTheNewSnapshotsSecret()
      throws Exception {
    String first = secret("alice", "moved");
    chart.apply("launcher", sessionYaml(alice, "handled", "alice", List.of("moved")));
    awaitReady(alice, "handled");
    Secret old = sessionSecrets(alice, "handled").get(0);
    assertThat(secretNameInStatus(alice, "handled")).isEqualTo(old.getMetadata().getName());
    var workload = admin.apps().statefulSets().inNamespace(alice).withName("handled");
    String oldUid = workload.get().getMetadata().getUid();
    // A new version in the store, then someone deletes the StatefulSet (kubectl delete sts
    // handled): its snapshot record and its pod go; only the session's status knows the old
    // Secret.
    String value = secret("alice", "moved");
    PLAINTEXTS.put("alice/moved (version 1)", first); // still scanned for at the end
    workload.delete();

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              StatefulSet now = workload.get();
              assertThat(now).isNotNull();
              assertThat(now.getMetadata().getUid()).isNotEqualTo(oldUid);
            });
    // The new snapshot has the new version, and the Secret it superseded is gone with it.
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              Path files = node.files(alice, "handled-0");
              assertThat(files).isNotNull();
              assertThat(Files.readString(files.resolve("moved"))).isEqualTo(value);
            });
    awaitReady(alice, "handled");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(sessionSecrets(alice, "handled"))
                    .singleElement()
                    .satisfies(
                        s -> {
                          assertThat(s.getMetadata().getName())
                              .isNotEqualTo(old.getMetadata().getName());
                          assertThat(s.getMetadata().getName())
                              .isEqualTo(secretNameInStatus(alice, "handled"));
                        }));
  }

  @Test
  @Order(9)
  void aSessionDeletedAndCreatedAgainUnderItsNameGetsSecretsOfItsOwnAndNeverSomeoneElses()
      throws Exception {
    secret("alice", "again-token");
    String yaml = sessionYaml(alice, "again", "alice", List.of("again-token"));
    chart.apply("launcher", yaml);
    awaitReady(alice, "again");
    String secretName = secretNameInStatus(alice, "again");
    // Deleted and created again at once, three times: the garbage collector is still removing
    // what the earlier one owned when the new one is reconciled. Before, the new session adopted
    // the earlier StatefulSet and Secret, the collector deleted the Secret under it, and the
    // session stayed Ready with a StatefulSet that mounted nothing.
    for (int round = 0; round < 3; round++) {
      deleteAsLauncher(alice, "again");
      await().atMost(WAIT).until(() -> chart.session(alice, "again") == null);
      chart.apply("launcher", yaml);
      awaitReady(alice, "again");
      String uid = chart.session(alice, "again").getMetadata().getUid();
      Thread.sleep(5_000); // the collector's time to delete whatever the earlier one left
      StatefulSet sts = admin.apps().statefulSets().inNamespace(alice).withName("again").get();
      assertThat(Owners.isControlledBy(sts, uid)).as("round %d: the StatefulSet", round).isTrue();
      assertThat(mountedSecret(sts)).isEqualTo(secretName);
      Secret mounted = admin.secrets().inNamespace(alice).withName(secretName).get();
      assertThat(mounted).as("round %d: the Secret the StatefulSet mounts", round).isNotNull();
      assertThat(Owners.isControlledBy(mounted, uid)).isTrue();
      assertThat(condition(alice, "again", "Ready")).containsEntry("status", "True");
    }

    // Someone's Secret under the name the session's snapshot has: never used, changed or deleted.
    deleteAsLauncher(alice, "again");
    await()
        .atMost(WAIT)
        .until(() -> admin.secrets().inNamespace(alice).withName(secretName).get() == null);
    admin
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName(secretName)
                .withNamespace(alice)
                .endMetadata()
                .addToStringData("password", "not-the-sessions")
                .build())
        .create();
    chart.apply("launcher", yaml);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(condition(alice, "again", "Ready"))
                    .containsEntry("status", "False")
                    .containsEntry("reason", "NameTaken"));
    assertThat(String.valueOf(condition(alice, "again", "Ready").get("message")))
        .contains("Secret " + secretName + " exists and does not belong to this session");
    Secret theirs = admin.secrets().inNamespace(alice).withName(secretName).get();
    assertThat(theirs.getData()).containsOnlyKeys("password");
    assertThat(theirs.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(admin.apps().statefulSets().inNamespace(alice).withName("again").get()).isNull();
    deleteAsLauncher(alice, "again");
    admin.resource(theirs).delete();
  }

  private void deleteAsLauncher(String ns, String name) {
    try (KubernetesClient launcher = cp.client("launcher")) {
      ChartRelease.sessions(launcher, chart.session(ns, name)).delete();
    }
  }

  private static String mountedSecret(StatefulSet sts) {
    return sts.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getSecret() != null)
        .map(v -> v.getSecret().getSecretName())
        .findFirst()
        .orElse(null);
  }

  private String secretNameInStatus(String ns, String name) {
    @SuppressWarnings("unchecked")
    Map<String, Object> status =
        (Map<String, Object>) chart.session(ns, name).getAdditionalProperties().get("status");
    return status == null ? null : (String) status.get("secretName");
  }

  // ------------------------------------------------------------------ limits of a real cluster

  private String bob;
  private String carol;
  private final List<String> bobsNames = new ArrayList<>();

  /**
   * Bob holds 1,000 secrets (the most a user may) with names of 128 characters (the longest a name
   * may be), stored once for the tests below.
   */
  private synchronized List<String> bobsThousandSecrets() throws Exception {
    if (bob == null) {
      bob = chart.userNamespace("bob", "bob");
      long start = System.nanoTime();
      for (int i = 0; i < 1000; i++) {
        String name = String.format("%04d-", i) + "n".repeat(123);
        String value = "plain-" + i + "-" + UUID.randomUUID();
        if (i % 100 == 0) {
          PLAINTEXTS.put("bob/" + name, value);
        }
        assertThat(chart.putSecret(api.url("https"), "bob", name, value)).isIn(200, 201);
        bobsNames.add(name);
      }
      System.out.printf(
          "[measure] 1,000 secrets with 128-character names stored through the API: %d ms%n",
          (System.nanoTime() - start) / 1_000_000);
    }
    return bobsNames;
  }

  private void awaitFiles(String ns, String session, List<String> names) throws Exception {
    await()
        .atMost(Duration.ofSeconds(240))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () ->
                assertThat(condition(ns, session, "Ready"))
                    .as("Ready condition of %s/%s", ns, session)
                    .containsEntry("status", "True"));
    Path files = node.files(ns, session + "-0");
    try (var listed = Files.list(files)) {
      assertThat(listed.map(f -> f.getFileName().toString()).sorted().toList())
          .containsExactlyElementsOf(names.stream().sorted().toList());
    }
    String last = names.get(names.size() - 1);
    assertThat(Files.readString(files.resolve(last))).startsWith("plain-" + (names.size() - 1));
  }

  @Test
  @Order(10)
  void theRealApiServerRefusesASecretOfMoreThanOneMebibyteOfData() {
    String ns = chart.userNamespace("limits", null);
    for (int size : List.of(1_048_576, 1_048_577)) {
      Secret s =
          new io.fabric8.kubernetes.api.model.SecretBuilder()
              .withNewMetadata()
              .withName("size-" + size)
              .withNamespace(ns)
              .endMetadata()
              .addToData("a", Base64.getEncoder().encodeToString(new byte[size - 1]))
              .addToData("b", Base64.getEncoder().encodeToString(new byte[1]))
              .build();
      if (size == 1_048_576) {
        assertThat(admin.resource(s).create()).isNotNull();
      } else {
        assertThatThrownBy(() -> admin.resource(s).create())
            .isInstanceOf(KubernetesClientException.class)
            .hasMessageContaining("data: Too long: may not be more than 1048576 bytes");
      }
    }
  }

  @Test
  @Order(11)
  void sevenValuesOf128KibAreRefusedBeforeAnythingIsWrittenWithTheLimitAndTheNumbers()
      throws Exception {
    carol = chart.userNamespace("carol", "carol");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      String prefix = "plain-big-" + i + "-" + UUID.randomUUID() + "-";
      String value = prefix + "v".repeat(128 * 1024 - prefix.length());
      if (i == 0) {
        PLAINTEXTS.put("carol/big-0", value);
      }
      assertThat(chart.putSecret(api.url("https"), "carol", "big-" + i, value)).isEqualTo(201);
      names.add("big-" + i);
    }
    chart.apply("launcher", sessionYaml(carol, "huge", "carol", names));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(condition(carol, "huge", "SecretsReady"))
                    .containsEntry("status", "False")
                    .containsEntry("reason", "SecretTooLarge"));
    String message = (String) condition(carol, "huge", "SecretsReady").get("message");
    assertThat(message)
        .contains("the session Secret of the 7 selected secrets needs 1,2")
        .contains("a Kubernetes Secret holds at most 1,048,576 bytes")
        .endsWith("select fewer or smaller secrets");
    assertThat(condition(carol, "huge", "Ready"))
        .containsEntry("status", "False")
        .containsEntry("reason", "SecretTooLarge");
    // Nothing half-made: no Secret, no record, no workload.
    assertThat(snapshotConfigMaps(carol, "huge")).isEmpty();
    assertThat(sessionSecrets(carol, "huge")).isEmpty();
    assertThat(admin.configMaps().inNamespace(carol).withLabel(Labels.SESSION, "huge").list())
        .satisfies(l -> assertThat(l.getItems()).isEmpty());
    assertThat(admin.apps().statefulSets().inNamespace(carol).withName("huge").get()).isNull();
  }

  @Test
  @Order(12)
  void fourHundredEightyItemsWith128CharacterNamesGetTheirFiles() throws Exception {
    // Their list of files (~132 KiB) passes Linux's limit on one environment string (128 KiB):
    // the init step reads it from the mounted Secret instead.
    List<String> names = bobsThousandSecrets().subList(0, 480);
    chart.apply("launcher", sessionYaml(bob, "wide", "bob", names));
    awaitFiles(bob, "wide", names);
    // Their record (~150 KiB) is more than the StatefulSet carries: a ConfigMap holds it.
    assertThat(snapshotConfigMaps(bob, "wide")).hasSize(1);
    assertThat(
            SnapshotRecords.ofWorkload(
                admin.apps().statefulSets().inNamespace(bob).withName("wide").get()))
        .isEmpty();
  }

  @Test
  @Order(13)
  void aThousandItemsGetTheirFiles() throws Exception {
    // Their list of files (~290 KiB) passes the 256 KiB that all annotations of an object may hold.
    List<String> names = bobsThousandSecrets();
    chart.apply("launcher", sessionYaml(bob, "all", "bob", names));
    awaitFiles(bob, "all", names);
    Secret sealed = sessionSecrets(bob, "all").get(0);
    assertThat(sealed.getData()).hasSize(1001);
  }

  /**
   * A value the CRD lets through but the API server refuses in the pod (a toleration's operator
   * other than Exists or Equal): the session says InvalidSpec in the API server's words, naming the
   * field, not a generic error; and no StatefulSet exists.
   */
  @Test
  @Order(14)
  void aSpecTheApiServerRefusesInThePodIsReportedAsInvalidSpecInItsWords() throws Exception {
    secret("alice", "refused");
    String yaml =
        sessionYaml(alice, "refused", "alice", List.of("refused"))
            .replace(
                "  image: quay.io/jupyter/minimal-notebook:2024-12-02\n",
                "  image: quay.io/jupyter/minimal-notebook:2024-12-02\n"
                    + "  tolerations:\n"
                    + "  - key: gpu\n"
                    + "    operator: Sometimes\n"
                    + "    effect: NoSchedule\n");
    assertThat(yaml).contains("operator: Sometimes");
    chart.apply("launcher", yaml);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(condition(alice, "refused", "Ready"))
                    .containsEntry("status", "False")
                    .containsEntry("reason", "InvalidSpec"));
    assertThat((String) condition(alice, "refused", "Ready").get("message"))
        .startsWith(
            "the API server refused the session's StatefulSet refused made from this spec: ")
        .contains("tolerations[0].operator")
        .contains("Sometimes");
    assertThat(admin.apps().statefulSets().inNamespace(alice).withName("refused").get()).isNull();
    admin
        .genericKubernetesResources("nbsecrets.io/v1alpha1", "NotebookSession")
        .inNamespace(alice)
        .withName("refused")
        .delete();
  }

  @Test
  @Order(14)
  void anInitStepThatFailsShowsItsOwnReasonOnTheSession() throws Exception {
    String yaml = sessionYaml(alice, "tampered", "alice", List.of("tampered"));
    // The real init step fails: the snapshot's Secret holds a token the user's key does not open.
    Sessions.startWithUndecryptableSnapshot(
        chart, yaml, "tampered", () -> secret("alice", "tampered"));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(condition(alice, "tampered", "SecretsReady"))
                    .containsEntry("status", "False")
                    .containsEntry("reason", "DecryptFailed"));
    assertThat((String) condition(alice, "tampered", "SecretsReady").get("message"))
        .isEqualTo(
            "the init step of pod tampered-0 failed: secret tampered cannot be decrypted with the"
                + " user's key (Fernet token's HMAC does not match: tampered or wrong key)");
    assertThat(condition(alice, "tampered", "Ready"))
        .containsEntry("status", "False")
        .containsEntry("reason", "DecryptFailed");
    assertThat(condition(alice, "tampered", "WorkloadReady"))
        .containsEntry("reason", "PodNotReady");
  }

  @Test
  @Order(14)
  void aPodThatNeverGotReadyIsReplacedWhenANewSnapshotMendsIt() throws Exception {
    String yaml = sessionYaml(alice, "mended", "alice", List.of("mended"));
    Sessions.startWithUndecryptableSnapshot(chart, yaml, "mended", () -> secret("alice", "mended"));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(condition(alice, "mended", "SecretsReady"))
                    .containsEntry("reason", "DecryptFailed"));
    Pod broken = admin.pods().inNamespace(alice).withName("mended-0").get();
    assertThat(broken.getStatus().getConditions())
        .noneSatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));

    // The user stores the secret again and asks for a new snapshot. The StatefulSet gets a new
    // template, and the real StatefulSet controller replaces the pod that never got ready: under
    // its default pod management (OrderedReady) it would wait for that pod to get ready first,
    // forever ("forced rollback").
    secret("alice", "mended");
    kubectl("launcher", "annotate", "nbs", "mended", "-n", alice, ObjectKeys.REFRESH + "=1");
    awaitReady(alice, "mended");
    Pod mended = admin.pods().inNamespace(alice).withName("mended-0").get();
    assertThat(mended.getMetadata().getUid()).isNotEqualTo(broken.getMetadata().getUid());
    StatefulSet sts = admin.apps().statefulSets().inNamespace(alice).withName("mended").get();
    assertThat(sts.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
    assertThat(mended.getMetadata().getLabels())
        .containsEntry("controller-revision-hash", sts.getStatus().getUpdateRevision());
    assertThat(condition(alice, "mended", "SecretsReady")).containsEntry("status", "True");
  }

  @Test
  @Order(14)
  void aStatefulSetAnEarlierVersionMadeKeepsItsPodManagementAndIsStillWritten() throws Exception {
    // As that version left it: found in the operator's cache.
    writesOverAnEarlierVersionsStatefulSet(
        "earlier", Labels.forSession("earlier", "alice", Labels.COMPONENT_WORKLOAD));
    // Its labels changed by hand, so that the cache lacks it: found by the create's 409, built
    // again from what it is.
    writesOverAnEarlierVersionsStatefulSet("unlabelled", Labels.selector("unlabelled"));
  }

  private void writesOverAnEarlierVersionsStatefulSet(String name, Map<String, String> labels)
      throws Exception {
    String yaml = sessionYaml(alice, name, "alice", List.of(name));
    chart.apply("launcher", yaml);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(condition(alice, name, "SecretsReady"))
                    .containsEntry("reason", "SecretNotFound"));
    NotebookSession session = Serialization.unmarshal(yaml, NotebookSession.class);
    session.getMetadata().setUid(chart.session(alice, name).getMetadata().getUid());
    // The session's StatefulSet as an earlier version made it (its owner): no pod management
    // policy, which the API server defaults to OrderedReady and then refuses to change; no pod yet.
    StatefulSet made =
        admin
            .resource(
                new StatefulSetBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(alice)
                    .withLabels(labels)
                    .withOwnerReferences(Owners.controllerReference(session))
                    .endMetadata()
                    .withNewSpec()
                    .withReplicas(0)
                    .withServiceName(name)
                    .withNewSelector()
                    .withMatchLabels(Labels.selector(name))
                    .endSelector()
                    .withNewTemplate()
                    .withNewMetadata()
                    .withLabels(Labels.selector(name))
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName(Workload.SESSION_CONTAINER)
                    .withImage("quay.io/jupyter/minimal-notebook:2024-12-02")
                    .endContainer()
                    .endSpec()
                    .endTemplate()
                    .endSpec()
                    .build())
            .create();
    assertThat(made.getSpec().getPodManagementPolicy()).isEqualTo("OrderedReady");

    // Once the secret is stored, the operator writes its StatefulSet over that one; a write that
    // named Parallel would be refused (422) and the session would never be Ready.
    secret("alice", name);
    awaitReady(alice, name);
    StatefulSet written = admin.apps().statefulSets().inNamespace(alice).withName(name).get();
    assertThat(written.getSpec().getPodManagementPolicy()).isEqualTo("OrderedReady");
    assertThat(written.getMetadata().getUid()).isEqualTo(made.getMetadata().getUid());
    assertThat(written.getMetadata().getLabels())
        .containsAllEntriesOf(Labels.forSession(name, "alice", Labels.COMPONENT_WORKLOAD));
    assertThat(written.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(
            v ->
                assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName())
                    .startsWith(name + "-secrets-"));
  }

  /** The ConfigMaps that carry records of {@code session}'s snapshots. */
  private List<io.fabric8.kubernetes.api.model.ConfigMap> snapshotConfigMaps(
      String namespace, String session) {
    return admin
        .configMaps()
        .inNamespace(namespace)
        .withLabel(Labels.SESSION, session)
        .withLabel(Labels.COMPONENT, Labels.COMPONENT_SNAPSHOT)
        .list()
        .getItems();
  }

  // ------------------------------------------------------------------ kubectl

  private String kubectl(String user, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(cp.binary("kubectl").toString());
    command.add("--kubeconfig=" + cp.kubeconfig(user));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("kubectl %s:%n%s", String.join(" ", args), out).isZero();
    return out;
  }

  @Test
  @Order(8)
  void kubectlAppliesWaitsForAndListsSessions() throws Exception {
    secret("alice", "K1");
    secret("alice", "K2");
    Path file = Files.createTempFile("session", ".yaml");
    Files.writeString(file, sessionYaml(alice, "from-kubectl", "alice", List.of("K1", "K2")));
    assertThat(kubectl("launcher", "apply", "-f", file.toString()))
        .contains("notebooksession.nbsecrets.io/from-kubectl created");
    assertThat(
            kubectl(
                "launcher",
                "wait",
                "--for=condition=Ready",
                "nbs/from-kubectl",
                "-n",
                alice,
                "--timeout=90s"))
        .contains("condition met");
    String table = kubectl("launcher", "get", "nbs", "-n", alice);
    assertThat(table.lines().findFirst().orElseThrow())
        .contains("NAME")
        .contains("USER")
        .contains("READY")
        .contains("SECRETS");
    assertThat(table.lines().filter(l -> l.startsWith("from-kubectl ")).findFirst().orElseThrow())
        .matches("from-kubectl\\s+\\S+\\s+alice\\s+True\\s+2\\s*");
    assertThat(kubectl(ControlPlane.ADMIN, "describe", "nbs", "from-kubectl", "-n", alice))
        .contains("SecretsReady")
        .contains("2 secrets in the snapshot");
    // A refresh request (by the launcher: the admission policy lets no one else change alice's
    // session): a new snapshot, told by an Event (written under the chart's RBAC).
    kubectl("launcher", "annotate", "nbs", "from-kubectl", "-n", alice, ObjectKeys.REFRESH + "=1");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String described = "";
    while (System.nanoTime() < deadline && !described.contains("SnapshotTaken")) {
      Thread.sleep(250);
      described = kubectl(ControlPlane.ADMIN, "describe", "nbs", "from-kubectl", "-n", alice);
    }
    assertThat(described).contains("SnapshotTaken").contains("took 2 secrets: K1, K2");
    Files.delete(file);
  }

  @Test
  @Order(9)
  void secretsExportedAsVariablesReachTheSessionsProcessUnderPodSecurityRestricted()
      throws Exception {
    String key = secret("alice", "ENV_API_KEY");
    String password = secret("alice", "env-db-password");
    String yaml =
        sessionYaml(alice, "envs", "alice", List.of("ENV_API_KEY"))
                .replace(
                    "  secrets:\n",
                    "  command: [tini, -g, --, start-notebook.py]\n  secrets:\n    envAll: true\n")
            + "      - name: env-db-password\n        env: PGPASSWORD\n";
    chart.apply("launcher", yaml);
    awaitReady(alice, "envs");

    // The real StatefulSet controller made the pod, and the namespace's Pod Security admitted it.
    Pod pod = admin.pods().inNamespace(alice).withName("envs-0").get();
    assertThat(pod.getSpec().getContainers().get(0).getCommand())
        .startsWith("/bin/sh", "-c")
        .endsWith("tini", "-g", "--", "start-notebook.py");
    assertThat(admin.namespaces().withName(alice).get().getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(node.environment(alice, "envs-0")).isNotNull());
    assertThat(node.environment(alice, "envs-0"))
        .containsEntry("ENV_API_KEY", key)
        .containsEntry("PGPASSWORD", password)
        .doesNotContainKey("NBSECRETS_ENV_FILE");
    assertThat(Sessions.condition(chart, alice, "envs", "SecretsReady").get("message"))
        .isEqualTo(
            "2 secrets in the snapshot, 2 also as environment variables (set when the session"
                + " starts)");
  }

  // ------------------------------------------------------------------ RBAC

  @Test
  @Order(10)
  void aReplacedOrDeletedSecretIsMarkedStaleWithin30SecondsWithoutATouch() throws Exception {
    secret("alice", "stale-a");
    secret("alice", "stale-b");
    secret("alice", "stale-c");
    chart.apply("launcher", sessionYaml(alice, "stale1", "alice", List.of("stale-a", "stale-b")));
    chart.apply("launcher", sessionYaml(alice, "stale2", "alice", List.of("stale-a", "stale-c")));
    awaitReady(alice, "stale1");
    awaitReady(alice, "stale2");
    String pod1 = admin.pods().inNamespace(alice).withName("stale1-0").get().getMetadata().getUid();
    String pod2 = admin.pods().inNamespace(alice).withName("stale2-0").get().getMetadata().getUid();

    Instant changed = Instant.now();
    String replacement = "plain-stale-a-2-" + UUID.randomUUID();
    PLAINTEXTS.put("alice/stale-a (replaced)", replacement);
    assertThat(chart.putSecret(api.url("https"), "alice", "stale-a", replacement)).isEqualTo(200);
    assertThat(chart.deleteSecret(api.url("https"), "alice", "stale-b")).isEqualTo(204);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              assertThat(mounted(alice, "stale1"))
                  .containsExactly(
                      Map.of("name", "stale-a", "version", 1, "stale", true),
                      Map.of("name", "stale-b", "version", 1, "stale", true));
              assertThat(mounted(alice, "stale2"))
                  .containsExactly(
                      Map.of("name", "stale-a", "version", 1, "stale", true),
                      Map.of("name", "stale-c", "version", 1));
            });
    System.out.printf(
        "[measure] replaced/deleted -> stale: true on the real API server: %d ms%n",
        Duration.between(changed, Instant.now()).toMillis());
    // Marking restarts no pod.
    assertThat(admin.pods().inNamespace(alice).withName("stale1-0").get().getMetadata().getUid())
        .isEqualTo(pod1);
    assertThat(admin.pods().inNamespace(alice).withName("stale2-0").get().getMetadata().getUid())
        .isEqualTo(pod2);
  }

  @Test
  @Order(11)
  void aLiveSessionsFilesFollowTheStoreThroughTheChartsRbacAndPolicyWithoutANewPod()
      throws Exception {
    String v1 = secret("alice", "live-token");
    String gone = secret("alice", "live-gone");
    chart.apply(
        "launcher",
        sessionYaml(alice, "live", "alice", List.of("live-token", "live-gone"))
            .replace("  secrets:\n", "  secrets:\n    refresh: Live\n"));
    awaitReady(alice, "live");
    // Usage through the chart's RBAC: the operator wrote when (a ConfigMap in the store's
    // namespace), the API's session cache (list/watch) names the session.
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(chart.getSecret(api.url("https"), "alice", "live-token"))
                    .containsKey("lastUsedAt")
                    .containsEntry("usedBy", List.of(Map.of("namespace", alice, "name", "live"))));
    Pod pod = admin.pods().inNamespace(alice).withName("live-0").get();
    assertThat(pod.getSpec().getInitContainers())
        .extracting(c -> c.getName())
        .containsExactly(Workload.INIT_CONTAINER, Workload.REFRESH_CONTAINER);
    assertThat(node.sidecarRunning(alice, "live-0")).isTrue();
    Secret mounted =
        admin.secrets().inNamespace(alice).withName(SessionSecrets.liveName("live")).get();
    assertThat(mounted.getImmutable()).isNotEqualTo(Boolean.TRUE);
    assertThat(mounted.getType()).isEqualTo("nbsecrets.io/session-secrets");
    Path files = node.files(alice, "live-0");
    assertThat(Files.readString(files.resolve("live-token"))).isEqualTo(v1);

    // Replaced in the store: the operator updates the Secret in place (its RBAC verb and the
    // policy's rule for session Secrets), the node lays it out, the real refresh process rewrites
    // the file. The same pod throughout.
    String v2 = "plain-live-token-2-" + UUID.randomUUID();
    PLAINTEXTS.put("alice/live-token (replaced)", v2);
    Instant written = Instant.now();
    assertThat(chart.putSecret(api.url("https"), "alice", "live-token", v2)).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> v2.equals(readOrNull(files.resolve("live-token"))));
    System.out.printf(
        "[measure] live refresh on the real API server: store write -> new file in %d ms%n",
        Duration.between(written, Instant.now()).toMillis());
    // The operator marked the pod (so a kubelet syncs its volume at once); the same pod.
    Pod marked = admin.pods().inNamespace(alice).withName("live-0").get();
    assertThat(marked.getMetadata().getUid()).isEqualTo(pod.getMetadata().getUid());
    assertThat(marked.getMetadata().getAnnotations()).containsKey(ObjectKeys.SECRETS_REVISION);
    assertThat(marked.getSpec()).isEqualTo(pod.getSpec());
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(mounted(alice, "live"))
                    .contains(Map.of("name", "live-token", "version", 2)));

    // Deleted: the file goes, the session stays Ready and says so.
    assertThat(chart.deleteSecret(api.url("https"), "alice", "live-gone")).isEqualTo(204);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> !Files.exists(files.resolve("live-gone")));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(mounted(alice, "live"))
                  .containsExactly(Map.of("name", "live-token", "version", 2));
              assertThat(condition(alice, "live", "SecretsReady").get("message"))
                  .asString()
                  .contains("deleted from the store, and so from the session: live-gone");
            });
    assertThat(condition(alice, "live", "Ready")).containsEntry("status", "True");
    assertThat(admin.pods().inNamespace(alice).withName("live-0").get().getMetadata().getUid())
        .isEqualTo(pod.getMetadata().getUid());
    assertThat(PLAINTEXTS.get("alice/live-gone")).isEqualTo(gone);

    // Deleting the session stops its sidecar.
    admin
        .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
        .inNamespace(alice)
        .withName("live")
        .delete();
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(node.sidecarRunning(alice, "live-0")).isFalse());
  }

  @Test
  @Order(12)
  void theUsersCommandLineReachesTheApiThroughAPortForwardTrustingItsOwnCa() throws Exception {
    Path dir = Files.createTempDirectory("nbsecrets-cli");
    Path ca = dir.resolve("ca.crt");
    Files.writeString(
        ca,
        admin
            .configMaps()
            .inNamespace(NS)
            .withName("nbsecrets-api-ca-bundle")
            .get()
            .getData()
            .get("ca.crt"));
    Path config = dir.resolve("config.json");
    // The API's loopback port stands for a port-forward: the certificate names the Service.
    String service = "nbsecrets-api." + NS + ".svc";
    Cli in =
        cli(
            config,
            cp.token("carol") + "\n",
            "login",
            "--api",
            api.url("https"),
            "--token-stdin",
            "--ca-file",
            ca.toString(),
            "--tls-server-name",
            service);
    assertThat(in.code()).as(in.output()).isZero();
    String value = "plain-cli-" + UUID.randomUUID();
    PLAINTEXTS.put("carol/CLI_TOKEN", value);
    Cli set = cli(config, value, "set", "CLI_TOKEN");
    assertThat(set.output()).isEqualTo("Created CLI_TOKEN (version 1)\n");
    Cli described = cli(config, null, "describe", "CLI_TOKEN");
    assertThat(described.output()).contains("Name:      CLI_TOKEN", "Version:   1");
    assertThat(in.output() + set.output() + described.output())
        .doesNotContain(value)
        .doesNotContain(cp.token("carol"));

    // Without the name, the loopback address is not in the certificate: refused, exit 5.
    Cli refused =
        cli(
            dir.resolve("other.json"),
            cp.token("carol") + "\n",
            "login",
            "--api",
            api.url("https"),
            "--token-stdin",
            "--ca-file",
            ca.toString());
    assertThat(refused.code()).isEqualTo(5);
    assertThat(refused.output()).contains("TLS with " + api.url("https") + " failed");
  }

  record Cli(int code, String output) {}

  /** The real {@code nbsecrets} command line in its own process (output: stdout then stderr). */
  private static Cli cli(Path config, String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of("-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
    command.add("io.nbsecrets.cli.Main");
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("NBSECRETS_"));
    pb.environment().put("NBSECRETS_CONFIG", config.toString());
    Process p = pb.start();
    try (var in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return new Cli(p.exitValue(), output);
  }

  private static String readOrNull(Path file) throws IOException {
    try {
      return Files.readString(file);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  /** status.secrets of a session, as kubectl reads it. */
  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> mounted(String ns, String name) {
    GenericKubernetesResource s = chart.session(ns, name);
    Object status = s.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> m && m.get("secrets") instanceof List<?> l
        ? (List<Map<String, Object>>) l
        : List.of();
  }

  @Test
  @Order(90)
  void theChartGrantsWhatTheCodeNeedsAndNoMore() throws Exception {
    String operatorUser = chart.serviceAccountUser("nbsecrets-operator");
    String apiUser = chart.serviceAccountUser("nbsecrets-api");
    List<AuditLog.Entry> refused =
        AuditLog.read(cp.auditLog()).stream()
            .filter(
                e -> e.code() == 403 && (e.user().equals(operatorUser) || e.user().equals(apiUser)))
            .toList();
    assertThat(refused).as("requests of the operator and the API that RBAC refused").isEmpty();

    try (KubernetesClient op = cp.clientWithToken(saToken("nbsecrets-operator"));
        KubernetesClient ap = cp.clientWithToken(saToken("nbsecrets-api"))) {
      assertForbidden(() -> op.secrets().inNamespace(NS).withName("nbsecrets-platform-key").get());
      assertForbidden(() -> ap.secrets().inNamespace(NS).withName("nbsecrets-session-keys").get());
      assertForbidden(() -> op.secrets().inNamespace(NS).list());
      assertForbidden(() -> ap.secrets().inNamespace(NS).list());
      assertForbidden(() -> ap.secrets().inNamespace(alice).list());
      // The operator's informer lists and watches pods; it has no get and no delete on them.
      assertForbidden(() -> op.pods().inNamespace(alice).withName("notebook-0").get());
      assertForbidden(() -> op.pods().inNamespace(alice).withName("notebook-0").delete());
      // In the store's namespace the operator writes only usage ConfigMaps (nbsecrets-use-…): RBAC
      // cannot name them, the operator-scope policy does.
      assertForbidden(
          () ->
              op.configMaps()
                  .inNamespace(NS + "-store")
                  .resource(
                      new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                          .withNewMetadata()
                          .withName("not-usage")
                          .endMetadata()
                          .build())
                  .create());
      assertThat(
              admin
                  .configMaps()
                  .inNamespace(NS + "-store")
                  .withLabel("nbsecrets.io/component", "usage")
                  .list()
                  .getItems())
          .as("usage ConfigMaps the operator wrote")
          .isNotEmpty();
      // ...while each reads its own key.
      assertThat(op.secrets().inNamespace(NS).withName("nbsecrets-session-keys").get()).isNotNull();
      assertThat(ap.secrets().inNamespace(NS).withName("nbsecrets-platform-key").get()).isNotNull();

      // RBAC lets the operator write StatefulSets everywhere (it cannot know the session
      // namespaces); the chart's operator-scope policy confines it to bound namespaces, so its
      // token cannot start a pod that mounts the platform key.
      var thief =
          new io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder()
              .withNewMetadata()
              .withName("thief")
              .withNamespace(NS)
              .endMetadata()
              .withNewSpec()
              .withServiceName("thief")
              .withNewSelector()
              .addToMatchLabels("app", "thief")
              .endSelector()
              .withNewTemplate()
              .withNewMetadata()
              .addToLabels("app", "thief")
              .endMetadata()
              .withNewSpec()
              .addNewContainer()
              .withName("c")
              .withImage("busybox")
              .endContainer()
              .addNewVolume()
              .withName("key")
              .withNewSecret()
              .withSecretName("nbsecrets-platform-key")
              .endSecret()
              .endVolume()
              .endSpec()
              .endTemplate()
              .endSpec()
              .build();
      assertThatThrownBy(() -> op.resource(thief).create())
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              e -> {
                assertThat(e.getCode()).isEqualTo(403);
                assertThat(e.getMessage()).contains("only in namespaces bound to a user");
              });
      var stray =
          new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
              .withNewMetadata()
              .withName("stray")
              .withNamespace("default")
              .endMetadata()
              .build();
      assertThatThrownBy(() -> op.resource(stray).create())
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
      assertForbidden(
          () -> op.secrets().inNamespace(NS).withName("nbsecrets-platform-key").delete());
      var allowed =
          new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
              .withNewMetadata()
              .withName("allowed")
              .withNamespace(alice)
              .endMetadata()
              .build();
      op.resource(allowed).create();
      op.resource(allowed).delete();
    }

    // The update the operator may make is that one: any other Secret in a session namespace
    // stays out of its reach, though RBAC grants the verb.
    Secret other =
        admin
            .resource(
                new io.fabric8.kubernetes.api.model.SecretBuilder()
                    .withNewMetadata()
                    .withName("not-a-session-secret")
                    .withNamespace(alice)
                    .endMetadata()
                    .addToStringData("k", "v")
                    .build())
            .create();
    try (KubernetesClient op = cp.clientWithToken(saToken("nbsecrets-operator"))) {
      assertThatThrownBy(
              () ->
                  op.resource(other)
                      .patch(
                          PatchContext.of(PatchType.JSON_MERGE),
                          "{\"stringData\":{\"k\":\"changed\"}}"))
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              e -> {
                assertThat(e.getCode()).isEqualTo(403);
                assertThat(e.getMessage())
                    .contains("updates only session Secrets (type nbsecrets.io/session-secrets)");
              });
    } finally {
      admin.resource(other).delete();
    }

    // ...and a pod only by that annotation (set after a live update): not its labels, not its
    // image, not another annotation.
    String sessionPod =
        admin.pods().inNamespace(alice).list().getItems().stream()
            .map(p -> p.getMetadata().getName())
            .findFirst()
            .orElseThrow();
    // Sent as the operator sends them, on an object: without reading the pod (it has no get).
    Pod stub =
        new PodBuilder()
            .withNewMetadata()
            .withName(sessionPod)
            .withNamespace(alice)
            .endMetadata()
            .build();
    try (KubernetesClient op = cp.clientWithToken(saToken("nbsecrets-operator"))) {
      for (String patch :
          List.of(
              "{\"metadata\":{\"labels\":{\"app\":\"stolen\"}}}",
              "{\"metadata\":{\"annotations\":{\"other\":\"x\"}}}",
              "{\"spec\":{\"containers\":[{\"name\":\"notebook\",\"image\":\"evil\"}]}}")) {
        assertThatThrownBy(
                () -> op.resource(stub).patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch))
            .as(patch)
            .isInstanceOfSatisfying(
                KubernetesClientException.class,
                e -> {
                  assertThat(e.getCode()).isEqualTo(403);
                  assertThat(e.getMessage())
                      .contains("may only set the annotation nbsecrets.io/secrets-revision");
                });
      }
      op.resource(stub)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"metadata\":{\"annotations\":{\"nbsecrets.io/secrets-revision\":\"by-hand\"}}}");
    }
  }

  private String saToken(String serviceAccount) {
    return admin
        .serviceAccounts()
        .inNamespace(NS)
        .withName(serviceAccount)
        .tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
        .getStatus()
        .getToken();
  }

  private static void assertForbidden(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
  }

  // ------------------------------------------------------------------ the leak scan

  @Test
  @Order(100)
  void noPlaintextInAnyObjectEventOrLogLine() throws Exception {
    StringBuilder haystack = new StringBuilder();
    List<HasMetadata> objects = new ArrayList<>();
    objects.addAll(admin.secrets().inAnyNamespace().list().getItems());
    objects.addAll(admin.configMaps().inAnyNamespace().list().getItems());
    objects.addAll(admin.apps().statefulSets().inAnyNamespace().list().getItems());
    objects.addAll(admin.services().inAnyNamespace().list().getItems());
    objects.addAll(admin.pods().inAnyNamespace().list().getItems());
    objects.addAll(admin.namespaces().list().getItems());
    objects.addAll(admin.v1().events().inAnyNamespace().list().getItems());
    objects.addAll(
        admin
            .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
            .inAnyNamespace()
            .list()
            .getItems());
    for (HasMetadata o : objects) {
      haystack.append(Serialization.asJson(o)).append('\n');
      if (o instanceof Secret s && s.getData() != null) {
        for (String v : s.getData().values()) {
          haystack
              .append(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8))
              .append('\n');
        }
      }
    }
    String logs = chart.logs();
    haystack.append(logs);
    haystack.append(Files.readString(cp.auditLog()));
    for (String component : List.of("etcd", "kube-apiserver", "kube-controller-manager")) {
      haystack.append(Files.readString(cp.logFile(component)));
    }
    // Keys and tokens must not be in any log line either (they are, rightly, in their Secrets).
    StringBuilder allLogs = new StringBuilder(logs);
    allLogs.append(Files.readString(cp.auditLog()));
    for (String component : List.of("etcd", "kube-apiserver", "kube-controller-manager")) {
      allLogs.append(Files.readString(cp.logFile(component)));
    }
    List<String> keysAndTokens = new ArrayList<>();
    for (String keySecret : List.of("nbsecrets-platform-key", "nbsecrets-session-keys")) {
      Secret k = admin.secrets().inNamespace(NS).withName(keySecret).get();
      k.getData().values().stream()
          .map(v -> new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8))
          .flatMap(v -> v.lines().filter(l -> l.length() > 20 && !l.startsWith("-----")))
          .forEach(keysAndTokens::add);
    }
    RealApiServer.USERS.keySet().forEach(u -> keysAndTokens.add(cp.token(u)));
    assertThat(keysAndTokens).hasSizeGreaterThan(5);
    for (String secret : keysAndTokens) {
      assertThat(allLogs.toString()).as("a key or token in the logs").doesNotContain(secret);
    }
    assertThat(PLAINTEXTS).hasSizeGreaterThan(5);
    assertThat(node.initRuns()).isGreaterThan(2);
    String text = haystack.toString();
    for (String p : PLAINTEXTS.values()) {
      assertThat(text).as("leak scan").doesNotContain(p);
      assertThat(text)
          .as("leak scan (base64)")
          .doesNotContain(Base64.getEncoder().encodeToString(p.getBytes(StandardCharsets.UTF_8)));
    }
    System.out.printf(
        "[measure] leak scan on the real API server: %d objects, %d chars of logs, %d plaintexts:"
            + " no plaintext found%n",
        objects.size(), logs.length(), PLAINTEXTS.size());
  }
}
