package io.nbsecrets.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A java launcher that {@code bench init} times, and how it keeps what a training run loaded: a
 * class-data archive (AppCDS, as the image's build makes) before Java {@value
 * InitBench#AOT_CACHE_RELEASE}, an AOT cache (JEP 483, loaded and linked classes and method
 * profiles) from it on.
 */
record Jvm(Path launcher, int release) {
  private static final Pattern VERSION = Pattern.compile("version \"(\\d+)(?:\\.(\\d+))?");

  /** This JVM's launcher. */
  static Path current() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /**
   * The launcher at {@code launcher}, its release read from {@code -version}.
   *
   * @throws IllegalArgumentException naming the path when it is not a java launcher that runs
   */
  static Jvm of(Path launcher) {
    if (launcher.equals(current())) {
      return new Jvm(launcher, Runtime.version().feature());
    }
    if (!Files.isExecutable(launcher)) {
      throw new IllegalArgumentException(launcher + " is not an executable file");
    }
    String output;
    try {
      Process version =
          new ProcessBuilder(launcher.toString(), "-version").redirectErrorStream(true).start();
      output = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!version.waitFor(30, TimeUnit.SECONDS) || version.exitValue() != 0) {
        throw new IllegalArgumentException(launcher + " -version failed");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(launcher + " cannot be run: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalArgumentException(launcher + " -version was interrupted");
    }
    int release = release(output);
    if (release < 17) {
      String said = firstLine(output);
      throw new IllegalArgumentException(
          launcher
              + " is not a java launcher of release 17 or later ("
              + (said.isEmpty() ? "its -version printed nothing" : "it says: " + said)
              + ")");
    }
    return new Jvm(launcher, release);
  }

  /** The feature release in a {@code java -version} output ("1.8.0" is 8); 0 if there is none. */
  static int release(String versionOutput) {
    Matcher m = VERSION.matcher(versionOutput);
    if (!m.find()) {
      return 0;
    }
    int first = Integer.parseInt(m.group(1));
    return first == 1 && m.group(2) != null ? Integer.parseInt(m.group(2)) : first;
  }

  private boolean aotCache() {
    return release >= InitBench.AOT_CACHE_RELEASE;
  }

  /** What its training runs make, in words. */
  String archiveKind() {
    return aotCache() ? "AOT cache" : "class-data archive";
  }

  /** The file name of the archive called {@code name}. */
  String archive(String name) {
    return name + (aotCache() ? ".aot" : ".jsa");
  }

  /**
   * The flags of a training run that records {@code file}: the AOT cache itself, or the list of the
   * classes it loads, which {@link #dumpArchive} then dumps.
   */
  List<String> recordArchive(Path file) {
    return aotCache()
        ? List.of("-XX:AOTCacheOutput=" + file)
        : List.of("-XX:DumpLoadedClassList=" + classList(file));
  }

  /**
   * The command that dumps the static class-data archive {@code file} from the class list of the
   * training run {@code command} (with its flags and class path, as the image's build does: the
   * JDK's classes and the step's in one archive, with the module graph and heap objects that G1
   * maps); empty for an AOT cache, which its training run writes itself.
   */
  List<String> dumpArchive(Path file, List<String> command) {
    if (aotCache()) {
      return List.of();
    }
    int classPath = command.indexOf("-cp");
    if (classPath < 0) {
      classPath = command.indexOf("-jar");
    }
    List<String> dump = new ArrayList<>(command.subList(0, classPath));
    dump.add("-Xshare:dump");
    dump.add("-XX:SharedClassListFile=" + classList(file));
    dump.add("-XX:SharedArchiveFile=" + file);
    dump.add("-cp");
    dump.add(command.get(classPath + 1));
    return dump;
  }

  private static Path classList(Path archive) {
    return archive.resolveSibling(archive.getFileName() + ".classes");
  }

  /** The flags of a run that uses {@code file} (a mismatch only costs speed). */
  List<String> useArchive(Path file) {
    return aotCache()
        ? List.of("-XX:AOTCache=" + file)
        : List.of("-XX:SharedArchiveFile=" + file, "-Xshare:auto");
  }

  private static String firstLine(String text) {
    String line = text.strip();
    int end = line.indexOf('\n');
    return end < 0 ? line : line.substring(0, end);
  }
}
