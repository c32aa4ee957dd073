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
            new Progress(1, 2_500, 10_000, counts(2_400, 100), Duration.ofSeconds(5)), "records");

    assertThat(line)
        .startsWith("pass 1 [########......................] 2,500/10,000 records  25%")
        .contains("500/s", "ETA 0:15", "2400 rewrapped, 100 current, 0 changed");
  }

  @Test
  void withoutATotalThereIsNoBar() {
    String line =
        ConsoleProgress.render(
            new Progress(2, 40, 0, counts(0, 40), Duration.ofSeconds(2)), "user keys");

    assertThat(line)
        .startsWith("pass 2 40 user keys  20/s")
        .doesNotContain("[")
        .contains("40 current");
  }

  @Test
  void onATerminalTheLineIsRedrawnInPlace() {
    StringWriter out = new StringWriter();
    ConsoleProgress p = new ConsoleProgress(new PrintWriter(out), true, "records", Duration.ZERO);

    p.progress(new Progress(1, 5, 10, counts(5, 0), Duration.ofSeconds(1)));
    p.progress(new Progress(1, 10, 10, counts(10, 0), Duration.ofSeconds(2)));
    p.step("dropped old session keys [rsa-0]");

    assertThat(out.toString())
        .startsWith("\rpass 1 [")
        .contains("\rpass 1 [##############################] 10/10")
        .endsWith("\ndropped old session keys [rsa-0]\n");
    assertThat(out.toString().chars().filter(c -> c == '\n').count()).isEqualTo(2);
  }

  @Test
  void inALogLinesAreThrottledButEachPassEndIsShown() {
    StringWriter out = new StringWriter();
    ConsoleProgress p =
        new ConsoleProgress(new PrintWriter(out), false, "records", Duration.ofHours(1));

    for (int done = 100; done <= 1_000; done += 100) {
      p.progress(new Progress(1, done, 1_000, counts(done, 0), Duration.ofSeconds(1)));
    }

    assertThat(out.toString().lines())
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).startsWith("pass 1 ["))
        .last()
        .asString()
        .contains("1,000/1,000");
    assertThat(out.toString()).doesNotContain("\r");
  }
}
