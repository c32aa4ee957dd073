package io.nbsecrets.apiserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a node could leave behind on this machine, read from the kernel and the usual places: mount
 * points, network interfaces, network namespaces, iptables chains and rules (IPv4 and IPv6), the
 * node's cgroups, the folders that kubelets, containerd and CNI use at fixed paths, and processes.
 * Two captures, before a node starts and after it stops, must not differ.
 */
record HostState(
    Set<String> mounts,
    Set<String> interfaces,
    Set<String> netns,
    Set<String> iptables,
    Set<String> cgroups,
    Set<String> files,
    Set<Long> pids) {

  /** Fixed places a kubelet, containerd, runc or CNI may write to, whatever their configuration. */
  private static final List<String> FIXED =
      List.of(
          "/var/lib/kubelet",
          "/var/lib/cni",
          "/var/lib/containerd",
          "/var/log/pods",
          "/var/log/containers",
          "/run/containerd",
          "/run/netns",
          "/var/run/netns",
          "/etc/cni",
          "/opt/cni",
          "/run/nri",
          "/var/run/cdi",
          "/etc/cdi");

  static HostState capture(String cgroupName) throws IOException {
    return new HostState(
        mountPoints(),
        names(Path.of("/sys/class/net")),
        readNetns(),
        readIptables(),
        readCgroups(cgroupName),
        readFiles(),
        readPids());
  }

  /** What {@code after} has that this capture had not (processes: the new ones still running). */
  List<String> leftBy(HostState after, List<Long> newPidsOfNode) {
    List<String> left = new ArrayList<>();
    diff(left, "mount", mounts, after.mounts);
    diff(left, "network interface", interfaces, after.interfaces);
    diff(left, "network namespace", netns, after.netns);
    diff(left, "iptables", iptables, after.iptables);
    diff(left, "cgroup", cgroups, after.cgroups);
    diff(left, "file", files, after.files);
    newPidsOfNode.forEach(p -> left.add("process " + p + ": " + cmdline(p)));
    return left;
  }

  private static void diff(List<String> left, String what, Set<String> before, Set<String> after) {
    for (String s : after) {
      if (!before.contains(s)) {
        left.add(what + " " + s);
      }
    }
    for (String s : before) {
      if (!after.contains(s)) {
        left.add(what + " gone (was there before): " + s);
      }
    }
  }

  /**
   * The processes that did not run at {@code before}: those of the node's binaries, and any in the
   * node's cgroups.
   */
  static List<Long> nodeProcesses(HostState before, Path nodeBin, Path kubeBin, String cgroupName)
      throws IOException {
    List<Long> found = new ArrayList<>();
    for (long pid : readPids()) {
      if (before.pids.contains(pid) || pid == ProcessHandle.current().pid()) {
        continue;
      }
      String cmd = cmdline(pid);
      String cgroup = read(Path.of("/proc", Long.toString(pid), "cgroup"));
      if (cmd.startsWith(nodeBin.toString())
          || cmd.startsWith(kubeBin.resolve("kubelet").toString())
          || cmd.startsWith(kubeBin.resolve("kube-scheduler").toString())
          || cgroup.contains(cgroupName)) {
        found.add(pid);
      }
    }
    return found;
  }

  private static Set<String> mountPoints() throws IOException {
    Set<String> out = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4) {
        out.add(f[4]);
      }
    }
    return out;
  }

  /** Named network namespaces; the node's own live under its folder (mounts, above). */
  private static Set<String> readNetns() throws IOException {
    return names(Path.of("/run/netns"));
  }

  /** User-defined chains and every rule, without packet counters. */
  private static Set<String> readIptables() throws IOException {
    Set<String> out = new TreeSet<>();
    for (String tool : List.of("iptables-save", "ip6tables-save")) {
      String table = "";
      for (String line : run(tool).split("\n")) {
        if (line.startsWith("*")) {
          table = line.substring(1);
        } else if (line.startsWith("-A ")) {
          out.add(tool + " " + table + " " + line);
        } else if (line.startsWith(":") && line.contains(" - ")) {
          out.add(tool + " " + table + " chain " + line.substring(1, line.indexOf(' ')));
        }
      }
    }
    return out;
  }

  private static Set<String> readCgroups(String cgroupName) throws IOException {
    Set<String> out = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 2 && (f[2].equals("cgroup") || f[2].equals("cgroup2"))) {
        Path p = Path.of(f[1], cgroupName);
        if (Files.isDirectory(p)) {
          out.add(p.toString());
        }
      }
    }
    return out;
  }

  private static Set<String> readFiles() throws IOException {
    Set<String> out = new TreeSet<>();
    for (String root : FIXED) {
      Path p = Path.of(root);
      if (!Files.exists(p)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(p, 3)) {
        walk.forEach(f -> out.add(f.toString()));
      }
    }
    return out;
  }

  private static Set<Long> readPids() throws IOException {
    Set<Long> out = new TreeSet<>();
    try (Stream<Path> s = Files.list(Path.of("/proc"))) {
      s.map(p -> p.getFileName().toString())
          .filter(n -> n.chars().allMatch(Character::isDigit))
          .forEach(n -> out.add(Long.parseLong(n)));
    }
    return out;
  }

  private static Set<String> names(Path dir) throws IOException {
    Set<String> out = new TreeSet<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        s.forEach(p -> out.add(p.getFileName().toString()));
      }
    }
    return out;
  }

  static String cmdline(long pid) {
    return read(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ').strip();
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return ""; // the process ended meanwhile
    }
  }

  private static String run(String tool) throws IOException {
    Process p = new ProcessBuilder(tool).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IOException(tool + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }
}
