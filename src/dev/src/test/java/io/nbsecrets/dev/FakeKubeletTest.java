package io.nbsecrets.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dev mode's kubelet stand-in on the mock API server, which takes any Secret key: it writes
 * only inside its folder, keeps its folders and token files private, and leaves nothing behind.
 */
@EnableKubernetesMockClient(crud = true)
class FakeKubeletTest {
  static KubernetesClient client;

  @TempDir Path root;

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes());
  }

  /** A session StatefulSet as the operator makes it, reduced to what the stand-in reads. */
  private static StatefulSet statefulSet(String ns, String name, String secret) {
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .addToLabels(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE)
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels(Labels.SESSION, name)
        .endMetadata()
        .withNewSpec()
        .addNewInitContainer()
        .withName(Workload.INIT_CONTAINER)
        .withImage("nbsecrets")
        // Nothing answers here: the init step fails after the volumes are laid out.
        .withArgs("init", "--api-url=http://127.0.0.1:9")
        .addNewEnv()
        .withName(Workload.FILES_ENV)
        .withValue("[]")
        .endEnv()
        .endInitContainer()
        .addNewContainer()
        .withName("notebook")
        .withImage("notebook")
        .endContainer()
        .addNewVolume()
        .withName(Workload.SEALED_VOLUME)
        .withNewSecret()
        .withSecretName(secret)
        .endSecret()
        .endVolume()
        .addNewVolume()
        .withName(Workload.TOKEN_VOLUME)
        .withNewProjected()
        .addNewSource()
        .withNewServiceAccountToken()
        .withAudience("nbsecrets")
        .withExpirationSeconds(600L)
        .withPath("token")
        .endServiceAccountToken()
        .endSource()
        .endProjected()
        .endVolume()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static void secret(String ns, String name, Map<String, String> data) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(name)
                .endMetadata()
                .withData(data)
                .build())
        .create();
  }

  private static Pod awaitPod(String ns, String name) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> client.pods().inNamespace(ns).withName(Workload.podName(name)).get(),
            p -> p != null && p.getStatus() != null && p.getStatus().getPhase() != null);
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void aSecretKeyThatIsNoFileNameWritesNothingOutsideTheFolder() throws Exception {
    Path dev = Files.createDirectories(root.resolve("a").resolve("dev"));
    try (FakeKubelet kubelet = new FakeKubelet(client, new FakeTokenAuthority(), dev).start()) {
      secret(
          "k1",
          "sealed",
          Map.of("../../../../../escaped", b64("outside"), "..hidden", b64("x"), "ok", b64("y")));
      client.resource(statefulSet("k1", "nb", "sealed")).create();
      Pod pod = awaitPod("k1", "nb");
      assertThat(kubelet.sessionDir("k1", "nb")).isEmptyDirectory();
      assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
      assertThat(pod.getStatus().getInitContainerStatuses().get(0).getState().getTerminated())
          .satisfies(
              t ->
                  assertThat(t.getMessage())
                      .contains("secret volume sealed has a key that is not a file name"));
    }
    try (Stream<Path> all = Files.walk(root)) {
      assertThat(all.filter(Files::isRegularFile).filter(p -> !p.startsWith(dev))).isEmpty();
    }
    assertThat(root.resolve("a").resolve("escaped")).doesNotExist();
  }

  @Test
  void foldersAndTokenFilesArePrivateAndRemovedWhenItStops() throws Exception {
    Path dev = Files.createDirectories(root.resolve("dev"));
    FakeKubelet kubelet = new FakeKubelet(client, new FakeTokenAuthority(), dev).start();
    try {
      secret("k2", "sealed", Map.of("token", b64("sealed-token")));
      client.resource(statefulSet("k2", "nb", "sealed")).create();
      awaitPod("k2", "nb");
      Path podDir = dev.resolve("kubelet").resolve("k2").resolve(Workload.podName("nb"));
      assertThat(mode(podDir.resolve("token").resolve("token"))).isEqualTo("rw-------");
      assertThat(mode(podDir.resolve("sealed").resolve("token"))).isEqualTo("r--------");
      for (Path d :
          new Path[] {
            dev.resolve("kubelet"),
            podDir.getParent(),
            podDir,
            podDir.resolve("sealed"),
            podDir.resolve("token"),
            dev.resolve("sessions"),
            kubelet.sessionDir("k2", "nb").getParent(),
            kubelet.sessionDir("k2", "nb")
          }) {
        assertThat(mode(d)).as(dev.relativize(d).toString()).isEqualTo("rwx------");
      }
    } finally {
      kubelet.close();
    }
    assertThat(dev.resolve("kubelet")).doesNotExist();
    assertThat(dev.resolve("sessions")).doesNotExist();
  }
}
