package io.nbsecrets.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU a JVM's JIT compiler threads ({@code C1 CompilerThread#}, {@code C2 CompilerThread#})
 * have used, from Linux's {@code /proc/<pid>/task}: how much of a process's CPU was compiling code
 * rather than running it. Threads that ended are not counted (HotSpot stops idle compiler threads),
 * so a difference of two readings is a lower bound.
 */
final class CompilerThreads {
  private static final String PREFIX_C1 = "C1 CompilerThre";
  private static final String PREFIX_C2 = "C2 CompilerThre";

  /** The unit of /proc's CPU times: USER_HZ, 100 on x86-64 and arm64 Linux. */
  private static final int USER_HZ = 100;

  private CompilerThreads() {}

  /** Seconds of CPU of {@code process}'s live compiler threads; -1 when /proc cannot say. */
  static double cpuSeconds(ProcessHandle process) {
    Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
    long ticks = 0;
    try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
      for (Path thread : threads) {
        String comm;
        String stat;
        try {
          comm = Files.readString(thread.resolve("comm"), StandardCharsets.UTF_8).strip();
          stat = Files.readString(thread.resolve("stat"), StandardCharsets.UTF_8);
        } catch (IOException e) {
          continue; // the thread ended while we looked
        }
        if (comm.startsWith(PREFIX_C1) || comm.startsWith(PREFIX_C2)) {
          ticks += cpuTicks(stat);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return ticks / (double) USER_HZ;
  }

  /**
   * utime + stime of a {@code /proc/.../stat} line (fields 14 and 15; the name may hold spaces).
   */
  static long cpuTicks(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
