package io.nbsecrets.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The JVM flags the stand-in gives a chart container "as the image runs it": the collector must be
 * the one a JVM picks inside a container of that memory limit, checked against a real JVM started
 * in a memory cgroup of that limit (what a container is).
 */
class ChartPodJvmFlagsTest {
  private static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();

  private static Container container(String memoryLimit, String variable, String javaOptions) {
    ContainerBuilder c = new ContainerBuilder().withName("operator");
    if (memoryLimit != null) {
      c.withNewResources().withLimits(Map.of("memory", new Quantity(memoryLimit))).endResources();
    }
    if (javaOptions != null) {
      c.addNewEnv().withName(variable).withValue(javaOptions).endEnv();
    }
    return c.build();
  }

  private static Container container(String memoryLimit) {
    return container(memoryLimit, null, null);
  }

  @Test
  void aSmallContainerRunsTheSerialCollectorAsAJvmInThatContainerChoosesIt() throws Exception {
    List<String> flags = ChartPod.imageJvmFlags(container("512Mi"));

    assertThat(flags).contains("-Xmx384m", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC");
    assertThat(collectorInCgroup(512L << 20)).isEqualTo("UseSerialGC");
  }

  @Test
  void aLargeContainerLeavesTheCollectorToTheJvmWhichChoosesG1() throws Exception {
    assumeTrue(
        Runtime.getRuntime().availableProcessors() >= 2,
        "HotSpot takes a machine of one processor for a client and runs the serial collector");
    List<String> flags = ChartPod.imageJvmFlags(container("2Gi"));

    assertThat(flags).contains("-Xmx1536m").noneMatch(f -> f.matches("-XX:\\+Use\\w+GC"));
    assertThat(collectorInCgroup(2048L << 20)).isEqualTo("UseG1GC");
  }

  @Test
  void aCollectorChosenInTheContainersJavaOptionsIsNotOverridden() {
    for (String variable : ChartPod.JAVA_OPTIONS) {
      assertThat(ChartPod.imageJvmFlags(container("512Mi", variable, "-Xss1m -XX:+UseG1GC")))
          .as(variable)
          .noneMatch(f -> f.matches("-XX:\\+Use\\w+GC"));
      assertThat(ChartPod.imageJvmFlags(container("512Mi", variable, "-XX:TieredStopAtLevel=1")))
          .as(variable)
          .contains("-XX:+UseSerialGC");
    }
  }

  @Test
  void withoutALimitTheJvmSeesTheNodesMemoryAndChoosesItself() {
    assertThat(ChartPod.imageJvmFlags(container(null)))
        .containsExactly("-Xmx384m", "-XX:+ExitOnOutOfMemoryError");
  }

  /**
   * The collector ({@code UseSerialGC}, {@code UseG1GC}, ...) that HotSpot chooses by itself in a
   * memory cgroup of {@code limit} bytes (cgroup v1 or v2; the test is skipped, saying why, where
   * this process may not make one).
   */
  private static String collectorInCgroup(long limit) throws Exception {
    Optional<Path> group =
        MemoryCgroup.create("nbsecrets-jvm-flags-test-" + ProcessHandle.current().pid());
    assumeTrue(group.isPresent(), "no writable memory cgroup here: " + MemoryCgroup.why());
    Path dir = group.get();
    try {
      Files.writeString(dir.resolve(MemoryCgroup.limitFile(dir)), Long.toString(limit));
      // sh joins the cgroup, then becomes the JVM: the JVM starts inside the limit.
      Path output = Files.createTempFile("jvm-flags", ".txt");
      Process p =
          new ProcessBuilder(
                  "sh",
                  "-c",
                  "echo $$ > \"$1\" && exec \"$2\" -XX:+PrintFlagsFinal -version",
                  "sh",
                  dir.resolve("cgroup.procs").toString(),
                  JAVA)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      boolean exited = p.waitFor(60, TimeUnit.SECONDS);
      if (!exited) {
        p.destroyForcibly().waitFor();
      }
      String out = Files.readString(output, StandardCharsets.UTF_8);
      Files.delete(output);
      assertThat(exited).as("the JVM answers within 60 s").isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      return out.lines()
          .filter(
              l ->
                  l.matches(
                      "\\s*bool Use(Serial|Parallel|G1|Z|Shenandoah|Epsilon)GC\\s+= true\\s.*"))
          .map(l -> l.trim().split("\\s+")[1])
          .findFirst()
          .orElseThrow(() -> new AssertionError("no collector in:\n" + out));
    } finally {
      MemoryCgroup.remove(dir);
    }
  }

  /** A child of this process's memory cgroup, if it may make one. */
  private static final class MemoryCgroup {
    private static final Path V1 = Path.of("/sys/fs/cgroup/memory");
    private static final Path V2 = Path.of("/sys/fs/cgroup");

    static Optional<Path> create(String name) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
          String[] f = line.split(":", 3);
          Path parent = null;
          if (f.length == 3
              && List.of(f[1].split(",")).contains("memory")
              && Files.isDirectory(V1)) {
            parent = V1.resolve(f[2].substring(1));
          } else if (f.length == 3
              && f[0].equals("0")
              && Files.exists(V2.resolve("cgroup.controllers"))
              && Files.readString(V2.resolve("cgroup.controllers")).contains("memory")) {
            parent = V2.resolve(f[2].substring(1));
          }
          if (parent != null) {
            Path dir = parent.resolve(name);
            Files.createDirectory(dir);
            if (Files.exists(dir.resolve(limitFile(dir)))) {
              return Optional.of(dir);
            }
            Files.delete(dir); // cgroup v2 without the memory controller delegated here
            return Optional.empty();
          }
        }
      } catch (IOException | RuntimeException e) {
        return Optional.empty();
      }
      return Optional.empty();
    }

    static String why() {
      try {
        return "/proc/self/cgroup says " + Files.readString(Path.of("/proc/self/cgroup")).strip();
      } catch (IOException e) {
        return e.toString();
      }
    }

    static String limitFile(Path dir) {
      return Files.exists(dir.resolve("memory.limit_in_bytes"))
          ? "memory.limit_in_bytes"
          : "memory.max";
    }

    static void remove(Path dir) throws IOException, InterruptedException {
      // The JVM has exited; its cgroup empties a moment later.
      for (int i = 0; i < 50; i++) {
        try {
          Files.delete(dir);
          return;
        } catch (IOException e) {
          Thread.sleep(100);
        }
      }
      Files.delete(dir);
    }
  }
}
