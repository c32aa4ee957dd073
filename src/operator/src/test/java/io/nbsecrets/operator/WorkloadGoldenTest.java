package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.nbsecrets.model.EnvEntry;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Characterisation of the session StatefulSet (and Service): the JSON of representative sessions,
 * recorded from the code before it was split into steps ({@code
 * src/operator/src/test/resources/workload/*.json}), its fields in the order they are sent. Any
 * change to the produced object — a field, a value, a default — shows here, and would roll every
 * running session pod through its desired hash. The entries of maps (labels, resources) are
 * compared sorted: a {@code Map.of} iterates in another order in each JVM, and neither the API
 * server nor the desired hash heeds that order. The recordings are of StatefulSets as earlier
 * versions made them, which this version writes unchanged; a new session's differs only by its pod
 * management policy ({@link #checkStatefulSet}). Run with {@code -Dworkload.golden.record=true} to
 * record again after an intended change.
 */
class WorkloadGoldenTest {
  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();
  private static final String SECRET = "nb-secrets-0123456789";
  private static final String SNAPSHOT = "abcdef0123";

  /** HTTPS to the API with a published CA bundle (the chart's default). */
  static OperatorConfig httpsWithCa() {
    return new OperatorConfig(
        "https://nbsecrets-api.nbsecrets.svc:8443",
        "ghcr.io/nbsecrets/nbsecrets:1.2.3",
        "nbsecrets",
        1000,
        100,
        () -> "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n\n",
        true,
        false);
  }

  /** HTTPS to an API with a public certificate: no CA bundle, the JDK's CAs. */
  static OperatorConfig httpsWithoutCa() {
    return new OperatorConfig(
        "https://secrets.example.org",
        "ghcr.io/nbsecrets/nbsecrets:1.2.3",
        "custom-audience",
        2000,
        3000,
        () -> "",
        false,
        false);
  }

  /** Everything a user may set: env entries, command, port, mount path, scheduling. */
  static NotebookSession fullSession() {
    NotebookSession s = Sessions.session("team-a", "analysis", "oidc:bob@example.org", "DB_URL");
    var spec = s.getSpec();
    spec.setImage("registry.example.org/lab:2024.1");
    spec.setCommand(List.of("start-notebook.py"));
    spec.setArgs(List.of("--NotebookApp.token=", "--ip=0.0.0.0"));
    spec.setEnv(List.of(new EnvEntry("TZ", "Europe/Paris"), new EnvEntry("EMPTY", null)));
    spec.setPort(9000);
    spec.setResources(
        new ResourceRequirementsBuilder()
            .withRequests(Map.of("cpu", new Quantity("500m")))
            .withLimits(Map.of("memory", new Quantity("2Gi")))
            .build());
    spec.setServiceAccountName("notebook-sa");
    spec.setNodeSelector(Map.of("pool", "notebooks"));
    spec.setTolerations(
        List.of(
            new TolerationBuilder()
                .withKey("dedicated")
                .withOperator("Equal")
                .withValue("notebooks")
                .withEffect("NoSchedule")
                .build()));
    spec.setSecrets(
        new SecretsSpec(
            "/home/jovyan/.secrets",
            null,
            List.of(new SecretItem("DB_URL", null), new SecretItem("API_KEY", "api.key"))));
    return s;
  }

  @Test
  void defaultSessionOverInsecureHttp() throws IOException {
    checkStatefulSet(
        "default-insecure-http",
        new WorkloadInputs(
            Sessions.session("alice", "nb", "alice", "API_KEY"),
            SECRET,
            SNAPSHOT,
            null,
            2000,
            Sessions.config()));
  }

  @Test
  void fullSessionWithEnvEntriesCustomMountPathAndApiCa() throws IOException {
    checkStatefulSet(
        "full-env-mountpath-api-ca",
        new WorkloadInputs(fullSession(), SECRET, SNAPSHOT, null, 5L << 20, httpsWithCa()));
  }

  @Test
  void legacySnapshotOverHttpsWithoutApiCa() throws IOException {
    checkStatefulSet(
        "legacy-manifest-no-api-ca",
        new WorkloadInputs(
            Sessions.session("alice", "nb", "alice", "API_KEY", "TOKEN"),
            SECRET,
            SNAPSHOT,
            List.of(
                new Snapshot.ManifestEntry("API_KEY", "api-key", 3),
                new Snapshot.ManifestEntry("TOKEN", "token", 1)),
            2000,
            httpsWithoutCa()));
  }

  @Test
  void sessionWithoutSecretsAndWithEnv() throws IOException {
    NotebookSession s = Sessions.session("alice", "bare", "alice");
    s.getSpec().setSecrets(null);
    s.getSpec().setEnv(List.of(new EnvEntry("MODE", "lab")));
    checkStatefulSet(
        "no-secrets-with-env", new WorkloadInputs(s, SECRET, SNAPSHOT, null, 0, Sessions.config()));
  }

  /** Secrets exported as variables: the launcher, its volume and the init step's env file. */
  static NotebookSession envSession() {
    NotebookSession s = fullSession();
    s.getSpec()
        .setSecrets(
            new SecretsSpec(
                "/home/jovyan/.secrets",
                null,
                true,
                List.of(
                    new SecretItem("DB_URL", null, "DATABASE_URL"),
                    new SecretItem("API_KEY", "api.key"))));
    return s;
  }

  @Test
  void sessionExportingSecretsAsEnvironmentVariables() throws IOException {
    checkStatefulSet(
        "env-launcher",
        new WorkloadInputs(envSession(), SECRET, SNAPSHOT, null, 5L << 20, httpsWithCa()));
  }

  @Test
  void servicesOfTheDefaultAndTheFullSession() throws IOException {
    check("service-default", Workload.service(Sessions.session("alice", "nb", "alice", "API_KEY")));
    check("service-full", Workload.service(fullSession()));
  }

  /**
   * The StatefulSet of {@code in} as an earlier version made it, which this version writes as it is
   * ({@code parallelPods} false: an upgrade rolls no pod), against the recording; and a new one,
   * which differs from it only by its pod management policy, {@code Parallel}, and so by its
   * desired hash.
   */
  private static void checkStatefulSet(String name, WorkloadInputs in) throws IOException {
    WorkloadInputs earlier =
        new WorkloadInputs(
            in.session(),
            in.secretName(),
            in.snapshotHash(),
            in.legacyManifest(),
            in.sealedBytes(),
            in.config(),
            false);
    StatefulSet kept = Workload.statefulSet(earlier);
    check(name, kept);
    assertThat(kept.getSpec().getPodManagementPolicy()).isNull();

    StatefulSet fresh = Workload.statefulSet(in);
    assertThat(fresh.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
    assertThat(Workload.desiredHash(fresh)).isNotEqualTo(Workload.desiredHash(kept));
    ObjectNode freshTree = withoutHash(fresh);
    ((ObjectNode) freshTree.get("spec")).remove("podManagementPolicy");
    assertThat(freshTree).isEqualTo(withoutHash(kept));
  }

  private static ObjectNode withoutHash(StatefulSet sts) {
    ObjectNode tree = JSON.valueToTree(sts);
    ((ObjectNode) tree.get("metadata").get("annotations")).remove(Labels.DESIRED_HASH);
    return tree;
  }

  private static void check(String name, HasMetadata resource) throws IOException {
    String actual = json(resource);
    if (Boolean.getBoolean("workload.golden.record")) {
      Path file = Path.of("src/operator/src/test/resources/workload", name + ".json");
      Files.createDirectories(file.getParent());
      Files.writeString(file, actual);
      return;
    }
    String path = "/workload/" + name + ".json";
    try (InputStream in = WorkloadGoldenTest.class.getResourceAsStream(path)) {
      assertThat(in).as(path).isNotNull();
      String expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(actual).isEqualTo(expected);
    }
  }

  static String json(Object value) throws JsonProcessingException {
    return JSON.writeValueAsString(value) + "\n";
  }
}
