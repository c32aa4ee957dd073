package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.nbsecrets.bench.BenchCommandTest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code bench sessions} on a real control plane of its own, as anyone runs it (issue 14's
 * measurements): a few small sessions, and what it counts from the real API server's audit log. The
 * counts are exact on any machine, so they are checked; the times and CPU are this machine's and
 * are only printed.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
class BenchSessionsOnApiServerTest {
  private static final String OPERATOR = "system:serviceaccount:nbsecrets:nbsecrets-operator";

  /**
   * Without a node (how the baseline was taken: its pods never ran), a new session costs
   * the operator four writes: its Secret, StatefulSet and Service, and its first status.
   */
  @Test
  void withoutANodeANewSessionCostsTheOperatorFourWrites() {
    String out = bench("--no-node", "--sessions", "3");
    assertThat(out).contains("all Ready=True             (no node: the pods stay Pending)");
    assertThat(out).doesNotContain("init-key burst");
    Map<String, Double> writes = sessionWrites(out, 1.0);
    assertThat(out.lines().reduce((a, b) -> b).orElseThrow())
        .matches(
            "sessions: n=3 secrets=2 warm_up=0 written_s=\\d+\\.\\d secrets_ready_s=\\d+\\.\\d"
                + " operator_cpu_s=\\d+\\.\\d operator_requests=\\d+\\.\\d\\d"
                + " operator_writes=\\d+\\.\\d\\d");
    assertThat(summaryWrites(out)).isCloseTo(sum(writes), within(0.03));
  }

  /** With the node stand-in, the pod's getting Ready is the session's fifth write: its status. */
  @Test
  void withANodeTheSessionsReadyIsItsFifthWrite() {
    String out = bench("--sessions", "2");
    Map<String, Double> writes = sessionWrites(out, 2.0);
    assertThat(out).contains("== init-key burst (first use of each token): 2 requests");
    assertThat(out.lines().reduce((a, b) -> b).orElseThrow())
        .startsWith("sessions: n=2 secrets=2 warm_up=0 written_s=")
        .contains(" ready_s=");
    assertThat(summaryWrites(out)).isCloseTo(sum(writes), within(0.03));
  }

  /** The operator's writes per session in the summary line (the last). */
  private static double summaryWrites(String out) {
    Matcher m = Pattern.compile(" operator_writes=(\\d+\\.\\d\\d)$").matcher(out.strip());
    assertThat(m.find()).as(out).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** The rows' sum (each rounded to two places, as printed). */
  private static double sum(Map<String, Double> writes) {
    return writes.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  /**
   * The operator's writes per session in the bench's output: one create of each of the session's
   * objects and {@code statusPatches} patches of its status; nothing else but the user's "last
   * used" record.
   */
  private static Map<String, Double> sessionWrites(String out, double statusPatches) {
    Map<String, Double> writes = operatorWrites(out);
    assertThat(writes)
        .as(out)
        .containsEntry("create secrets", 1.0)
        .containsEntry("create statefulsets", 1.0)
        .containsEntry("create services", 1.0)
        .containsEntry("patch notebooksessions/status", statusPatches);
    onlyTheUsersLastUsedBesides(writes);
    return writes;
  }

  /**
   * Besides the session's own writes, only the user's "last used" record (a ConfigMap per user,
   * written when a snapshot is taken and at most once a minute: a cost per user, not per session;
   * sessions of one user taken at the same moment may each write it once).
   */
  private static void onlyTheUsersLastUsedBesides(Map<String, Double> writes) {
    assertThat(writes.keySet())
        .isSubsetOf(
            "create secrets",
            "create statefulsets",
            "create services",
            "patch notebooksessions/status",
            "create configmaps",
            "update configmaps");
    assertThat(writes.getOrDefault("create configmaps", 0.0)).isPositive();
  }

  /** Runs {@code bench sessions} for one user of two small secrets; its output. */
  private static String bench(String... options) {
    List<String> args = new ArrayList<>(List.of("--users", "1"));
    args.addAll(List.of(options));
    BenchCommandTest.Run run = BenchCommandTest.smallSessions(args.toArray(String[]::new));
    System.out.println("[measure] bench sessions " + String.join(" ", options) + ":\n" + run.out());
    assertThat(run.exit()).as(run.out() + "\n" + run.err()).isZero();
    return run.out();
  }

  private static final Pattern ROW = Pattern.compile("(\\S+) (\\S+)\\s+(\\d+\\.\\d\\d)");

  /**
   * The operator's writes per session, by verb and resource, from the bench's table: the rows
   * (indented four spaces) under the operator's heading.
   */
  private static Map<String, Double> operatorWrites(String out) {
    List<String> lines = out.lines().toList();
    int heading = lines.indexOf("  " + OPERATOR + " by verb and resource:");
    assertThat(heading).as(out).isNotNegative();
    Map<String, Double> writes = new LinkedHashMap<>();
    for (String line : lines.subList(heading + 1, lines.size())) {
      if (!line.startsWith("    ")) {
        break;
      }
      Matcher m = ROW.matcher(line.strip());
      assertThat(m.matches()).as(line).isTrue();
      if (List.of("create", "update", "patch", "delete", "deletecollection").contains(m.group(1))) {
        writes.put(m.group(1) + " " + m.group(2), Double.parseDouble(m.group(3)));
      }
    }
    return writes;
  }
}
