package io.nbsecrets.dev;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One container of a Deployment that the chart installed, run as a process the way its pod would
 * run it: the container's own args and env (fieldRefs, secretKeyRefs and {@code $(VAR)} expanded as
 * the kubelet does), {@code java -jar}'s main class, and as the pod's ServiceAccount, with a token
 * from TokenRequest in a kubeconfig — so every call it makes is authorized by the chart's RBAC,
 * never by an admin.
 *
 * <p>What differs from a pod, and why: there is no network namespace, so container ports are mapped
 * to free loopback ports (the {@code --port}/{@code --management-port} arguments that name them are
 * rewritten, {@code --host=0.0.0.0} becomes 127.0.0.1); the {@code tmp} emptyDir is a folder; any
 * other volume fails the test, so that nothing is silently left out.
 */
public final class ChartPod implements AutoCloseable {
  private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  /**
   * HotSpot's least memory of a "server-class machine" (2 GiB less 256 MiB), where G1 is chosen.
   */
  private static final long SERVER_CLASS_MEMORY = (2048L - 256) << 20;

  /** The variables whose Java options the container's {@code java} reads. */
  static final List<String> JAVA_OPTIONS =
      List.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS");

  /** The user the nbsecrets image runs as (operator/Dockerfile's {@code USER}). */
  private static final int IMAGE_UID = 65532;

  private static final String IMAGE_USER = IMAGE_UID + ":" + IMAGE_UID;

  private static final Pattern COLLECTOR =
      Pattern.compile("-XX:\\+Use(Serial|Parallel|G1|Z|Shenandoah|Epsilon)GC\\b");

  public final String name;
  public final String namespace;
  public final String serviceAccount;
  public final Map<String, Integer> ports = new LinkedHashMap<>();
  public final Path log;
  private final Process process;

  private final Thread shutdownHook;

