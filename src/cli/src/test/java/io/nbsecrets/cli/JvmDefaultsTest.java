package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JVM settings the jar makes first, each checked in a real JVM that sees as many processors as
 * a container's CPU limit gives it ({@code -XX:ActiveProcessorCount}).
 */
class JvmDefaultsTest {
  private static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();

  /** What a probe JVM printed. */
  private record Probe(String out) {
    long number(String key) {
      Matcher m = Pattern.compile(key + "=(\\d+)").matcher(out);
      assertThat(m.find()).as(out).isTrue();
      return Long.parseLong(m.group(1));
    }

    String executor() {
      Matcher m = Pattern.compile("executor=(\\S+)").matcher(out);
      assertThat(m.find()).as(out).isTrue();
      return m.group(1);
    }
  }

  private static Probe probe(int processors, String mode, String... flags)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(JAVA);
    command.add("-XX:ActiveProcessorCount=" + processors);
    command.addAll(List.of(flags));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(JvmDefaultsProbe.class.getName());
    command.add(mode);
    Path output = Files.createTempFile("jvm-defaults", ".txt");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
      String out = Files.readString(output, StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(out).isZero();
      return new Probe(out);
    } finally {
      Files.delete(output);
    }
  }

  @Test
  void theJarsEntryPointGivesTheCommonPoolTwoThreadsOnTwoProcessorsOrFewer() throws Exception {
    for (int processors : new int[] {1, 2}) {
      Probe p = probe(processors, "main");
      assertThat(p.number("parallelism")).isEqualTo(2);
      assertThat(p.executor()).isEqualTo(ForkJoinPool.class.getName());
    }
  }

  @Test
  void itLeavesTheJvmsOwnSizeOnMoreProcessors() throws Exception {
    assertThat(probe(4, "main").number("parallelism")).isEqualTo(3);
  }

  @Test
  void aSizeSetOnTheCommandLineIsKept() throws Exception {
    Probe p = probe(2, "main", "-D" + JvmDefaults.COMMON_POOL_PARALLELISM + "=1");
    assertThat(p.number("parallelism")).isEqualTo(1);
  }

  @Test
  void withItTheHttpClientNoLongerStartsAThreadPerResponse() throws Exception {
    // The JDK's behaviour that the setting is for (JDK 17: one common-pool thread means a thread
    // per asynchronous step, and the HTTP client completes each response with one).
    Probe bare = probe(2, "http-bare");
    assumeTrue(
        !bare.executor().equals(ForkJoinPool.class.getName()),
        "this JDK runs asynchronous steps on the common pool whatever its size");
    assertThat(bare.number("threads started")).isGreaterThanOrEqualTo(JvmDefaultsProbe.REQUESTS);
    // With it, no more than the pools' own threads: the second of each fixed pool and of the
    // common pool, started after the first request.
    assertThat(probe(2, "http").number("threads started")).isLessThanOrEqualTo(4);
    assertThat(probe(1, "http").number("threads started")).isLessThanOrEqualTo(4);
  }
}
