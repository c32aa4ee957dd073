package io.nbsecrets.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The CPU of a HotSpot JVM's own threads, from Linux's {@code /proc/<pid>/task}: how much of a
 * process's CPU was compiling code ({@code C1 CompilerThread#}, {@code C2 CompilerThread#}) or
 * collecting garbage ({@code GC Thread#}, {@code G1 ...}, and the {@code VM Thread}, which runs the
 * serial collector and every other safepoint operation, with {@code VM Periodic Task}, its timer)
 * rather than running the program. Threads that ended are not counted (HotSpot stops idle compiler
 * and GC worker threads), so a difference of two readings is a lower bound.
 */
final class JvmThreads {

  /** Seconds of CPU of the JIT compiler threads and of the collector and VM threads. */
  record Cpu(double jit, double gcAndVm) {
    Cpu minus(Cpu before) {
      return new Cpu(jit - before.jit, gcAndVm - before.gcAndVm);
    }
  }

  private JvmThreads() {}

  /** The CPU of {@code process}'s live JVM threads; empty when /proc cannot say. */
  static Optional<Cpu> cpu(ProcessHandle process) {
    Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
    long jit = 0;
    long gc = 0;
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
        switch (kind(comm)) {
          case JIT -> jit += cpuTicks(stat);
          case GC_AND_VM -> gc += cpuTicks(stat);
          case PROGRAM -> {}
        }
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return Optional.of(
        new Cpu(jit / (double) MachineCpu.USER_HZ, gc / (double) MachineCpu.USER_HZ));
  }

  enum Kind {
    JIT,
    GC_AND_VM,
    PROGRAM
  }

  /** What a thread of this name (Linux's {@code comm}: at most 15 characters) does. */
  static Kind kind(String comm) {
    if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
      return Kind.JIT;
    }
    if (comm.startsWith("GC Thread#")
        || comm.startsWith("G1 ")
        || comm.equals("VM Thread")
        || comm.equals("VM Periodic Tas")) {
      return Kind.GC_AND_VM;
    }
    return Kind.PROGRAM;
  }

  /**
   * utime + stime of a {@code /proc/.../stat} line (fields 14 and 15; the name may hold spaces).
   */
  static long cpuTicks(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