  private ChartPod(
      String name, String namespace, String serviceAccount, Path log, Process process) {
    this.name = name;
    this.namespace = namespace;
    this.serviceAccount = serviceAccount;
    this.log = log;
    this.process = process;
    // A JVM stopped by a signal (a bench or test interrupted) stops its pods too, as it stops the
    // control plane: none is left running against an API server that is gone.
    this.shutdownHook = new Thread(process::destroy, "chart-pod-shutdown-" + name);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts container {@code container} of {@code deployment} as pod {@code podName}. */
  public static ChartPod start(
      ControlPlane cp, Deployment deployment, String container, String podName) throws IOException {
    return start(cp, deployment, container, podName, false);
  }

  /**
   * As {@link #start(ControlPlane, Deployment, String, String)}; with {@code asImage} the JVM runs
   * with the image's flags (full JIT, the heap at 75% of the container's memory limit) instead of a
   * quick start's (the C1 compiler only, which starts fast but runs TLS and crypto several times
   * slower): for measurements of a long-running role.
   */
  public static ChartPod start(
      ControlPlane cp, Deployment deployment, String container, String podName, boolean asImage)
      throws IOException {
    return start(cp, deployment, container, podName, asImage, false);
  }

  /**
   * As {@link #start(ControlPlane, Deployment, String, String, boolean)}; with {@code hostNetwork}
   * the process listens as a {@code hostNetwork} pod would: on every address of the machine, on its
   * container ports (so that pods of a real node reach it at the node's address).
   */
  public static ChartPod start(
      ControlPlane cp,
      Deployment deployment,
      String container,
      String podName,
      boolean asImage,
      boolean hostNetwork)
      throws IOException {
    return start(cp, deployment, container, podName, asImage, hostNetwork, null);
  }

  /**
   * As {@link #start(ControlPlane, Deployment, String, String, boolean, boolean)}; with an {@code
   * imageRoot} (the root filesystem of the nbsecrets image, with {@code /proc} and {@code /dev}
   * mounted in it) the container runs the image itself: its entry point, its JVMs and their
   * archives, changed into that root ({@code chroot}), with the image's flags for the container's
   * memory limit ({@link #imageJvmFlags}) in {@code JDK_JAVA_OPTIONS}. The network stays the
   * machine's, so it reaches the control plane on loopback.
   */
  public static ChartPod start(
      ControlPlane cp,
      Deployment deployment,
      String container,
      String podName,
      boolean asImage,
      boolean hostNetwork,
      Path imageRoot)
      throws IOException {
    String ns = deployment.getMetadata().getNamespace();
    PodSpec spec = deployment.getSpec().getTemplate().getSpec();
    Container c =
        spec.getContainers().stream()
            .filter(x -> x.getName().equals(container))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no container " + container));
    String sa = spec.getServiceAccountName() == null ? "default" : spec.getServiceAccountName();
    Path podDir = Files.createDirectories(cp.dir().resolve("pods").resolve(podName));

    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOSTNAME", podName); // as the kubelet sets it (leader election's identity)
    try (KubernetesClient admin = cp.client(ControlPlane.ADMIN)) {
      for (EnvVar e : KubeletStandIns.env(c)) {
        env.put(e.getName(), envValue(admin, ns, podName, e, env));
      }
      Path tmp = null;
      for (VolumeMount m :
          c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
        if (m.getName().equals("tmp") && m.getMountPath().equals("/tmp")) {
          tmp = Files.createDirectories(podDir.resolve("tmp"));
        } else {
          throw new IllegalStateException(
              "the stand-in cannot mount volume " + m.getName() + " at " + m.getMountPath());
        }
      }
      String token =
          KubeletStandIns.requestToken(
              admin,
              ns,
              sa,
              // A day: dev --control-plane runs until stopped, and nothing renews it.
              new TokenRequestSpecBuilder().withExpirationSeconds(86_400L).build());

      ChartPod pod;
      Map<Integer, Integer> portMap = new LinkedHashMap<>();
      Map<String, Integer> named = new LinkedHashMap<>();
      for (ContainerPort p : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
        int local = hostNetwork ? p.getContainerPort() : LocalProcesses.freePort();
        portMap.put(p.getContainerPort(), local);
        if (p.getName() != null) {
          named.put(p.getName(), local);
        }
      }
      List<String> args = new ArrayList<>();
      for (String a : c.getArgs()) {
        String expanded = expand(a, env);
        Matcher m = Pattern.compile("^(--(?:management-)?port)=(\\d+)$").matcher(expanded);
        if (m.matches() && portMap.containsKey(Integer.parseInt(m.group(2)))) {
          expanded = m.group(1) + "=" + portMap.get(Integer.parseInt(m.group(2)));
        } else if (expanded.equals("--host=0.0.0.0") && !hostNetwork) {
          expanded = "--host=127.0.0.1";
        }
        args.add(expanded);
      }
      Path log = podDir.resolve(container + ".log");
      Path kubeconfig = cp.kubeconfigWithToken("sa-" + podName + "-" + container, token);
      ProcessBuilder pb;
      if (imageRoot != null) {
        pb = inImage(imageRoot, args, log);
        String own = env.get("JDK_JAVA_OPTIONS");
        env.put(
            "JDK_JAVA_OPTIONS",
            String.join(" ", imageJvmFlags(c)) + (own == null ? "" : " " + own));
        kubeconfig = Path.of("/").resolve(imageRoot.relativize(inRoot(cp, imageRoot, kubeconfig)));
      } else {
        pb =
            asImage
                ? LocalProcesses.mainClass(imageJvmFlags(c), tmp, args, log)
                : LocalProcesses.mainClass("256m", tmp, args, log);
      }
      pb.environment().putAll(env);
      pb.environment().put("KUBECONFIG", kubeconfig.toString());
      pod = new ChartPod(podName, ns, sa, log, pb.start());
      pod.ports.putAll(named);
      pod.awaitReady(c);
      return pod;
    }
  }

  /**
   * The image's JVM flags (operator/Dockerfile), the heap sized from the memory limit (512 MiB when
   * there is none); and the collector the JVM picks by itself in the container. A JVM sees its
   * container's memory limit as the machine's memory, and below 1,792 MiB (or with fewer than 2
   * processors) it does not take the machine for a server and runs the serial collector instead of
   * G1: so the chart's 512 MiB operator runs the serial collector in a pod, and runs it here too,
   * unless the container's Java options ({@link #JAVA_OPTIONS}) choose one. Without a limit the JVM
   * sees the node's memory and the choice is left to it.
   */
  static List<String> imageJvmFlags(Container c) {
    Quantity memory =
        c.getResources() == null || c.getResources().getLimits() == null
            ? null
            : c.getResources().getLimits().get("memory");
    long limit = memory == null ? 512L << 20 : Quantity.getAmountInBytes(memory).longValue();
    List<String> flags = new ArrayList<>();
    flags.add("-Xmx" + (limit * 3 / 4 >> 20) + "m");
    flags.add("-XX:+ExitOnOutOfMemoryError");
    List<EnvVar> env = c.getEnv() == null ? List.of() : c.getEnv();
    boolean collectorChosen =
        env.stream()
            .filter(e -> JAVA_OPTIONS.contains(e.getName()) && e.getValue() != null)
            .anyMatch(e -> COLLECTOR.matcher(e.getValue()).find());
    if (memory != null && limit < SERVER_CLASS_MEMORY && !collectorChosen) {
      flags.add("-XX:+UseSerialGC");
    }
    return flags;
  }

  /** The image's entry point with {@code args}, run changed into {@code root}. */
  private static ProcessBuilder inImage(Path root, List<String> args, Path log) throws IOException {
    if (!Files.isExecutable(root.resolve("opt/nbsecrets/entrypoint"))) {
      throw new IOException(
          root + " is not the nbsecrets image's root: no opt/nbsecrets/entrypoint");
    }
    if (!Files.isRegularFile(root.resolve("proc/self/status"))) {
      throw new IOException("mount /proc in " + root + " first (mount --bind /proc ...)");
    }
    // As the image's USER, as a pod runs it.
    List<String> command =
        new ArrayList<>(List.of("chroot", "--userspec=" + IMAGE_USER, root.toString()));
    command.add("/opt/nbsecrets/entrypoint");
    command.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment()
        .keySet()
        .removeIf(
            k ->
                k.startsWith("KUBERNETES_")
                    || k.startsWith("NBSECRETS_")
                    || JAVA_OPTIONS.contains(k)
                    || k.equals("JAVA_HOME"));
    return pb;
  }

  /**
   * {@code kubeconfig} and the CA it names, copied into {@code root}'s {@code /tmp} (the pod's
   * emptyDir), the CA's path rewritten to the copy's as the process sees it.
   */
  private static Path inRoot(ControlPlane cp, Path root, Path kubeconfig) throws IOException {
    Path dir = Files.createDirectories(root.resolve("tmp/chart-pods"));
    Path ca = dir.resolve("ca.crt");
    Files.copy(cp.caFile(), ca, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String text =
        Files.readString(kubeconfig).replace(cp.caFile().toString(), "/" + root.relativize(ca));
    Path copy = LocalProcesses.writePrivate(dir.resolve(kubeconfig.getFileName()), text);
    for (Path p : List.of(dir, ca, copy)) {
      Files.setAttribute(p, "unix:uid", IMAGE_UID);
      Files.setAttribute(p, "unix:gid", IMAGE_UID);
    }
    return copy;
  }

  /** A loopback URL of a named container port. */
  public String url(String portName) {
    Integer port = ports.get(portName);
    if (port == null) {
      throw new IllegalArgumentException("no port " + portName + " in " + ports.keySet());
    }
    return (portName.equals("https") ? "https" : "http") + "://127.0.0.1:" + port;
  }

  public String logText() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** The process standing in for the pod's container (for measurements of CPU and heap). */
  public ProcessHandle process() {
    return process.toHandle();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the process at once, as a node failure would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    forgetShutdownHook();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    forgetShutdownHook();
  }

  private void forgetShutdownHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs (and finds the process gone)
    }
  }

