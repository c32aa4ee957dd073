package io.nbsecrets.dev;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbsecrets.model.NotebookSession;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl against the dev mode's embedded API server, started the way {@code nbsecrets
 * dev} starts it: discovery, OpenAPI (server-side field validation), tables, streamed watches,
 * merge patches, edit, delete and protobuf writes. kubectl comes from {@code
 * e2e/control-plane/build.sh}: {@code $NBSECRETS_CONTROL_PLANE_BIN/kubectl} or {@code
 * ~/.cache/nbsecrets/control-plane/current/bin/kubectl}; without it the tests are skipped.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KubectlDiscoveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern READY_POD = Pattern.compile("notebook-0\\s+1/1\\s+Running\\s+0");

  @TempDir static Path dir;
  static Path kubectl;
  static DevEnvironment env;
  static Path kubeconfig;

  /** What a kubectl run printed. */
  record Run(int exit, String out, String err) {
    Run ok() {
      assertThat(exit).as("kubectl failed: %s%s", out, err).isZero();
      return this;
    }
  }

  static Path findKubectl() {
    String bin = System.getenv("NBSECRETS_CONTROL_PLANE_BIN");
    List<Path> candidates = new ArrayList<>();
    if (bin != null && !bin.isBlank()) {
      candidates.add(Path.of(bin, "kubectl"));
    }
    candidates.add(
        Path.of(
            System.getProperty("user.home"),
            ".cache",
            "nbsecrets",
            "control-plane",
            "current",
            "bin",
            "kubectl"));
    return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
  }

  @BeforeAll
  static void start() throws Exception {
    kubectl = findKubectl();
    Assumptions.assumeTrue(
        kubectl != null,
        "kubectl not found: set NBSECRETS_CONTROL_PLANE_BIN to a folder with kubectl, or run"
            + " e2e/control-plane/build.sh (it installs ~/.cache/nbsecrets/control-plane/current/bin)");
    env =
        DevEnvironment.start(
            DevEnvironment.Options.defaults(dir)
                .withKeyAlgorithm(io.nbsecrets.crypto.SessionKeyAlgorithm.X25519));
    kubeconfig = dir.resolve("kubeconfig");
    env.writeKubeconfig(kubeconfig);
    // The example secrets of alice, through the secrets API, as `nbsecrets dev` stores them.
    HttpClient http = HttpClient.newHttpClient();
    for (String name : List.of("OPENAI_API_KEY", "db-password")) {
      HttpResponse<String> put =
          http.send(
              HttpRequest.newBuilder(URI.create(env.apiUrl() + "/api/v1/secrets/" + name))
                  .header("Authorization", "Bearer " + env.token("alice"))
                  .header("Content-Type", "application/json")
                  .PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"v-" + name + "\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).isEqualTo(201);
    }
  }

  @AfterAll
  static void stop() {
    if (env != null) {
      env.close();
    }
  }

  static Run kubectl(String... args) throws IOException, InterruptedException {
    return kubectl(Map.of(), args);
  }

  static Run kubectl(Map<String, String> environment, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(kubectl.toString());
    command.add("--kubeconfig=" + kubeconfig);
    command.add("--cache-dir=" + dir.resolve("kube-cache"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(environment);
    Process p = pb.start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish");
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** Runs kubectl until its output satisfies {@code done}; at most 30 s. */
  static Run eventually(Predicate<Run> done, String... args) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    Run last;
    do {
      last = kubectl(args);
      if (done.test(last)) {
        return last;
      }
      Thread.sleep(250);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("kubectl " + String.join(" ", args) + " never matched: " + last);
  }

  static Path copyOfExample(String name) throws IOException {
    String yaml = Files.readString(Path.of("examples/session-alice.yaml"));
    Path copy = dir.resolve(name + ".yaml");
    Files.writeString(copy, yaml.replace("name: notebook\n", "name: " + name + "\n"));
    return copy;
  }

  // ---------------------------------------------------------------------------------- tests

  @Test
  @Order(1)
  void discoveryVersionAndApiResources() throws Exception {
    JsonNode version = JSON.readTree(kubectl("version", "-o", "json").ok().out());
    assertThat(version.path("serverVersion").path("gitVersion").asText()).startsWith("v1.37.");
    assertThat(version.path("serverVersion").path("minor").asText()).isEqualTo("37");

    Run resources = kubectl("api-resources").ok();
    assertThat(resources.err()).isEmpty();
    assertThat(resources.out())
        .containsPattern(
            "notebooksessions\\s+nbs\\s+nbsecrets.io/v1alpha1\\s+true\\s+NotebookSession")
        .containsPattern("secrets\\s+v1\\s+true\\s+Secret")
        .containsPattern("configmaps\\s+cm\\s+v1\\s+true\\s+ConfigMap")
        .containsPattern("namespaces\\s+ns\\s+v1\\s+false\\s+Namespace")
        .containsPattern("pods\\s+po\\s+v1\\s+true\\s+Pod")
        .containsPattern("services\\s+svc\\s+v1\\s+true\\s+Service")
        .containsPattern("serviceaccounts\\s+sa\\s+v1\\s+true\\s+ServiceAccount")
        .containsPattern("statefulsets\\s+sts\\s+apps/v1\\s+true\\s+StatefulSet")
        .containsPattern("events\\s+ev\\s+events.k8s.io/v1\\s+true\\s+Event")
        .containsPattern("leases\\s+coordination.k8s.io/v1\\s+true\\s+Lease")
        .containsPattern("tokenreviews\\s+authentication.k8s.io/v1\\s+false\\s+TokenReview")
        .containsPattern(
            "customresourcedefinitions\\s+crd,crds\\s+apiextensions.k8s.io/v1\\s+false\\s+CustomResourceDefinition");

    // The raw documents: legacy discovery and the OpenAPI v3 index.
    JsonNode groups = JSON.readTree(kubectl("get", "--raw", "/apis").ok().out());
    assertThat(groups.path("kind").asText()).isEqualTo("APIGroupList");
    JsonNode nbs = JSON.readTree(kubectl("get", "--raw", "/apis/nbsecrets.io/v1alpha1").ok().out());
    assertThat(nbs.path("resources").get(0).path("shortNames").get(0).asText()).isEqualTo("nbs");
    assertThat(nbs.path("resources").get(1).path("name").asText())
        .isEqualTo("notebooksessions/status");
    JsonNode openapi = JSON.readTree(kubectl("get", "--raw", "/openapi/v3").ok().out());
    assertThat(openapi.path("paths").has("apis/nbsecrets.io/v1alpha1")).isTrue();
    assertThat(openapi.path("paths").has("api/v1")).isTrue();

    Run explain = kubectl("explain", "nbs.spec.secrets").ok();
    assertThat(explain.out()).contains("KIND:       NotebookSession").contains("mountPath");
  }

  @Test
  @Order(2)
  void applyTheExampleSessionAndWaitUntilReady() throws Exception {
    Run apply = kubectl("apply", "-f", "examples/session-alice.yaml").ok();
    assertThat(apply.out()).contains("notebooksession.nbsecrets.io/notebook created");
    Run wait =
        kubectl("wait", "--for=condition=Ready", "nbs/notebook", "-n", "alice", "--timeout=60s")
            .ok();
    assertThat(wait.out()).contains("notebooksession.nbsecrets.io/notebook condition met");
    assertThat(wait.err()).doesNotContain("Failed to watch").doesNotContain("rror");
    NotebookSession s =
        env.client()
            .resources(NotebookSession.class)
            .inNamespace("alice")
            .withName("notebook")
            .get();
    assertThat(s.getStatus().getPodName()).isEqualTo("notebook-0");
  }

  @Test
  @Order(3)
  void getShowsThePrinterColumns() throws Exception {
    Run all = kubectl("get", "nbs", "-A").ok();
    assertThat(all.out().lines().findFirst().orElseThrow())
        .matches("NAMESPACE\\s+NAME\\s+AGE\\s+USER\\s+READY\\s+SECRETS\\s*");
    assertThat(all.out()).containsPattern("alice\\s+notebook\\s+\\S+\\s+alice\\s+True\\s+2");

    Run wide = kubectl("get", "nbs", "-n", "alice", "-o", "wide").ok();
    assertThat(wide.out()).containsPattern("notebook\\s+\\S+\\s+alice\\s+True\\s+2");

    Run yaml = kubectl("get", "nbs", "-n", "alice", "-o", "yaml").ok();
    assertThat(yaml.out())
        .contains("kind: List")
        .contains("kind: NotebookSession")
        .contains("name: notebook")
        .contains("podName: notebook-0")
        .contains("type: Ready");
    Run ready =
        kubectl(
                "get",
                "nbs",
                "notebook",
                "-n",
                "alice",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")
            .ok();
    assertThat(ready.out()).isEqualTo("True");
  }

  @Test
  @Order(4)
  void describeListsTheSessionAndItsEvents() throws Exception {
    Run describe = kubectl("describe", "nbs", "-n", "alice").ok();
    assertThat(describe.out())
        .containsPattern("Name:\\s+notebook")
        .containsPattern("Kind:\\s+NotebookSession")
        .containsPattern("Pod Name:\\s+notebook-0")
        .containsPattern("Message:\\s+2 secrets in the snapshot")
        .contains("Events:");
    // A refresh request takes a new snapshot, which an Event tells (a first one only the status).
    kubectl("annotate", "nbs", "notebook", "-n", "alice", "nbsecrets.io/refresh=1").ok();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String out = "";
    while (System.nanoTime() < deadline && !out.contains("SnapshotTaken")) {
      out = kubectl("describe", "nbs", "-n", "alice").ok().out();
      Thread.sleep(200);
    }
    assertThat(out)
        .containsPattern("Normal\\s+SnapshotTaken\\s+\\S+\\s+nbsecrets-operator\\s+took 2 secrets");
    kubectl("wait", "--for=condition=Ready", "nbs/notebook", "-n", "alice", "--timeout=60s").ok();
  }

  @Test
  @Order(5)
  void getSecretsStatefulSetsAndEvents() throws Exception {
    Run get = kubectl("get", "secrets,statefulsets,events", "-n", "alice").ok();
    assertThat(get.out())
        // Two secrets and the list of files.
        .containsPattern("secret/notebook-secrets-\\S+\\s+nbsecrets.io/session-secrets\\s+3")
        .containsPattern("statefulset.apps/notebook\\s+1/1")
        .containsPattern("LAST SEEN\\s+TYPE\\s+REASON\\s+OBJECT\\s+MESSAGE")
        .containsPattern("Normal\\s+SnapshotTaken\\s+notebooksession/notebook");
    // The pod of the refreshed snapshot (the refresh above rolled it).
    String pods = "";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && !READY_POD.matcher(pods).find()) {
      pods = kubectl("get", "pods", "-n", "alice").ok().out();
      Thread.sleep(200);
    }
    assertThat(pods).containsPattern(READY_POD);
  }

  @Test
  @Order(6)
  void applyACopyThenPatchEditAndDeleteIt() throws Exception {
    Path lab = copyOfExample("lab");
    assertThat(kubectl("apply", "-f", lab.toString()).ok().out())
        .contains("notebooksession.nbsecrets.io/lab created");
    Run wait = kubectl("wait", "--for=condition=Ready", "nbs/lab", "-n", "alice", "--timeout=60s");
    assertThat(wait.ok().err()).doesNotContain("Failed to watch");

    // Applying it again changes nothing; a changed copy is a JSON merge patch.
    assertThat(kubectl("apply", "-f", lab.toString()).ok().out()).contains("lab unchanged");

    // A merge patch replaces the list of secrets (the mock alone would append to it).
    kubectl(
            "patch",
            "nbs",
            "lab",
            "-n",
            "alice",
            "--type",
            "merge",
            "-p",
            "{\"spec\":{\"secrets\":{\"items\":[{\"name\":\"OPENAI_API_KEY\"}]}}}")
        .ok();
    kubectl(
            "wait",
            "--for=jsonpath={.status.secretCount}=1",
            "nbs/lab",
            "-n",
            "alice",
            "--timeout=60s")
        .ok();
    assertThat(
            kubectl(
                    "get",
                    "nbs",
                    "lab",
                    "-n",
                    "alice",
                    "-o",
                    "jsonpath={.spec.secrets.items[*].name}")
                .ok()
                .out())
        .isEqualTo("OPENAI_API_KEY");

    // kubectl edit, with an editor that changes the image.
    Path editor = dir.resolve("editor.sh");
    Files.writeString(
        editor, "#!/bin/sh\nsed -i 's#jupyter/minimal-notebook#jupyter/scipy-notebook#' \"$1\"\n");
    Files.setPosixFilePermissions(editor, PosixFilePermissions.fromString("rwx------"));
    Run edit =
        kubectl(Map.of("KUBE_EDITOR", editor.toString()), "edit", "nbs/lab", "-n", "alice").ok();
    assertThat(edit.out()).contains("notebooksession.nbsecrets.io/lab edited");
    eventually(
        r -> r.out().equals("quay.io/jupyter/scipy-notebook:2024-12-02"),
        "get",
        "sts",
        "lab",
        "-n",
        "alice",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}");
    assertThat(
            kubectl("get", "nbs", "lab", "-n", "alice", "-o", "jsonpath={.metadata.generation}")
                .ok()
                .out())
        .isEqualTo("3");

    Run delete = kubectl("delete", "nbs", "lab", "-n", "alice").ok();
    assertThat(delete.out()).contains("notebooksession.nbsecrets.io \"lab\" deleted");
    assertThat(delete.err()).doesNotContain("Failed to watch");
    Run gone = kubectl("get", "nbs", "lab", "-n", "alice");
    assertThat(gone.exit()).isEqualTo(1);
    assertThat(gone.err()).contains("notebooksessions.nbsecrets.io \"lab\" not found");
    // The garbage collector stand-in removes what the session owned.
    eventually(
        r -> r.out().isBlank(),
        "get",
        "sts,secrets",
        "-n",
        "alice",
        "-o",
        "name",
        "-l",
        "nbsecrets.io/session=lab");
  }

  @Test
  @Order(7)
  void theServerValidatesFieldsAsKubectlAsks() throws Exception {
    Path bogus = dir.resolve("bogus.yaml");
    Files.writeString(
        bogus,
        Files.readString(copyOfExample("bogus"))
            .replace("  user: alice\n", "  user: alice\n  bogus: 1\n"));
    Run strict = kubectl("apply", "-f", bogus.toString());
    assertThat(strict.exit()).isEqualTo(1);
    assertThat(strict.err()).contains("strict decoding error: unknown field \"spec.bogus\"");

    Run warn = kubectl("apply", "--validate=warn", "-f", bogus.toString()).ok();
    assertThat(warn.err()).contains("unknown field \"spec.bogus\"");
    assertThat(kubectl("get", "nbs", "bogus", "-n", "alice", "-o", "jsonpath={.spec}").ok().out())
        .doesNotContain("bogus");
    kubectl("delete", "nbs", "bogus", "-n", "alice").ok();

    Path invalid = dir.resolve("invalid.yaml");
    Files.writeString(
        invalid,
        "apiVersion: nbsecrets.io/v1alpha1\nkind: NotebookSession\nmetadata:\n  name: invalid\n"
            + "spec:\n  image: busybox\n  port: 70000\n");
    Run rejected = kubectl("apply", "-f", invalid.toString());
    assertThat(rejected.exit()).isEqualTo(1);
    assertThat(rejected.err())
        .contains("spec.user: Required value")
        .contains("spec.port: Invalid value: 70000");
  }

  @Test
  @Order(8)
  void watchesStream() throws Exception {
    Path out = dir.resolve("watch.txt");
    Process watch =
        new ProcessBuilder(
                kubectl.toString(),
                "--kubeconfig=" + kubeconfig,
                "--cache-dir=" + dir.resolve("kube-cache"),
                "get",
                "nbs",
                "-n",
                "alice",
                "--watch",
                "--output-watch-events")
            .redirectOutput(out.toFile())
            .redirectErrorStream(true)
            .start();
    try {
      long deadline = System.currentTimeMillis() + 20_000;
      while (!Files.readString(out).contains("ADDED") && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      kubectl("annotate", "nbs", "notebook", "-n", "alice", "example.com/touched=yes").ok();
      while (!Files.readString(out).contains("MODIFIED") && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      assertThat(watch.isAlive()).as("the watch is still open").isTrue();
    } finally {
      watch.destroy();
      watch.waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(Files.readString(out))
        .containsPattern("ADDED\\s+notebook")
        .containsPattern("MODIFIED\\s+notebook");
  }

  @Test
  @Order(9)
  void kubectlCreateSendsProtobufAndThatWorksForItsGenerators() throws Exception {
    assertThat(kubectl("create", "namespace", "carol").ok().out())
        .contains("namespace/carol created");
    kubectl("annotate", "namespace", "carol", "nbsecrets.io/user=carol").ok();
    assertThat(
            kubectl(
                    "get",
                    "ns",
                    "carol",
                    "-o",
                    "jsonpath={.metadata.annotations.nbsecrets\\.io/user}")
                .ok()
                .out())
        .isEqualTo("carol");
    assertThat(kubectl("get", "ns", "carol").ok().out()).containsPattern("carol\\s+Active");
    kubectl("create", "configmap", "settings", "-n", "carol", "--from-literal=a=1").ok();
    kubectl("create", "secret", "generic", "token", "-n", "carol", "--from-literal=t=x").ok();
    assertThat(
            kubectl("get", "secret", "token", "-n", "carol", "-o", "jsonpath={.data.t}").ok().out())
        .isEqualTo("eA==");
    Run get = kubectl("get", "cm,secrets", "-n", "carol").ok();
    assertThat(get.out())
        .containsPattern("configmap/settings\\s+1")
        .containsPattern("secret/token\\s+Opaque\\s+1");
  }

  @Test
  @Order(10)
  void theEnvExampleGivesTheSessionsProcessItsVariables() throws Exception {
    Run apply = kubectl("apply", "-f", "examples/session-alice-env.yaml").ok();
    assertThat(apply.out()).contains("notebooksession.nbsecrets.io/lab created");
    kubectl("wait", "--for=condition=Ready", "nbs/lab", "-n", "alice", "--timeout=60s").ok();
    // The values this class stored (v-<name>), loaded by the launcher from the pod spec.
    Map<String, String> seen = env.kubelet().environment("alice", "lab").orElseThrow();
    assertThat(seen)
        .containsEntry("OPENAI_API_KEY", "v-OPENAI_API_KEY")
        .containsEntry("PGPASSWORD", "v-db-password")
        .doesNotContainKey("NBSECRETS_ENV_FILE");
    Run status =
        kubectl("get", "nbs", "lab", "-n", "alice", "-o", "jsonpath={.status.secrets[*].env}").ok();
    assertThat(status.out()).isEqualTo("OPENAI_API_KEY PGPASSWORD");
    kubectl("delete", "-f", "examples/session-alice-env.yaml").ok();
  }
}
