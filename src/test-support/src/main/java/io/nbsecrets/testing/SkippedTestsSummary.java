package io.nbsecrets.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * At the end of each test run (one test plan: one surefire run), lists every test or class that was
 * skipped ({@code @Disabled}, a disabled condition) or aborted (a failed assumption, such as the
 * apiserver tier without its binaries), each with its reason, so that a green run says what it did
 * not check. Printed last and written to {@code target/skipped-tests.txt}. Registered through
 * {@code META-INF/services}, so it runs wherever the JUnit Platform launcher runs the tests.
 */
public final class SkippedTestsSummary implements TestExecutionListener {
  private final List<String> lines = new ArrayList<>();
  private int tests;

  @Override
  public synchronized void testPlanExecutionStarted(TestPlan testPlan) {
    lines.clear();
    tests = 0;
  }

  @Override
  public synchronized void executionSkipped(TestIdentifier id, String reason) {
    lines.add(line(id, "skipped", reason));
  }

  @Override
  public synchronized void executionFinished(TestIdentifier id, TestExecutionResult result) {
    if (id.isTest()) {
      tests++;
    }
    if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
      String reason = result.getThrowable().map(Throwable::getMessage).orElse("no reason given");
      lines.add(line(id, "aborted", reason));
    }
  }

  @Override
  public synchronized void testPlanExecutionFinished(TestPlan testPlan) {
    StringBuilder out = new StringBuilder();
    if (lines.isEmpty()) {
      out.append("[tests] ").append(tests).append(" tests ran; none was skipped or aborted\n");
    } else {
      out.append("[tests] ")
          .append(lines.size())
          .append(lines.size() == 1 ? " test or class" : " tests or classes")
          .append(" did not run (or not to the end), and why:\n");
      lines.forEach(l -> out.append("[tests]   ").append(l).append('\n'));
    }
    System.out.print(out);
    System.out.flush();
    Path target = Path.of(System.getProperty("basedir", "."), "target");
    if (Files.isDirectory(target)) {
      try {
        Files.writeString(
            target.resolve("skipped-tests.txt"),
            String.join("\n", lines) + "\n",
            StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static String line(TestIdentifier id, String what, String reason) {
    String kind = id.isContainer() ? " (class)" : "";
    String oneLine = reason == null ? "no reason given" : reason.strip().replaceAll("\\s+", " ");
    return name(id) + kind + " " + what + ": " + oneLine;
  }

  private static String name(TestIdentifier id) {
    Optional<TestSource> source = id.getSource();
    if (source.isPresent() && source.get() instanceof MethodSource m) {
      return simple(m.getClassName()) + "." + m.getMethodName();
    }
    if (source.isPresent() && source.get() instanceof ClassSource c) {
      return simple(c.getClassName());
    }
    return id.getDisplayName();
  }

  /** The class name without the project's own package prefix. */
  private static String simple(String className) {
    return className.startsWith("io.nbsecrets.") ? className.substring(13) : className;
  }
}
