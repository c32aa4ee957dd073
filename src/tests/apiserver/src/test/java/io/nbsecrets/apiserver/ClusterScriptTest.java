package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.dev.LocalNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code e2e/node/cluster.sh}, as a user runs it: a one-node cluster comes up, {@code kubectl} with
 * the kubeconfig it prints sees the node Ready and runs a pod on it, and SIGTERM stops it all and
 * leaves nothing on the machine.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
class ClusterScriptTest {

  @Test
  void theScriptStartsAOneNodeClusterAndRemovesItOnSigterm() throws Exception {
    Assumptions.assumeTrue(
        LocalNode.runnable(), "a real node needs root (containerd, runc, the kubelet)");
    Path bin = ControlPlane.binaries().orElseThrow();
    Path node = LocalNode.build();
    Path dir = Files.createTempDirectory("nbsecrets-cluster-").toRealPath();
    String cgroup = LocalNode.cgroupName(dir.resolve("node"));
    HostState before = HostState.capture(cgroup);

    Path log = dir.resolve("cluster.log");
    ProcessBuilder pb =
        new ProcessBuilder("bash", "e2e/node/cluster.sh", dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put(ControlPlane.BIN_ENV, bin.toString());
    pb.environment().put(LocalNode.NODE_ENV, node.toString());
    long start = System.nanoTime();
    Process cluster = pb.start();
    try {
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(200))
          .failFast(() -> !cluster.isAlive())
          .until(() -> Files.readString(log).contains("one-node cluster ready"));
      System.out.printf(
          "[measure] cluster.sh to a Ready one-node cluster: %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      assertThat(Files.readString(log)).contains("export KUBECONFIG=" + dir.resolve("kubeconfig"));
      Path kubectl = bin.resolve("kubectl");
      Path kubeconfig = dir.resolve("kubeconfig");
      assertThat(
              run(
                  kubectl,
                  kubeconfig,
                  "get",
                  "node",
                  LocalNode.NAME,
                  "-o",
                  "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"))
          .isEqualTo("True");
      run(
          kubectl,
          kubeconfig,
          "run",
          "hello",
          "--image=local/busybox:1",
          "--image-pull-policy=Never",
          "--restart=Never",
          "--command",
          "--",
          "echo",
          "hello from the node");
      run(
          kubectl,
          kubeconfig,
          "wait",
          "pod/hello",
          "--for=jsonpath={.status.phase}=Succeeded",
          "--timeout=60s");
      assertThat(run(kubectl, kubeconfig, "logs", "hello")).isEqualTo("hello from the node\n");
    } finally {
      cluster.destroy();
      assertThat(cluster.waitFor(2, TimeUnit.MINUTES)).as("cluster.sh stops on SIGTERM").isTrue();
    }
    assertThat(dir.resolve("kubeconfig")).doesNotExist();
    HostState after = HostState.capture(cgroup);
    assertThat(
            before.leftBy(after, HostState.nodeProcesses(before, node.resolve("bin"), bin, cgroup)))
        .isEmpty();
  }

  private static String run(Path kubectl, Path kubeconfig, String... args) throws Exception {
    return Kubectl.run(kubectl, kubeconfig, args);
  }
}
