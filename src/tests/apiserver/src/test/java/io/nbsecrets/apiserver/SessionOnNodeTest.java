package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.dev.LocalNode;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The product on a real node, as a platform team installs it: {@code helm install} of the chart
 * with the nbsecrets image that {@code operator/Dockerfile} builds (on Debian bases, without a
 * registry); the operator and the API run as the chart's pods under a real kubelet and reach the
 * API server through the {@code kubernetes} Service (kube-proxy); secrets are stored through the
 * API's Service; sessions run with the init container from the same image. What only a node can
 * show is checked inside the running pods with {@code kubectl exec} and a Jupyter kernel: the
 * files, their mode and owner, the in-memory volume, the variables the launcher sets in a real
 * container, live refresh, and that no container log or object holds a plaintext.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SessionOnNodeTest {
  private static final String RELEASE = "nbsecrets";
  private static final String NS = "nbs-node";
  private static final String USER = "alice";
  private static final Duration WAIT = Duration.ofSeconds(120);

  /** Every plaintext stored, for the leak scan. */
  private final Map<String, String> plaintexts = new LinkedHashMap<>();

  private ControlPlane cp;
  private LocalNode node;
  private ChartRelease chart;
  private String apiUrl;
  private KubernetesClient admin;
  private String userNs;

  private static final String AOT_REQUIRED = "-XX:AOTMode=on";

  @BeforeAll
  void start() throws Exception {
    Assumptions.assumeTrue(
        LocalNode.runnable(), "a real node needs root (containerd, runc, the kubelet)");
    Path built = LocalNode.build();
    long imageStart = System.nanoTime();
    Path images = LocalNode.images(built);
    System.out.printf(
        "[measure] images (nbsecrets from operator/Dockerfile, JupyterLab) ready in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - imageStart));
    cp =
        LocalNode.controlPlane(
            ControlPlane.binaries().orElseThrow(),
            Files.createTempDirectory("nbsecrets-session-node-cp-"),
            RealApiServer.USERS);
    node = LocalNode.start(cp, built, Files.createTempDirectory("nbsecrets-session-node-"));
    node.importImage("nbsecrets", images.resolve("nbsecrets.tar"));
    node.importImage("jupyter", images.resolve("jupyter.tar"));

    long installed = System.nanoTime();
    chart =
        ChartRelease.install(
            cp,
            RELEASE,
            NS,
            Map.of(
                "image.repository", "local/nbsecrets",
                "image.tag", "dev",
                "image.pullPolicy", "Never",
                // The operator's AOT cache must be used, not only present: with AOTMode=on the JVM
                // refuses to start when the cache does not fit its flags and container.
                "operator.extraEnv[0].name", "JDK_JAVA_OPTIONS",
                "operator.extraEnv[0].value", AOT_REQUIRED));
    admin = chart.admin;
    Service service = admin.services().inNamespace(NS).withName("nbsecrets-api").get();
    apiUrl =
        "https://"
            + service.getSpec().getClusterIP()
            + ":"
            + service.getSpec().getPorts().get(0).getPort();
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              List<Pod> pods = admin.pods().inNamespace(NS).list().getItems();
              assertThat(pods).hasSize(2).allSatisfy(p -> assertThat(ready(p)).isTrue());
            });
    // Through the Service: kube-proxy programs it once the API's pod is Ready.
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () ->
                chart
                        .apiClient()
                        .send(
                            java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create(apiUrl + "/readyz"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
    System.out.printf(
        "[measure] helm install to the operator's and the API's pods Ready on the real node: %d"
            + " ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - installed));
    userNs = chart.userNamespace("alice-node", USER);
  }

  /**
   * The image's operator runs on its Java 25 with the AOT cache that e2e/node/images.sh trained:
   * its pod, started with {@code -XX:AOTMode=on} (which Java 17 does not know, and with which Java
   * 25 does not start without a cache that fits), is Ready and never restarted, and its log shows
   * the launcher took the flag.
   */
  @Test
  @Order(0)
  void theOperatorsPodRunsOnJava25WithItsAotCache() {
    Pod operator =
        admin.pods().inNamespace(NS).list().getItems().stream()
            .filter(p -> p.getMetadata().getName().startsWith("nbsecrets-operator"))
            .findFirst()
            .orElseThrow();
    assertThat(ready(operator)).isTrue();
    assertThat(operator.getStatus().getContainerStatuses())
        .allSatisfy(c -> assertThat(c.getRestartCount()).isZero());
    String log =
        admin
            .pods()
            .inNamespace(NS)
            .withName(operator.getMetadata().getName())
            .inContainer("operator")
            .getLog();
    assertThat(log).contains("Picked up JDK_JAVA_OPTIONS: " + AOT_REQUIRED).doesNotContain("[aot]");
  }

  private static boolean ready(Pod p) {
    return p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  @AfterAll
  void stop() throws Exception {
    if (chart != null) {
      chart.close();
    }
    if (node != null) {
      node.close();
    }
    if (cp != null) {
      cp.close();
    }
  }

  private String store(String name) throws Exception {
    String value = "node-" + name + "-" + UUID.randomUUID();
    plaintexts.put(name, value);
    assertThat(chart.putSecret(apiUrl, USER, name, value)).isIn(200, 201);
    return value;
  }

  @Test
  @Order(1)
  void aSessionRunsOnTheNodeWithItsFilesAndVariables() throws Exception {
    String token = store("api-token");
    String password = store("db-password");
    long created = System.nanoTime();
    busyboxSession(
        "lab",
        """
        items:
          - {name: api-token, env: API_TOKEN}
          - {name: db-password, fileName: db.txt}
        """);
    Sessions.awaitReady(chart, userNs, "lab");
    System.out.printf(
        "[measure] session created to Ready on the real node (init container from the image): %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - created));

    Pod pod = sessionPod("lab");
    assertThat(pod.getSpec().getNodeName()).isEqualTo(LocalNode.NAME);
    String files =
        exec(
            pod,
            "for f in /secrets/*; do echo \"$f $(stat -c '%a %u %g' \"$f\") $(cat \"$f\")\"; done;"
                + " echo \"id $(id)\"; grep ' /secrets ' /proc/mounts | cut -d' ' -f3,4;"
                + " tr '\\0' '\\n' < /proc/1/environ | grep '^API_TOKEN=';"
                + " ls -a /secrets");
    assertThat(files)
        .contains("/secrets/api-token 400 1000 100 " + token)
        .contains("/secrets/db.txt 400 1000 100 " + password)
        .contains("id uid=1000")
        .containsPattern("tmpfs ro,")
        .contains("API_TOKEN=" + token);

    Container init =
        pod.getSpec().getInitContainers().stream()
            .filter(c -> c.getName().equals(Workload.INIT_CONTAINER))
            .findFirst()
            .orElseThrow();
    assertThat(init.getImage()).isEqualTo("local/nbsecrets:dev");
    // The pod's token reaches the init step with the API's audience (the API checked it).
    assertThat(
            pod.getSpec().getVolumes().stream()
                .filter(v -> v.getProjected() != null)
                .flatMap(v -> v.getProjected().getSources().stream())
                .filter(src -> src.getServiceAccountToken() != null)
                .map(src -> src.getServiceAccountToken().getAudience()))
        .contains("nbsecrets");
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    assertThat(init.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(init.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(init.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(
            pod.getStatus().getInitContainerStatuses().stream()
                .filter(s -> s.getName().equals(Workload.INIT_CONTAINER))
                .findFirst()
                .orElseThrow()
                .getState()
                .getTerminated()
                .getExitCode())
        .isZero();
    // The image's init step decrypted with OpenSSL's libcrypto (it says so when it cannot).
    String initLog =
        kubectl("logs", "-n", userNs, pod.getMetadata().getName(), "-c", Workload.INIT_CONTAINER);
    assertThat(initLog).contains("nbsecrets init: wrote 2 secret files").doesNotContain("WARNING");
  }

  @Test
  @Order(2)
  void aJupyterKernelInTheSessionSeesTheVariableAndTheFile() throws Exception {
    String serverToken = UUID.randomUUID().toString();
    String session =
        """
        apiVersion: nbsecrets.io/v1alpha1
        kind: NotebookSession
        metadata: {name: notebook, namespace: %s}
        spec:
          user: %s
          image: local/jupyter:1
          port: 8888
          command: [jupyter, lab, --ip=0.0.0.0, --port=8888, --no-browser, --IdentityProvider.token=%s]
          secrets:
            items:
              - {name: api-token, env: API_TOKEN}
              - {name: db-password, fileName: db.txt}
        """
            .formatted(userNs, USER, serverToken);
    long created = System.nanoTime();
    admin.resource(Serialization.unmarshal(session, GenericKubernetesResource.class)).create();
    Sessions.awaitReady(chart, userNs, "notebook");
    Pod pod = sessionPod("notebook");
    JupyterKernel jupyter =
        new JupyterKernel("http://" + pod.getStatus().getPodIP() + ":8888", serverToken);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(jupyter::up);
    System.out.printf(
        "[measure] Jupyter session created to its server answering on the real node: %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - created));
    String out =
        jupyter.run(
            "import os\n"
                + "print('env=' + os.environ['API_TOKEN'])\n"
                + "print('file=' + open('/secrets/db.txt').read())\n"
                + "print('mode=' + oct(os.stat('/secrets/db.txt').st_mode & 0o777))\n"
                + "print('uid=' + str(os.getuid()))",
            Duration.ofSeconds(60));
    assertThat(out)
        .contains("env=" + plaintexts.get("api-token"))
        .contains("file=" + plaintexts.get("db-password"))
        .contains("mode=0o400")
        .contains("uid=1000");
  }

  @Test
  @Order(3)
  void aLiveSessionsFileChangesInTheRunningPod() throws Exception {
    busyboxSession(
        "live",
        """
        refresh: Live
        items:
          - {name: db-password, fileName: db.txt}
        """);
    Sessions.awaitReady(chart, userNs, "live");
    Pod pod = sessionPod("live");
    assertThat(exec(pod, "cat /secrets/db.txt")).isEqualTo(plaintexts.get("db-password"));

    String replaced = "node-db-password-2-" + UUID.randomUUID();
    plaintexts.put("db-password (replaced)", replaced);
    long put = System.nanoTime();
    assertThat(chart.putSecret(apiUrl, USER, "db-password", replaced)).isIn(200, 201);
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertThat(exec(pod, "cat /secrets/db.txt")).isEqualTo(replaced));
    System.out.printf(
        "[measure] live session: store write to the new file in the running pod: %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - put));
    assertThat(sessionPod("live").getMetadata().getUid())
        .as("the same pod, not a restart")
        .isEqualTo(pod.getMetadata().getUid());
    assertThat(exec(pod, "stat -c '%a %u' /secrets/db.txt").strip()).isEqualTo("400 1000");
  }

  @Test
  @Order(4)
  void bothKeysRotateWithTheChartsJobUnderTheLiveSession() throws Exception {
    Pod live = sessionPod("live");
    String sessionKeyBefore = publicKeyId();
    rotate("session-1", false);
    assertThat(publicKeyId()).as("the session key pair's id").isNotEqualTo(sessionKeyBefore);
    rotate("platform-1", true);

    // The live session follows the store across both rotations: a replaced value still reaches
    // the running pod's file, and a new session opens every record.
    String replaced = "node-db-password-3-" + UUID.randomUUID();
    plaintexts.put("db-password (after rotation)", replaced);
    assertThat(chart.putSecret(apiUrl, USER, "db-password", replaced)).isIn(200, 201);
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertThat(exec(live, "cat /secrets/db.txt")).isEqualTo(replaced));
    assertThat(sessionPod("live").getMetadata().getUid()).isEqualTo(live.getMetadata().getUid());
    busyboxSession(
        "after",
        """
        items:
          - {name: api-token}
          - {name: db-password}
        """);
    Sessions.awaitReady(chart, userNs, "after");
    Pod after = sessionPod("after");
    assertThat(exec(after, "cat /secrets/api-token")).isEqualTo(plaintexts.get("api-token"));
    assertThat(exec(after, "cat /secrets/db-password")).isEqualTo(replaced);
  }

  /** {@code helm upgrade} that runs the chart's rotate-keys Job once, and waits for it. */
  private void rotate(String run, boolean platform) throws Exception {
    long start = System.nanoTime();
    chart.helm.run(
        List.of(
            "upgrade",
            RELEASE,
            io.nbsecrets.dev.Helm.CHART.toString(),
            "-n",
            NS,
            "--reuse-values",
            "--set",
            "rotation.enabled=true",
            "--set",
            "rotation.run=" + run,
            "--set",
            "rotation.platform=" + platform,
            "--set",
            "rotation.propagationWaitSeconds=5"));
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              List<io.fabric8.kubernetes.api.model.batch.v1.Job> jobs =
                  admin
                      .batch()
                      .v1()
                      .jobs()
                      .inNamespace(NS)
                      .withLabel("app.kubernetes.io/component", "rotation")
                      .list()
                      .getItems()
                      .stream()
                      .filter(j -> j.getMetadata().getName().endsWith(run))
                      .toList();
              assertThat(jobs).hasSize(1);
              assertThat(jobs.get(0).getStatus().getFailed()).as("failed pods").isNull();
              assertThat(jobs.get(0).getStatus().getSucceeded()).isEqualTo(1);
            });
    System.out.printf(
        "[measure] rotation of the %s key by the chart's Job on the real node: %d ms%n",
        platform ? "platform" : "session",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  private String publicKeyId() {
    return admin
        .configMaps()
        .inNamespace(NS)
        .withName("nbsecrets-session-public-key")
        .get()
        .getData()
        .get("keyId");
  }

  /**
   * The session's Secret deleted by hand, then its pod: the kubelet cannot mount the Secret and
   * says so (FailedMount); the operator takes the snapshot again, and a pod starts with the files.
   * First with the session's db-password replaced twice since its snapshot (the tests above): a new
   * snapshot, a new Secret, and the StatefulSet controller replaces the waiting pod. Then again,
   * the stored versions now those mounted: the same Secret is made again under the waiting pod.
   */
  @Test
  @Order(5)
  void aSessionSecretDeletedByHandIsMadeAgainForTheNextPod() throws Exception {
    String files =
        plaintexts.get("api-token") + "\n" + plaintexts.get("db-password (after rotation)");
    String first = deleteTheSecretAndThePodThenAwaitANewPod("lab", "newer versions");
    String now = Sessions.secretName(chart, userNs, "lab");
    assertThat(now).isNotEqualTo(first);
    assertThat(exec(sessionPod("lab"), "cat /secrets/api-token; echo; cat /secrets/db.txt"))
        .isEqualTo(files);

    String second = deleteTheSecretAndThePodThenAwaitANewPod("lab", "the same versions");
    assertThat(second).isEqualTo(now);
    assertThat(Sessions.secretName(chart, userNs, "lab")).isEqualTo(second);
    assertThat(exec(sessionPod("lab"), "cat /secrets/api-token; echo; cat /secrets/db.txt"))
        .isEqualTo(files);
  }

  /**
   * Deletes the Secret session {@code name} mounts, then its pod; waits for a new pod Ready and the
   * session Ready, and checks that the kubelet said it could not mount the Secret for a pod after
   * the deleted one (what the operator acted on). Returns the deleted Secret's name.
   */
  private String deleteTheSecretAndThePodThenAwaitANewPod(String name, String what)
      throws Exception {
    Pod before = sessionPod(name);
    String secret = Sessions.secretName(chart, userNs, name);
    assertThat(secret).startsWith(name + "-secrets-");
    assertThat(admin.secrets().inNamespace(userNs).withName(secret).get()).isNotNull();
    long deleted = System.nanoTime();
    kubectl("delete", "secret", "-n", userNs, secret);
    kubectl("delete", "pod", "-n", userNs, before.getMetadata().getName(), "--wait=true");
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              Pod now = sessionPod(name);
              assertThat(now.getMetadata().getUid()).isNotEqualTo(before.getMetadata().getUid());
              assertThat(ready(now)).isTrue();
            });
    Sessions.awaitReady(chart, userNs, name);
    System.out.printf(
        "[measure] session Secret and pod deleted by hand to a new pod Ready (%s): %d ms%n",
        what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deleted));
    assertThat(
            admin.v1().events().inNamespace(userNs).list().getItems().stream()
                .filter(e -> "FailedMount".equals(e.getReason()))
                .filter(e -> Workload.podName(name).equals(e.getInvolvedObject().getName()))
                .filter(e -> !before.getMetadata().getUid().equals(e.getInvolvedObject().getUid()))
                .map(Event::getMessage))
        .anySatisfy(m -> assertThat(m).contains("secret \"" + secret + "\" not found"));
    assertThat(
            admin
                .secrets()
                .inNamespace(userNs)
                .withName(Sessions.secretName(chart, userNs, name))
                .get())
        .isNotNull();
    return secret;
  }

  @Test
  @Order(6)
  void noPlaintextInAnyObjectOrContainerLog() throws Exception {
    StringBuilder seen = new StringBuilder();
    List<Pod> pods = new ArrayList<>(admin.pods().inNamespace(userNs).list().getItems());
    pods.addAll(admin.pods().inNamespace(NS).list().getItems());
    for (Pod pod : pods) {
      List<String> containers = new ArrayList<>();
      pod.getSpec().getInitContainers().forEach(c -> containers.add(c.getName()));
      pod.getSpec().getContainers().forEach(c -> containers.add(c.getName()));
      for (String c : containers) {
        seen.append(
            kubectl(
                "logs",
                "-n",
                pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(),
                "-c",
                c));
      }
    }
    for (String kind :
        List.of(
            "pods",
            "secrets",
            "configmaps",
            "events",
            "statefulsets",
            "notebooksessions",
            "services")) {
      seen.append(kubectl("get", kind, "-A", "-o", "yaml"));
    }
    String all = seen.toString();
    assertThat(all).contains("nbsecrets"); // the scan read something
    plaintexts.forEach((name, value) -> assertThat(all).as(name).doesNotContain(value));
  }

  @Test
  @Order(7)
  void deletingTheSessionsStopsTheirPodsAndRemovesTheirSecrets() {
    admin
        .genericKubernetesResources("nbsecrets.io/v1alpha1", "NotebookSession")
        .inNamespace(userNs)
        .delete();
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              assertThat(admin.pods().inNamespace(userNs).list().getItems()).isEmpty();
              assertThat(
                      admin
                          .secrets()
                          .inNamespace(userNs)
                          .withLabel(Labels.SESSION)
                          .list()
                          .getItems())
                  .isEmpty();
              assertThat(
                      admin
                          .configMaps()
                          .inNamespace(userNs)
                          .withLabel(Labels.SESSION)
                          .list()
                          .getItems())
                  .isEmpty();
              assertThat(admin.apps().statefulSets().inNamespace(userNs).list().getItems())
                  .isEmpty();
              assertThat(
                      admin
                          .services()
                          .inNamespace(userNs)
                          .withLabel(Labels.SESSION)
                          .list()
                          .getItems())
                  .isEmpty();
            });
  }

  /** Creates session {@code name}: a shell that waits, with {@code secrets} (YAML) selected. */
  private void busyboxSession(String name, String secrets) {
    GenericKubernetesResource session =
        Serialization.unmarshal(
            """
            apiVersion: nbsecrets.io/v1alpha1
            kind: NotebookSession
            metadata: {name: %s, namespace: %s}
            spec:
              user: %s
              image: local/busybox:1
              command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 1 & wait $!; done']
            """
                .formatted(name, userNs, USER),
            GenericKubernetesResource.class);
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) session.getAdditionalProperties().get("spec");
    spec.put("secrets", Serialization.unmarshal(secrets, Map.class));
    admin.resource(session).create();
  }

  private Pod sessionPod(String session) {
    List<Pod> pods =
        admin.pods().inNamespace(userNs).withLabel(Labels.SESSION, session).list().getItems();
    assertThat(pods).hasSize(1);
    return pods.get(0);
  }

  private String exec(Pod pod, String script) throws IOException, InterruptedException {
    return kubectl(
        "exec",
        "-n",
        pod.getMetadata().getNamespace(),
        pod.getMetadata().getName(),
        "-c",
        Workload.SESSION_CONTAINER,
        "--",
        "sh",
        "-c",
        script);
  }

  private String kubectl(String... args) throws IOException, InterruptedException {
    return Kubectl.run(cp.binary("kubectl"), cp.kubeconfig(ControlPlane.ADMIN), args);
  }
}
