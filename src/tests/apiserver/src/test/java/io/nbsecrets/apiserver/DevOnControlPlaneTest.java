package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.cli.Main;
import io.nbsecrets.dev.ControlPlane;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nbsecrets dev --control-plane}, run as a user runs it (the jar's main class, in its own
 * process): a real control plane with the chart installed by helm, the example session Ready with
 * its files under {@code sessions/}, and the real kubectl reading it through the dev kubeconfig.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
class DevOnControlPlaneTest {
  @TempDir Path dir;

  @Test
  void devOnARealControlPlaneRunsTheExampleSessionAndKubectlReadsIt() throws Exception {
    Path bin = ControlPlane.binaries().orElseThrow();
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "dev",
                "--control-plane=" + bin,
                "--dir=" + dir));
    Path log = dir.resolve("dev.log");
    Process dev =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      String out = awaitLine(dev, log, "kubectl --kubeconfig");
      assertThat(out)
          .contains("Kubernetes API (real control plane): https://127.0.0.1:")
          .contains("session alice/notebook is Ready");
      assertThat(Files.readString(dir.resolve("sessions/alice/notebook/OPENAI_API_KEY")))
          .isEqualTo("sk-example-not-a-real-key-4f8a2c");
      @SuppressWarnings("unchecked")
      Map<String, Object> endpoints =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readValue(dir.resolve("endpoints.json").toFile(), Map.class);
      assertThat(endpoints).containsKeys("kubernetes", "api", "tokens");
      // Both hold credentials (users' tokens; the admin's): the owner's only (issue 10, row 15).
      for (String file : List.of("endpoints.json", "kubeconfig")) {
        assertThat(
                java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve(file))))
            .as(file)
            .isEqualTo("rw-------");
      }

      String table = kubectl(bin, dir.resolve("kubeconfig"), "get", "nbs", "-A");
      assertThat(table).containsPattern("alice\\s+notebook\\s+\\S+\\s+alice\\s+True\\s+2");
      assertThat(kubectl(bin, dir.resolve("kubeconfig"), "get", "pods", "-n", "alice"))
          .containsPattern("notebook-0\\s+1/1\\s+Running");
    } finally {
      dev.destroy();
      assertThat(dev.waitFor(60, TimeUnit.SECONDS)).as("dev stops on SIGTERM").isTrue();
    }
  }

  private static String awaitLine(Process p, Path log, String marker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      String out = Files.exists(log) ? Files.readString(log) : "";
      if (out.contains(marker)) {
        return out;
      }
      if (!p.isAlive()) {
        throw new AssertionError("dev exited with " + p.exitValue() + ":\n" + out);
      }
      Thread.sleep(500);
    }
    throw new AssertionError("dev did not get ready:\n" + Files.readString(log));
  }

  private static String kubectl(Path bin, Path kubeconfig, String... args)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig=" + kubeconfig));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    assertThat(p.waitFor()).as(out.toString(StandardCharsets.UTF_8)).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }
}
