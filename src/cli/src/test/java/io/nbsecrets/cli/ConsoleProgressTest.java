package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.rotation.RewrapCounts;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.rotation.RotationListener.Progress;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {

  private static RewrapCounts counts(int rewrapped, int current) {
    RewrapCounts c = new RewrapCounts();
    for (int i = 0; i < rewrapped; i++) {
      c.add(Outcome.REWRAPPED);
    }
    for (int i = 0; i < current; i++) {
      c.add(Outcome.CURRENT);
    }
    return c;
  }

  @Test
  void aLineShowsTheBarCountsRateAndTimeLeft() {
    String line =
        ConsoleProgress.render(
            new Progress(1, 2_500, 10_000, counts(2_400, 100), Duration.ofSeconds(5)), "record");

    assertThat(line)
        .startsWith("pass 1 [########......................] 2,500/10,000 records  25%")
        .contains("500/s", "ETA 0:15", "2400 rewrapped, 100 current, 0 changed");
  }

  @Test
  void oneIsCountedInTheSingular() {
    assertThat(
            ConsoleProgress.render(
                new Progress(1, 1, 1, counts(1, 0), Duration.ofSeconds(1)), "record"))
        .contains("1/1 record 100%");
    StringWriter out = new StringWriter();
    new ConsoleProgress(new PrintWriter(out), false, "user key", Duration.ZERO)
        .passDone(new Progress(2, 1, 0, counts(0, 1), Duration.ofSeconds(1)));
    assertThat(out.toString()).startsWith("pass 2 done: 1 user key in 1.0 s");
  }

  @Test
  void withoutATotalThereIsNoBar() {
    String line =
        ConsoleProgress.render(
            new Progress(2, 40, 0, counts(0, 40), Duration.ofSeconds(2)), "user key");

    assertThat(line)
        .startsWith("pass 2 40 user keys  20/s")
        .doesNotContain("[")
        .contains("40 current");
  }

  @Test
  void onATerminalTheLineIsRedrawnInPlace() {
    StringWriter out = new StringWriter();
    ConsoleProgress p = new ConsoleProgress(new PrintWriter(out), true, "record", Duration.ZERO);

    p.progress(new Progress(1, 5, 10, counts(5, 0), Duration.ofSeconds(1)));
    p.progress(new Progress(1, 10, 10, counts(10, 0), Duration.ofSeconds(2)));
    p.passDone(new Progress(1, 10, 10, counts(10, 0), Duration.ofMillis(2_050)));
    p.step("dropped old session keys [rsa-0]");

    assertThat(out.toString())
        .startsWith("\rpass 1 [")
        .contains("\rpass 1 [##############################] 10/10")
        .endsWith(
            "\npass 1 done: 10 records in 2.1 s (10 rewrapped, 0 current, 0 changed, 0 pending,"
                + " 0 unreadable)\ndropped old session keys [rsa-0]\n");
    assertThat(out.toString().chars().filter(c -> c == '\n').count()).isEqualTo(3);
  }

  @Test
  void inALogLinesAreThrottledAndEachPassEndsWithASummary() {
    StringWriter out = new StringWriter();
    ConsoleProgress p =
        new ConsoleProgress(new PrintWriter(out), false, "user key", Duration.ofHours(1));

    for (int done = 100; done <= 1_000; done += 100) {
      p.progress(new Progress(1, done, 0, counts(done, 0), Duration.ofSeconds(1)));
    }
    p.passDone(new Progress(1, 1_000, 0, counts(1_000, 0), Duration.ofSeconds(1)));

    assertThat(out.toString().lines())
        .containsExactly(
            "pass 1 100 user keys  100/s  (100 rewrapped, 0 current, 0 changed, 0 pending, 0"
                + " unreadable)",
            "pass 1 done: 1,000 user keys in 1.0 s (1000 rewrapped, 0 current, 0 changed, 0"
                + " pending, 0 unreadable)");
    assertThat(out.toString()).doesNotContain("\r");
  }

  @Test
  void inALogALineComesAtMostEveryPeriodByTheClock() {
    StringWriter out = new StringWriter();
    long[] now = {0};
    ConsoleProgress p =
        new ConsoleProgress(
            new PrintWriter(out), false, "record", Duration.ofSeconds(5), () -> now[0]);
    for (int second = 0; second <= 12; second++) {
      now[0] = Duration.ofSeconds(second).toNanos();
      p.progress(new Progress(1, second, 12, counts(second, 0), Duration.ofSeconds(second)));
    }
    p.passDone(new Progress(1, 12, 12, counts(12, 0), Duration.ofSeconds(12)));
    assertThat(out.toString().lines())
        .hasSize(4)
        .anySatisfy(l -> assertThat(l).contains(" 0/12 records"))
        .anySatisfy(l -> assertThat(l).contains(" 5/12 records"))
        .anySatisfy(l -> assertThat(l).contains(" 10/12 records"))
        .anySatisfy(l -> assertThat(l).startsWith("pass 1 done: 12 records in 12.0 s"));
  }
}