  private void awaitReady(Container c) throws IOException {
    var probe = c.getReadinessProbe() == null ? null : c.getReadinessProbe().getHttpGet();
    if (probe == null) {
      return;
    }
    IntOrString port = probe.getPort();
    int local =
        port.getStrVal() != null ? ports.get(port.getStrVal()) : ports.values().iterator().next();
    boolean https = "HTTPS".equalsIgnoreCase(probe.getScheme());
    // Like the kubelet, the probe does not verify the certificate.
    HttpClient http =
        https ? HttpClient.newBuilder().sslContext(trustAll()).build() : HttpClient.newHttpClient();
    Instant deadline = Instant.now().plusSeconds(60);
    String last = "no answer";
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IOException(
            name + "/" + c.getName() + " exited with " + process.exitValue() + ":\n" + logText());
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            (https ? "https" : "http") + "://127.0.0.1:" + local + probe.getPath()))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    throw new IOException(name + "/" + c.getName() + " not ready: " + last + "\n" + logText());
  }

  private static String envValue(
      KubernetesClient admin, String ns, String podName, EnvVar e, Map<String, String> env) {
    if (e.getValueFrom() == null) {
      return expand(e.getValue() == null ? "" : e.getValue(), env);
    }
    var from = e.getValueFrom();
    if (from.getFieldRef() != null) {
      return switch (from.getFieldRef().getFieldPath()) {
        case "metadata.namespace" -> ns;
        case "metadata.name" -> podName;
        default -> throw new IllegalStateException("unsupported fieldRef " + from.getFieldRef());
      };
    }
    if (from.getSecretKeyRef() != null) {
      var ref = from.getSecretKeyRef();
      var secret = admin.secrets().inNamespace(ns).withName(ref.getName()).get();
      return new String(
          Base64.getDecoder().decode(secret.getData().get(ref.getKey())), StandardCharsets.UTF_8);
    }
    if (from.getConfigMapKeyRef() != null) {
      var ref = from.getConfigMapKeyRef();
      return admin
          .configMaps()
          .inNamespace(ns)
          .withName(ref.getName())
          .get()
          .getData()
          .get(ref.getKey());
    }
    throw new IllegalStateException("unsupported env source for " + e.getName());
  }

  /** Kubernetes' {@code $(VAR)} expansion: defined variables only, others left as they are. */
  public static String expand(String s, Map<String, String> env) {
    Matcher m = VAR.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = env.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(v == null ? m.group() : v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A TLS context that accepts any server certificate: the kubelet's probes do not verify. */
  private static javax.net.ssl.SSLContext trustAll() {
    try {
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(
          null,
          new javax.net.ssl.TrustManager[] {
            new javax.net.ssl.X509ExtendedTrustManager() {
              @Override
              public void checkServerTrusted(
                  java.security.cert.X509Certificate[] c, String a, java.net.Socket s) {}

              @Override
              public void checkServerTrusted(
                  java.security.cert.X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}

              @Override
              public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

              @Override
              public void checkClientTrusted(
                  java.security.cert.X509Certificate[] c, String a, java.net.Socket s) {}

              @Override
              public void checkClientTrusted(
                  java.security.cert.X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}

              @Override
              public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

              @Override
              public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
              }
            }
          },
          null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
