package io.nbsecrets.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The whole machine's CPU, from the first line of Linux's {@code /proc/stat}: how busy every core
 * was between two readings, whatever ran. It tells whether a burst was bounded by the machine (no
 * idle left) rather than by waiting, and so the least time that the same CPU could have taken.
 */
final class MachineCpu {
  /** The unit of /proc's CPU times: USER_HZ, 100 on x86-64 and arm64 Linux. */
  static final int USER_HZ = 100;

  /**
   * Seconds of CPU summed over all cores: busy, and idle (waiting for I/O included); and how many
   * cores the machine has ({@code cpuN} lines: the whole machine's, whatever this JVM is allowed).
   */
  record Reading(double busy, double idle, int cores) {
    Reading minus(Reading before) {
      return new Reading(busy - before.busy, idle - before.idle, cores);
    }

    /** The busy share of all the cores' time. */
    double busyShare() {
      double all = busy + idle;
      return all <= 0 ? 0 : busy / all;
    }
  }

  private MachineCpu() {}

  /** Now; empty when /proc cannot say. */
  static Optional<Reading> read() {
    try {
      return Optional.of(parse(Files.readString(Path.of("/proc/stat"), StandardCharsets.US_ASCII)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The aggregate {@code cpu} line: user, nice, system, idle, iowait, irq, softirq, steal (the
   * guest columns are already counted in user and nice). Idle is idle plus iowait; steal (the
   * hypervisor ran someone else) counts as busy, since it was not ours to use.
   */
  static Reading parse(String procStat) {
    String line = procStat.lines().findFirst().orElse("");
    String[] f = line.trim().split("\\s+");
    if (f.length < 5 || !f[0].equals("cpu")) {
      throw new IllegalArgumentException("not /proc/stat: " + line);
    }
    long busy = 0;
    long idle = 0;
    for (int i = 1; i < f.length && i <= 8; i++) {
      long ticks = Long.parseLong(f[i]);
      if (i == 4 || i == 5) {
        idle += ticks;
      } else {
        busy += ticks;
      }
    }
    int cores = (int) procStat.lines().filter(l -> l.matches("cpu\\d+\\s.*")).count();
    return new Reading(busy / (double) USER_HZ, idle / (double) USER_HZ, cores);
  }
}
