package io.nbsecrets.cli;

import io.nbsecrets.rotation.RewrapCounts;
import io.nbsecrets.rotation.RotationListener;
import io.nbsecrets.util.Counts;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * The rotation's progress on a terminal: one line redrawn in place, with a bar, a rate and the time
 * left. Without a terminal (a Job's log), a line at most every {@code logEvery} and at the end of
 * each pass, so logs stay short.
 */
final class ConsoleProgress implements RotationListener {
  private static final int WIDTH = 30;

  private final PrintWriter out;
  private final boolean terminal;
  private final String unit;
  private final Duration logEvery;
  private final java.util.function.LongSupplier nanoTime;
  private long lastLine;
  private boolean logged;
  private boolean open;

  /**
   * @param unit what is counted, singular ("record", "user key"): "1 record", "2 records"
   */
  ConsoleProgress(PrintWriter out, boolean terminal, String unit, Duration logEvery) {
    this(out, terminal, unit, logEvery, System::nanoTime);
  }

  /** With {@code nanoTime} as the clock that spaces the lines of a log (a fake one in tests). */
  ConsoleProgress(
      PrintWriter out,
      boolean terminal,
      String unit,
      Duration logEvery,
      java.util.function.LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.out = out;
    this.terminal = terminal;
    this.unit = unit;
    this.logEvery = logEvery;
  }

  @Override
  public synchronized void step(String message) {
    endLine();
    out.println(message);
    out.flush();
  }

  @Override
  public synchronized void progress(Progress p) {
    String line = render(p, unit);
    if (terminal) {
      out.print("\r" + line);
      open = true;
    } else {
      long now = nanoTime.getAsLong();
      if (!logged || now - lastLine >= logEvery.toNanos()) {
        out.println(line);
        lastLine = now;
        logged = true;
      }
    }
    out.flush();
  }

  /** One line per pass, terminal or not: what the pass did and how long it took. */
  @Override
  public synchronized void passDone(Progress p) {
    endLine();
    out.println(
        String.format(
            Locale.ROOT,
            "pass %d done: %s in %.1f s (%s)",
            p.pass(),
            Counts.of(p.done(), unit),
            p.elapsed().toMillis() / 1000.0,
            p.counts()));
    out.flush();
  }

  /** Ends a line left open by a redraw (before other output). */
  synchronized void endLine() {
    if (open) {
      out.println();
      open = false;
    }
  }

  /** One progress line: pass, bar, counts, rate, time left, outcomes. */
  static String render(Progress p, String unit) {
    StringBuilder s = new StringBuilder();
    s.append("pass ").append(p.pass()).append(' ');
    double seconds = Math.max(p.elapsed().toNanos() / 1e9, 1e-3);
    double rate = p.done() / seconds;
    if (p.total() > 0) {
      double fraction = Math.min(1.0, (double) p.done() / p.total());
      int filled = (int) Math.round(fraction * WIDTH);
      s.append('[')
          .append("#".repeat(filled))
          .append(".".repeat(WIDTH - filled))
          .append("] ")
          .append(
              String.format(
                  Locale.ROOT,
                  "%,d/%s %3.0f%%",
                  p.done(),
                  Counts.of(p.total(), unit),
                  fraction * 100));
      long left = Math.max(0, p.total() - p.done());
      s.append(String.format(Locale.ROOT, "  %,.0f/s", rate));
      if (rate > 0 && left > 0) {
        s.append("  ETA ").append(clock(Duration.ofSeconds((long) Math.ceil(left / rate))));
      }
    } else {
      s.append(String.format(Locale.ROOT, "%s  %,.0f/s", Counts.of(p.done(), unit), rate));
    }
    RewrapCounts c = p.counts();
    s.append("  (").append(c).append(')');
    return s.toString();
  }

  static String clock(Duration d) {
    long seconds = d.toSeconds();
    return seconds >= 3600
        ? String.format(
            Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }
}
