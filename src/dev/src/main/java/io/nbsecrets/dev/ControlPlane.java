package io.nbsecrets.dev;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.nbsecrets.crypto.RsaKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager,
 * from the binaries that {@code e2e/control-plane/build.sh} builds. Like controller-runtime's
 * envtest: started for a test run (or for {@code dev --control-plane}), torn down with it.
 *
 * <p>The API server runs with RBAC, static user tokens, service-account token issuing
 * (TokenRequest, TokenReview), its default admission plugins (Pod Security Admission,
 * ValidatingAdmissionPolicy, ...) and an audit log of every request. The controller manager runs
 * the garbage collector, the StatefulSet, ReplicaSet and service-account controllers, each with its
 * own service-account credentials. There is no kubelet and no scheduler.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

  /** Where {@code build.sh} puts the binaries unless told otherwise. */
  public static final String BIN_ENV = "NBSECRETS_CONTROL_PLANE_BIN";

  /** The admin user's group: every permission. */
  public static final String ADMIN = "admin";

  private static final List<String> BINARIES =
      List.of("etcd", "kube-apiserver", "kube-controller-manager", "kubectl", "helm");

  /** The Gateway API's CRDs (HTTPRoute, BackendTLSPolicy) that {@code build.sh} puts beside. */
  private static final String GATEWAY_API_CRDS = "gateway-api-crds/v1.6.3";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path bin;
  private final Path dir;
  private final Map<String, String> tokens;
  private final Map<String, List<String>> groups;
  private final List<Process> processes = new ArrayList<>();
  private final Map<String, Process> byName = new LinkedHashMap<>();
  private final List<String> controllerManagerFlags = new ArrayList<>();
  private final Thread shutdownHook;
  private int apiPort;
  private String address = LOOPBACK;

  private static final String LOOPBACK = "127.0.0.1";

  private ControlPlane(
      Path bin, Path dir, Map<String, String> tokens, Map<String, List<String>> groups) {
    this.bin = bin;
    this.dir = dir;
    this.tokens = tokens;
    this.groups = groups;
    // Stopped by a signal, the JVM stops the processes and removes the folder, as close() does:
    // an interrupted bench or test leaves neither running processes nor etcd's data behind.
    this.shutdownHook =
        new Thread(
            () -> {
              stopProcesses();
              removeFolder();
            },
            "control-plane-shutdown");
  }

  /**
   * The folder with the binaries: {@value #BIN_ENV}, else the cache that {@code build.sh} fills
   * ({@code ~/.cache/nbsecrets/control-plane/current/bin}); empty when either lacks a binary.
   */
  public static Optional<Path> binaries() {
    String env = System.getenv(BIN_ENV);
    Path candidate =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Path.of(
                System.getProperty("user.home"),
                ".cache",
                "nbsecrets",
                "control-plane",
                "current",
                "bin");
    return BINARIES.stream().allMatch(b -> Files.isExecutable(candidate.resolve(b)))
            && Files.isDirectory(candidate.resolve(GATEWAY_API_CRDS))
        ? Optional.of(candidate)
        : Optional.empty();
  }

  /**
   * Starts etcd, the API server and the controller manager under {@code dir}, and waits until the
   * API server is ready and the controllers have made the {@code default} service account.
   *
   * @param users users who get a static bearer token (see {@link #token}), each with its groups;
   *     "admin" is added, in group system:masters
   */
  public static ControlPlane start(Path bin, Path dir, Map<String, List<String>> users)
      throws IOException {
    return start(bin, dir, users, List.of());
  }

  /**
   * As {@link #start(Path, Path, Map)}, with more flags for kube-controller-manager (for example
   * {@code --kube-api-qps}, which large clusters raise from its default of 20 requests per second).
   */
  public static ControlPlane start(
      Path bin, Path dir, Map<String, List<String>> users, List<String> controllerManagerFlags)
      throws IOException {
    return start(bin, dir, users, controllerManagerFlags, LOOPBACK);
  }

  /**
   * As {@link #start(Path, Path, Map, List)}, with the API server listening on {@code address}
   * instead of loopback, and advertised there as the {@code kubernetes} Service's endpoint: for a
   * real node, whose pods reach it through that Service (kube-proxy).
   */
  public static ControlPlane start(
      Path bin,
      Path dir,
      Map<String, List<String>> users,
      List<String> controllerManagerFlags,
      String address)
      throws IOException {
    Files.createDirectories(dir);
    Map<String, String> tokens = new LinkedHashMap<>();
    Map<String, List<String>> groups = new LinkedHashMap<>();
    SecureRandom random = new SecureRandom();
    tokens.put(ADMIN, randomToken(random));
    groups.put(ADMIN, List.of("system:masters"));
    users.forEach(
        (user, g) -> {
          tokens.putIfAbsent(user, randomToken(random));
          groups.putIfAbsent(user, List.copyOf(g));
        });
    ControlPlane cp = new ControlPlane(bin, dir, tokens, groups);
    cp.controllerManagerFlags.addAll(controllerManagerFlags);
    cp.address = address;
    Runtime.getRuntime().addShutdownHook(cp.shutdownHook);
    try {
      cp.startAll();
      return cp;
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e;
    }
  }

  private void startAll() throws IOException {
    Instant begin = Instant.now();
    Path pki = Files.createDirectories(dir.resolve("pki"));
    KeyPair sa = RsaKeys.generate(2048);
    Path saKey =
        LocalProcesses.writePrivate(pki.resolve("sa.key"), RsaKeys.privateKeyPem(sa.getPrivate()));
    Path saPub = write(pki.resolve("sa.pub"), RsaKeys.publicKeyPem(sa.getPublic()));
    // The API server's client certificate to kubelets (logs, exec, port-forward), from a CA of its
    // own that a node trusts (kubeletClientCaFile).
    var kubeletClients =
        io.nbsecrets.tls.CertificateAuthority.generate(
            "nbsecrets-kubelet-client-ca", java.time.Clock.systemUTC());
    var kubeletClient =
        kubeletClients.issueClient("kube-apiserver-kubelet-client", "system:masters");
    write(kubeletClientCaFile(), io.nbsecrets.tls.Pem.certificate(kubeletClients.certificate()));
    Path kubeletClientCert =
        write(
            pki.resolve("kubelet-client.crt"),
            io.nbsecrets.tls.Pem.certificate(kubeletClient.certificate()));
    Path kubeletClientKey =
        LocalProcesses.writePrivate(
            pki.resolve("kubelet-client.key"),
            io.nbsecrets.tls.Pem.privateKey(kubeletClient.key()));
    StringBuilder csv = new StringBuilder();
    tokens.forEach(
        (user, token) ->
            csv.append(token)
                .append(',')
                .append(user)
                .append(',')
                .append(user)
                .append(
                    groups.get(user).isEmpty()
                        ? ""
                        : ",\"" + String.join(",", groups.get(user)) + "\"")
                .append('\n'));
    Path tokenFile = LocalProcesses.writePrivate(dir.resolve("tokens.csv"), csv.toString());
    Path auditPolicy =
        write(
            dir.resolve("audit-policy.yaml"),
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n");

    int etcdPort = LocalProcesses.freePort();
    int peerPort = LocalProcesses.freePort();
    start(
        "etcd",
        List.of(
            "--name=cp",
            "--data-dir=" + dir.resolve("etcd"),
            "--listen-client-urls=http://127.0.0.1:" + etcdPort,
            "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
            "--listen-peer-urls=http://127.0.0.1:" + peerPort,
            "--initial-advertise-peer-urls=http://127.0.0.1:" + peerPort,
            "--initial-cluster=cp=http://127.0.0.1:" + peerPort,
            "--unsafe-no-fsync",
            "--log-level=warn"));

    apiPort = LocalProcesses.freePort();
    start(
        "kube-apiserver",
        List.of(
            "--etcd-servers=http://127.0.0.1:" + etcdPort,
            "--bind-address=" + address,
            // On loopback, no Service endpoints for the API server itself: nothing reaches it
            // through the kubernetes Service, and a loopback address is refused as an endpoint.
            "--endpoint-reconciler-type=" + (address.equals(LOOPBACK) ? "none" : "lease"),
            "--advertise-address=" + address,
            "--secure-port=" + apiPort,
            "--cert-dir=" + pki,
            "--token-auth-file=" + tokenFile,
            "--authorization-mode=Node,RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=" + saPub,
            "--service-account-signing-key-file=" + saKey,
            "--service-cluster-ip-range=10.96.0.0/16",
            "--audit-policy-file=" + auditPolicy,
            "--audit-log-path=" + auditLog(),
            "--audit-log-mode=blocking",
            "--audit-log-maxsize=0",
            "--kubelet-client-certificate=" + kubeletClientCert,
            "--kubelet-client-key=" + kubeletClientKey,
            // Nodes here have no resolvable name: the kubelet is reached at its --node-ip.
            "--kubelet-preferred-address-types=InternalIP",
            "--v=0"));
    awaitReady();

    Path kubeconfig = kubeconfig(ADMIN);
    List<String> kcm =
        new ArrayList<>(
            List.of(
                "--kubeconfig=" + kubeconfig,
                "--authentication-kubeconfig=" + kubeconfig,
                "--authorization-kubeconfig=" + kubeconfig,
                "--service-account-private-key-file=" + saKey,
                "--root-ca-file=" + caFile(),
                "--use-service-account-credentials=true",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                "--secure-port=" + LocalProcesses.freePort(),
                "--v=0"));
    kcm.addAll(controllerManagerFlags);
    start("kube-controller-manager", kcm);
    try (KubernetesClient admin = client(ADMIN)) {
      awaitDefaultServiceAccount(admin);
    }
    LOG.info(
        "control plane ready at {} in {} ms",
        url(),
        Duration.between(begin, Instant.now()).toMillis());
  }

  /**
   * The CA of the API server's client certificate to kubelets: a node that trusts it serves the API
   * server's requests for logs, exec and port-forward.
   */
  public Path kubeletClientCaFile() {
    return dir.resolve("pki").resolve("kubelet-client-ca.crt");
  }

  /** The API server's URL (https; on loopback unless started with an address). */
  public String url() {
    return "https://" + address + ":" + apiPort;
  }

  /** The CA bundle that signed the API server's certificate. */
  public Path caFile() {
    return dir.resolve("pki").resolve("apiserver.crt");
  }

  /** One JSON line per request: user, verb, URI, response code. */
  public Path auditLog() {
    return dir.resolve("audit.log");
  }

  /** Where a component writes its log. */
  public Path logFile(String component) {
    return dir.resolve(component + ".log");
  }

  /** The Gateway API's CRD files (YAML), to install when a test needs HTTPRoutes. */
  public List<Path> gatewayApiCrds() throws IOException {
    try (var files = Files.list(bin.resolve(GATEWAY_API_CRDS))) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  public Path binary(String name) {
    return bin.resolve(name);
  }

  public Path dir() {
    return dir;
  }

  /** The static bearer token of a user given to {@link #start}, or of "admin". */
  public String token(String user) {
    String token = tokens.get(user);
    if (token == null) {
      throw new IllegalArgumentException("no static token for user " + user);
    }
    return token;
  }

  /** A kubeconfig file for a static user (written once under the control plane's folder). */
  public Path kubeconfig(String user) throws IOException {
    return kubeconfigWithToken(user, token(user));
  }

  /** A kubeconfig file that presents {@code token} (for example a service account's). */
  public Path kubeconfigWithToken(String name, String token) throws IOException {
    String yaml =
        """
        apiVersion: v1
        kind: Config
        clusters:
          - name: control-plane
            cluster:
              server: %s
              certificate-authority: %s
        users:
          - name: %s
            user:
              token: %s
        contexts:
          - name: %s
            context: {cluster: control-plane, user: %s}
        current-context: %s
        """
            .formatted(url(), caFile(), name, token, name, name, name);
    Path file = dir.resolve("kubeconfig-" + name.replaceAll("[^A-Za-z0-9_.-]", "_"));
    return LocalProcesses.writePrivate(file, yaml);
  }

  /** A Fabric8 client of a static user. */
  public KubernetesClient client(String user) {
    return clientWithToken(token(user));
  }

  /** A Fabric8 client that presents {@code token}. */
  public KubernetesClient clientWithToken(String token) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(url())
            .withCaCertFile(caFile().toString())
            .withOauthToken(token)
            .withRequestRetryBackoffLimit(3)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private void awaitReady() throws IOException {
    HttpClient http = null;
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    String last = "no answer";
    while (Instant.now().isBefore(deadline)) {
      checkAlive();
      if (Files.exists(caFile())) {
        try {
          if (http == null) {
            http = HttpClient.newBuilder().sslContext(sslContext()).build();
          }
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(URI.create(url() + "/readyz"))
                      .header("Authorization", "Bearer " + token(ADMIN))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            return;
          }
          last = "HTTP " + r.statusCode();
        } catch (IOException | java.security.GeneralSecurityException e) {
          last = e.getClass().getSimpleName() + ": " + e.getMessage();
          http = null;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for the API server", e);
        }
      }
      sleep(200);
    }
    throw new IOException(
        "kube-apiserver not ready after "
            + START_TIMEOUT.toSeconds()
            + " s ("
            + last
            + "); see "
            + logFile("kube-apiserver"));
  }

  private SSLContext sslContext() throws java.security.GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (var in = Files.newInputStream(caFile())) {
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca" + i++, cert);
      }
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private void awaitDefaultServiceAccount(KubernetesClient admin) throws IOException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      checkAlive();
      if (admin.serviceAccounts().inNamespace("default").withName("default").get() != null) {
        return;
      }
      sleep(200);
    }
    throw new IOException(
        "kube-controller-manager made no default service account in "
            + START_TIMEOUT.toSeconds()
            + " s; see "
            + logFile("kube-controller-manager"));
  }

  private void start(String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(binary(name).toString());
    command.addAll(args);
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(logFile(name).toFile())
            .start();
    synchronized (processes) {
      processes.add(p);
      byName.put(name, p);
    }
  }

  /**
   * The process of component {@code name} ({@code etcd}, {@code kube-apiserver}, {@code
   * kube-controller-manager}), for measurements of its CPU time.
   */
  public ProcessHandle process(String name) {
    synchronized (processes) {
      Process p = byName.get(name);
      if (p == null) {
        throw new IllegalArgumentException("no component " + name + " in " + byName.keySet());
      }
      return p.toHandle();
    }
  }

  private void checkAlive() throws IOException {
    synchronized (processes) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IOException(
              p.info().command().orElse("a control-plane process")
                  + " exited with "
                  + p.exitValue()
                  + "; see the logs in "
                  + dir);
        }
      }
    }
  }

  /** Stops the processes, newest first (controllers, API server, etcd). */
  private void stopProcesses() {
    List<Process> all;
    synchronized (processes) {
      all = new ArrayList<>(processes);
      processes.clear();
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      Process p = all.get(i);
      p.destroy();
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  /** Set to {@code true} to keep the control plane's folder (logs, audit log) after it stops. */
  public static final String KEEP_ENV = "NBSECRETS_KEEP_CONTROL_PLANE";

  @Override
  public void close() {
    stopProcesses();
    removeFolder();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs (and finds nothing left to stop)
    }
  }

  /** Removes the control plane's folder, unless {@value #KEEP_ENV} asks to keep it. */
  private void removeFolder() {
    removeUnlessKept(dir);
  }

  /**
   * Removes {@code folder} and everything in it, unless {@value #KEEP_ENV} asks to keep what a run
   * leaves (logs, audit log); a failure is logged, not thrown, for this runs as a run ends.
   */
  public static void removeUnlessKept(Path folder) {
    if (!"true".equalsIgnoreCase(System.getenv(KEEP_ENV))) {
      try {
        LocalProcesses.deleteTree(folder);
      } catch (java.io.UncheckedIOException e) {
        LOG.warn("could not remove {}: {}", folder, e.getMessage());
      }
    }
  }

  private static String randomToken(SecureRandom random) {
    byte[] b = new byte[24];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static Path write(Path file, String content) throws IOException {
    return Files.writeString(file, content);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted", e));
    }
  }
}
