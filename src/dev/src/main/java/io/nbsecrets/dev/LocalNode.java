package io.nbsecrets.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real node for a {@link ControlPlane}: containerd with runc, the kubelet, kube-proxy, CoreDNS
 * and kube-scheduler on this machine, started and stopped by {@code e2e/node/node.sh}. Pods run for
 * real: images come from {@code e2e/node/build.sh} ({@code local/pause:1}, {@code
 * local/busybox:1}), with {@code imagePullPolicy: Never}. Needs root; one node per machine (the
 * kubelet's iptables chains are shared).
 */
public final class LocalNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalNode.class);

  /** The folder {@code e2e/node/build.sh} filled (its last line); built when unset. */
  public static final String NODE_ENV = "NBSECRETS_NODE";

  /** The user of the node's kubelet is {@code system:node:<name>}. */
  public static final String NAME = "nbsecrets-node";

  static final String SCHEDULER = "system:kube-scheduler";

  static final String PROXY = "system:kube-proxy";

  /** CoreDNS's user: it may list and watch Services, EndpointSlices and Namespaces. */
  static final String DNS = "nbsecrets-node:coredns";

  private static final Path SCRIPTS = Path.of("e2e", "node");

  private final Path dir;
  private final Thread shutdownHook;
  private Duration coldStart = Duration.ZERO;
  private boolean closed;

  private LocalNode(Path dir) {
    this.dir = dir;
    this.shutdownHook = new Thread(this::down, "local-node-shutdown");
  }

  /**
   * The users a control plane needs for a node ({@link ControlPlane#start(Path, Path, Map)}): the
   * kubelet's, in group {@code system:nodes}, kube-scheduler's, kube-proxy's and CoreDNS's.
   */
  public static Map<String, List<String>> users() {
    return Map.of(
        "system:node:" + NAME,
        List.of("system:nodes"),
        SCHEDULER,
        List.of(),
        PROXY,
        List.of(),
        DNS,
        List.of());
  }

  /**
   * This machine's address for a node: where its pods reach this machine's processes, and the
   * address a {@link ControlPlane} listens on for them ({@link ControlPlane#start(Path, Path, Map,
   * List, String)}). The source address of the default route.
   */
  public static String hostAddress() throws IOException {
    String out = run(List.of("ip", "-4", "route", "get", "1.1.1.1"), Duration.ofSeconds(10));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(" src ([0-9.]+)").matcher(out);
    if (!m.find()) {
      throw new IOException("this machine has no IPv4 default route: " + out.strip());
    }
    return m.group(1);
  }

  /**
   * A control plane for a node: {@code users} and the node's own ({@link #users()}), the API server
   * on {@link #hostAddress()}, where the node's pods reach it through the {@code kubernetes}
   * Service.
   */
  public static ControlPlane controlPlane(Path bin, Path dir, Map<String, List<String>> users)
      throws IOException {
    Map<String, List<String>> all = new java.util.HashMap<>(users);
    all.putAll(users());
    return ControlPlane.start(bin, dir, all, List.of(), hostAddress());
  }

  /** Whether this process may start a node (it must be root). */
  public static boolean runnable() {
    try {
      return "0".equals(run(List.of("id", "-u"), Duration.ofSeconds(10)).strip());
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The folder of the node's binaries and images: {@value #NODE_ENV}, else what {@code
   * e2e/node/build.sh} builds (about 2.5 minutes cold, nothing when its pins are unchanged).
   */
  public static Path build() throws IOException {
    String env = System.getenv(NODE_ENV);
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    String out =
        run(
            List.of("bash", SCRIPTS.resolve("build.sh").toAbsolutePath().toString()),
            Duration.ofMinutes(20));
    String[] lines = out.strip().split("\n");
    return Path.of(lines[lines.length - 1]);
  }

  /** A folder that {@code e2e/node/images.sh} filled; built when unset. */
  public static final String IMAGES_ENV = "NBSECRETS_NODE_IMAGES";

  /**
   * The folder of the images built from this working tree, as OCI archives for {@link
   * #importImage}: {@code nbsecrets.tar} ({@code local/nbsecrets:dev}, operator/Dockerfile on
   * Debian bases) and {@code jupyter.tar} ({@code local/jupyter:1}, JupyterLab from PyPI). From
   * {@value #IMAGES_ENV}, else built now by {@code e2e/node/images.sh} (about 3 minutes, 6 when the
   * bases are made too).
   */
  public static Path images(Path node) throws IOException {
    String env = System.getenv(IMAGES_ENV);
    Path dir =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Files.createTempDirectory("nbsecrets-node-images-");
    if (!Files.isRegularFile(dir.resolve("nbsecrets.tar"))
        || !Files.isRegularFile(dir.resolve("jupyter.tar"))) {
      ProcessBuilder pb =
          new ProcessBuilder(
              "bash", SCRIPTS.resolve("images.sh").toAbsolutePath().toString(), dir.toString());
      pb.environment().put(NODE_ENV, node.toString());
      run(pb, Duration.ofMinutes(20));
    }
    return dir;
  }

  /**
   * Starts the node for {@code cp} (which must know {@link #users()}) under {@code dir}, and waits
   * until it is Ready.
   */
  public static LocalNode start(ControlPlane cp, Path node, Path dir) throws IOException {
    long begin = System.nanoTime();
    LocalNode started = new LocalNode(dir);
    Runtime.getRuntime().addShutdownHook(started.shutdownHook);
    try {
      grantDns(cp);
      Path kubeconfigs = Files.createDirectories(dir.resolve("kubeconfigs"));
      Map.of("kubelet", "system:node:" + NAME, "scheduler", SCHEDULER, "proxy", PROXY, "dns", DNS)
          .forEach(
              (file, user) -> {
                try {
                  LocalProcesses.writePrivate(
                      kubeconfigs.resolve(file), Files.readString(cp.kubeconfig(user)));
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      script(
          node,
          cp,
          List.of(
              "up",
              dir.toString(),
              NAME,
              kubeconfigs.toString(),
              cp.kubeletClientCaFile().toString()));
    } catch (java.io.UncheckedIOException e) {
      started.close();
      throw e.getCause();
    } catch (IOException | RuntimeException e) {
      started.close();
      throw e;
    }
    started.coldStart = Duration.ofNanos(System.nanoTime() - begin);
    LOG.info("node {} Ready in {} ms", NAME, started.coldStart.toMillis());
    return started;
  }

  /** What CoreDNS reads, as the bootstrap role of kube-dns grants it in a kubeadm cluster. */
  private static void grantDns(ControlPlane cp) {
    try (io.fabric8.kubernetes.client.KubernetesClient admin = cp.client(ControlPlane.ADMIN)) {
      String name = "nbsecrets-node:coredns";
      admin
          .rbac()
          .clusterRoles()
          .resource(
              new io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .endMetadata()
                  .addNewRule()
                  .withApiGroups("")
                  .withResources("services", "namespaces", "pods")
                  .withVerbs("list", "watch")
                  .endRule()
                  .addNewRule()
                  .withApiGroups("discovery.k8s.io")
                  .withResources("endpointslices")
                  .withVerbs("list", "watch")
                  .endRule()
                  .build())
          .serverSideApply();
      admin
          .rbac()
          .clusterRoleBindings()
          .resource(
              new io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .endMetadata()
                  .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", name)
                  .addNewSubject()
                  .withApiGroup("rbac.authorization.k8s.io")
                  .withKind("User")
                  .withName(DNS)
                  .endSubject()
                  .build())
          .serverSideApply();
    }
  }

  /** From the start of {@code node.sh up} until the node was Ready. */
  public Duration coldStart() {
    return coldStart;
  }

  /** Imports an OCI archive as image {@code local/<name>:<its tag>}. */
  public void importImage(String name, Path archive) throws IOException {
    script(null, null, List.of("import", dir.toString(), name, archive.toString()));
  }

  /** The node's folder: logs under {@code logs/}. */
  public Path dir() {
    return dir;
  }

  /** The cgroup (in every hierarchy) under which the kubelet puts every pod of this node. */
  public String cgroupName() throws IOException {
    return cgroupName(dir.toRealPath());
  }

  /**
   * The cgroup of the pods of a node whose folder is {@code dir} (a real path), named as {@code
   * node.sh} names it.
   */
  public static String cgroupName(Path dir) {
    return "nbsecrets-node-" + io.nbsecrets.util.Hashes.sha256Hex(dir.toString()).substring(0, 12);
  }

  /** Stops the node and removes what it left on the machine ({@code node.sh down}). */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      down();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // already shutting down: the hook runs down again, which finds nothing left
      }
    }
  }

  private void down() {
    stop(dir);
  }

  /** {@code node.sh down DIR}: stops a node started there, if any, and cleans up after it. */
  public static void stop(Path dir) {
    try {
      script(null, null, List.of("down", dir.toString()));
    } catch (IOException e) {
      LOG.warn("node.sh down failed: {}", e.getMessage());
    }
  }

  private static void script(Path node, ControlPlane cp, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("bash");
    command.add(SCRIPTS.resolve("node.sh").toAbsolutePath().toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    if (node != null) {
      pb.environment().put(NODE_ENV, node.toString());
      pb.environment().put("NBSECRETS_NODE_IP", hostAddress());
    }
    if (cp != null) {
      pb.environment().put(ControlPlane.BIN_ENV, cp.binary("kubelet").getParent().toString());
    }
    run(pb, Duration.ofMinutes(3));
  }

  private static String run(List<String> command, Duration timeout) throws IOException {
    return run(new ProcessBuilder(command), timeout);
  }

  /** Runs {@code pb} to its end, at most {@code timeout}; its output (the output of a failure). */
  private static String run(ProcessBuilder pb, Duration timeout) throws IOException {
    // The output goes to a file, not a pipe: a daemon the command started may keep a pipe open,
    // and the timeout must hold whatever the command does with its output.
    Path output = Files.createTempFile("nbsecrets-node-", ".log");
    String text;
    try {
      Process p =
          pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      try {
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IOException(String.join(" ", pb.command()) + " took longer than " + timeout);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new IOException("interrupted", e);
      }
      text = Files.readString(output);
      if (p.exitValue() == 0) {
        return text;
      }
      throw new IOException(
          String.join(" ", pb.command())
              + " failed with exit code "
              + p.exitValue()
              + ":\n"
              + text);
    } finally {
      Files.deleteIfExists(output);
    }
  }
}
