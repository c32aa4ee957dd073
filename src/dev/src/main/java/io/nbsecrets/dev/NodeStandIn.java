package io.nbsecrets.dev;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.Workload;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Stands in for the kubelet, which this tier does not have, for the session pods that the real
 * StatefulSet controller creates: it lays out the pod's volumes as the kubelet would (the sealed
 * Secret's keys as files with the volume's mode, a projected token that the real API server issues
 * through TokenRequest — audience and lifetime from the pod spec, bound to this pod), runs the
 * pod's init container as the real {@code init} subcommand in a process, and reports the outcome in
 * the pod's status (Ready, or the init container's termination with its message). The session
 * container itself is not run; its command, when it is the env launcher, is ({@link LauncherRun}).
 *
 * <p>A {@code refresh: Live} session's pod has a refresh sidecar: it is run as the real {@code
 * refresh} subcommand in a process for the pod's life. The sealed volume is laid out as the
 * kubelet's atomic writer does ({@link AtomicVolume}); when the Secret it mounts changes (the
 * operator updates a live session's Secret in place), the stand-in lays out the new keys and renews
 * the projected token (TokenRequest again), as the kubelet's periodic sync would — at once on the
 * watch event, where a real kubelet takes up to its sync period plus its cache's TTL (about a
 * minute by default).
 *
 * <p>The init container's {@code --api-url} names the API's Service; {@code serviceUrls} maps it to
 * where the API process listens, as cluster DNS and the Service would.
 */
public final class NodeStandIn implements AutoCloseable {
  private final ControlPlane cp;
  private final boolean runInitSteps;
  private final KubernetesClient admin;
  private final UnaryOperator<String> serviceUrls;
  private final Path sessions;
  private final ExecutorService worker = Executors.newSingleThreadExecutor();

  /** Pods whose sealed volume's Secret is gone, by uid, until a Secret of its name appears. */
  private final Map<String, Pod> waitingForVolumes = new ConcurrentHashMap<>();

  private final Map<String, Path> filesByPod = new ConcurrentHashMap<>();
  private final Map<String, Path> podDirs = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> environments = new ConcurrentHashMap<>();
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private final List<String> initLogs = new ArrayList<>();

  /** Running refresh sidecars, by pod ({@code namespace/name}); their logs beside them. */
  private final Map<String, Process> sidecars = new ConcurrentHashMap<>();

  private final Map<String, Path> sidecarLogs = new ConcurrentHashMap<>();

  /** The resourceVersion of the Secret last laid out in each pod's sealed volume. */
  private final Map<String, String> laidOut = new ConcurrentHashMap<>();

  private SharedIndexInformer<Pod> informer;
  private SharedIndexInformer<Secret> secretInformer;

  /**
   * @param serviceUrls maps the init container's {@code --api-url} to where the API listens
   * @param sessions where the files of session {@code <namespace>/<name>} go: {@code
   *     sessions/<namespace>/<name>/}, as in the mock dev mode
   */
  public NodeStandIn(ControlPlane cp, UnaryOperator<String> serviceUrls, Path sessions) {
    this(cp, serviceUrls, sessions, true);
  }

  /**
   * @param runInitSteps false to report each session pod Ready at once without running its init
   *     step (for scale measurements of the control plane and the operator, where a real cluster's
   *     nodes would run the init steps elsewhere; the pod's status says so)
   */
  public NodeStandIn(
      ControlPlane cp, UnaryOperator<String> serviceUrls, Path sessions, boolean runInitSteps) {
    this.runInitSteps = runInitSteps;
    this.cp = cp;
    this.admin = cp.client(ControlPlane.ADMIN);
    this.serviceUrls = serviceUrls;
    this.sessions = sessions;
  }

  public NodeStandIn start() {
    informer = KubeletStandIns.informManaged(admin.pods(), this::submit, this::forget);
    secretInformer =
        KubeletStandIns.informManaged(
            admin.secrets(), s -> worker.submit(() -> secretChanged(s)), s -> {});
    return this;
  }

  /** Removes what the init step of a deleted pod left: its sidecar, files and volumes. */
  private void forget(Pod pod) {
    waitingForVolumes.remove(pod.getMetadata().getUid());
    stopSidecar(key(pod));
    laidOut.remove(key(pod));
    Path files = filesByPod.remove(key(pod));
    if (files != null) {
      LocalProcesses.deleteTree(files);
    }
    environments.remove(key(pod));
    Path podDir = podDirs.remove(key(pod));
    if (podDir != null) {
      LocalProcesses.deleteTree(podDir);
    }
  }

  /** The folder where the init step of the current pod {@code namespace/name} wrote its files. */
  public Path files(String namespace, String pod) {
    return filesByPod.get(namespace + "/" + pod);
  }

  /**
   * The environment the session command of the current pod {@code namespace/name} would have
   * started with, when its command is the env launcher ({@link LauncherRun}); else null.
   */
  public Map<String, String> environment(String namespace, String pod) {
    return environments.get(namespace + "/" + pod);
  }

  /** Every init step's and refresh sidecar's output so far (for the leak scan). */
  public synchronized String initLogs() {
    List<String> all = new ArrayList<>(initLogs);
    for (Path log : sidecarLogs.values()) {
      all.add(readLog(log));
    }
    return String.join("\n", all);
  }

  /** Whether the refresh sidecar of pod {@code namespace/name} is running. */
  public boolean sidecarRunning(String namespace, String pod) {
    Process p = sidecars.get(namespace + "/" + pod);
    return p != null && p.isAlive();
  }

  public synchronized int initRuns() {
    return initLogs.size();
  }

  private void submit(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null
        || pod.getStatus() != null && pod.getStatus().getStartTime() != null
        || !handled.add(pod.getMetadata().getUid())) {
      return;
    }
    worker.submit(() -> run(pod));
  }

  private void run(Pod pod) {
    try {
      if (runInitSteps && !sealedVolumeMounts(pod)) {
        return;
      }
      PodStatus status = runInitSteps ? runInit(pod) : readyWithoutInit(pod);
      for (int attempt = 0; attempt < 5; attempt++) {
        Pod current =
            admin
                .pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .get();
        if (current == null || !current.getMetadata().getUid().equals(pod.getMetadata().getUid())) {
          return;
        }
        current.setStatus(status);
        try {
          admin.resource(current).updateStatus();
          return;
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
        }
      }
    } catch (Exception e) {
      System.err.println("[node stand-in] pod " + key(pod) + ": " + e);
    }
  }

  /**
   * Whether the Secret of the pod's sealed volume is there; when it is not, the pod waits for it
   * (until a Secret of that name appears) and a {@code FailedMount} Event says so, as the kubelet
   * does.
   */
  private boolean sealedVolumeMounts(Pod pod) {
    Optional<Volume> sealed = KubeletStandIns.volume(pod, Workload.SEALED_VOLUME);
    if (sealed.isEmpty() || sealed.get().getSecret() == null) {
      return true;
    }
    String name = sealed.get().getSecret().getSecretName();
    if (admin.secrets().inNamespace(pod.getMetadata().getNamespace()).withName(name).get()
        != null) {
      waitingForVolumes.remove(pod.getMetadata().getUid());
      return true;
    }
    waitingForVolumes.put(pod.getMetadata().getUid(), pod);
    KubeletStandIns.mountFailed(admin, pod, sealed.get(), "nbsecrets-node-stand-in");
    System.err.println(
        "[node stand-in] pod " + key(pod) + ": secret volume " + name + " not found; waiting");
    return false;
  }

  /** A session pod's status as if its init step had succeeded, which was not run. */
  private static PodStatus readyWithoutInit(Pod pod) {
    Container init = KubeletStandIns.initContainer(pod).orElseThrow();
    return ready(
        pod,
        List.of(
            KubeletStandIns.initTerminated(
                init.getImage(), 0, "Completed", "not run: scale measurement")),
        Instant.now().toString());
  }

  /** A running, ready session pod's status, its init containers' as given. */
  private static PodStatus ready(Pod pod, List<ContainerStatus> initStatuses, String now) {
    return new PodStatusBuilder()
        .withPhase("Running")
        .withStartTime(now)
        .withConditions(
            KubeletStandIns.condition("Initialized", true, null, now),
            KubeletStandIns.condition("ContainersReady", true, null, now),
            KubeletStandIns.condition("Ready", true, null, now))
        .withInitContainerStatuses(initStatuses)
        .withContainerStatuses(
            KubeletStandIns.running(
                Workload.SESSION_CONTAINER,
                pod.getSpec().getContainers().stream()
                    .filter(c -> Workload.SESSION_CONTAINER.equals(c.getName()))
                    .map(Container::getImage)
                    .findFirst()
                    .orElse(""),
                now))
        .build();
  }

  private PodStatus runInit(Pod pod) throws IOException, InterruptedException {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    // Private to this process's user: the token in it gets the user's key for ten minutes.
    Path kubelet = LocalProcesses.privateDir(cp.dir().resolve("kubelet"));
    Path podDir =
        LocalProcesses.privateDir(
            kubelet.resolve(ns + "_" + name + "_" + pod.getMetadata().getUid()));
    podDirs.put(key(pod), podDir);
    Container init = KubeletStandIns.initContainer(pod).orElseThrow();
    Path sealed = LocalProcesses.privateDir(podDir.resolve("sealed"));
    Path tokenDir = LocalProcesses.privateDir(podDir.resolve("token"));
    String session = pod.getMetadata().getLabels().getOrDefault(Labels.SESSION, name);
    Path files = sessions.resolve(ns).resolve(session);
    LocalProcesses.deleteTree(files);
    Files.createDirectories(files);
    Path tmp = LocalProcesses.privateDir(podDir.resolve("tmp"));

    Volume sealedVolume = volume(pod, Workload.SEALED_VOLUME);
    Secret secret =
        admin.secrets().inNamespace(ns).withName(sealedVolume.getSecret().getSecretName()).get();
    Set<PosixFilePermission> mode =
        PosixFilePermissions.fromString(
            mode(
                sealedVolume.getSecret().getDefaultMode() == null
                    ? 0644
                    : sealedVolume.getSecret().getDefaultMode()));
    // The folder is private anyway: the volume's mode is what the init step sees.
    layOut(secret, sealed, mode);
    laidOut.put(key(pod), secret.getMetadata().getResourceVersion());
    writeToken(pod, tokenDir);

    Path envFile = podDir.resolve("env").resolve("env.sh");
    List<String> args = podStepArgs(init, sealed, tokenDir, files, envFile);
    // The kubelet's terminationMessagePath: a file it provides, read back into the status.
    Path terminationLog = podDir.resolve("termination-log");
    Files.deleteIfExists(terminationLog);
    Files.createFile(terminationLog);
    args.add("--termination-log=" + terminationLog);
    Path log = podDir.resolve("init.log");
    ProcessBuilder pb = LocalProcesses.mainClass("128m", tmp, args, log);
    for (EnvVar e : KubeletStandIns.env(init)) {
      pb.environment().put(e.getName(), e.getValue());
    }
    Process p = pb.start();
    boolean done = p.waitFor(90, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    synchronized (this) {
      initLogs.add(output);
    }
    String now = Instant.now().toString();
    if (done && p.exitValue() == 0) {
      filesByPod.put(ns + "/" + name, files);
      Container notebook =
          pod.getSpec().getContainers().stream()
              .filter(c -> Workload.SESSION_CONTAINER.equals(c.getName()))
              .findFirst()
              .orElseThrow();
      var launched = LauncherRun.run(notebook, envFile);
      if (launched.isPresent() && launched.get().exitCode() != 0) {
        return new PodStatusBuilder()
            .withPhase("Running")
            .withStartTime(now)
            .withConditions(KubeletStandIns.condition("Ready", false, "ContainersNotReady", now))
            .withInitContainerStatuses(
                KubeletStandIns.initTerminated(init.getImage(), 0, "Completed", null))
            .withContainerStatuses(
                KubeletStandIns.terminated(
                    Workload.SESSION_CONTAINER,
                    notebook.getImage(),
                    launched.get().exitCode(),
                    "the launcher exited with code " + launched.get().exitCode()))
            .build();
      }
      launched.ifPresent(r -> environments.put(ns + "/" + name, r.environment()));
      List<ContainerStatus> initStatuses = new ArrayList<>();
      initStatuses.add(KubeletStandIns.initTerminated(init.getImage(), 0, "Completed", null));
      Optional<Container> sidecar = sidecar(pod);
      if (sidecar.isPresent()) {
        startSidecar(
            pod, sidecar.get(), podStepArgs(sidecar.get(), sealed, tokenDir, files, envFile));
        initStatuses.add(
            KubeletStandIns.running(Workload.REFRESH_CONTAINER, sidecar.get().getImage(), now));
      }
      return ready(pod, initStatuses, now);
    }
    String message = Files.readString(terminationLog, StandardCharsets.UTF_8);
    return new PodStatusBuilder()
        .withPhase("Pending")
        .withStartTime(now)
        .withConditions(
            KubeletStandIns.condition("Initialized", false, "ContainersNotInitialized", now),
            KubeletStandIns.condition("Ready", false, "ContainersNotInitialized", now))
        .withInitContainerStatuses(
            KubeletStandIns.initTerminated(
                init.getImage(), done ? p.exitValue() : 137, "Error", message))
        .build();
  }

  /**
   * A pod step's arguments (the init step's or the refresh sidecar's) on this node's paths: the
   * volumes' folders, the env file, the API where it listens.
   */
  private List<String> podStepArgs(
      Container c, Path sealed, Path tokenDir, Path files, Path envFile) throws IOException {
    List<String> args = new ArrayList<>();
    for (String a : c.getArgs()) {
      if (a.startsWith("--env-file=")) {
        LocalProcesses.privateDir(envFile.getParent());
        args.add("--env-file=" + envFile);
        continue;
      }
      args.add(rewrite(a, sealed, tokenDir, files));
      if (a.startsWith("--api-url=https://")) {
        // The API listens on a loopback port; its certificate still names the Service, which is
        // what the pod step must verify (as curl's --connect-to would).
        args.add(
            "--api-tls-server-name=" + URI.create(a.substring("--api-url=".length())).getHost());
      }
    }
    return args;
  }

  /** The Secret's keys in the sealed volume's folder, as the kubelet's atomic writer lays them. */
  private static void layOut(Secret secret, Path sealed, Set<PosixFilePermission> mode)
      throws IOException {
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> data.put(k, Base64.getDecoder().decode(v)));
    }
    AtomicVolume.write(sealed, data, mode);
  }

  /** A projected token from the real API server (TokenRequest), bound to the pod, in its volume. */
  private void writeToken(Pod pod, Path tokenDir) throws IOException {
    LocalProcesses.replacePrivate(
        tokenDir.resolve(projectedToken(pod).getPath()), podToken(admin, pod));
  }

  /** The pod's projected service-account token source (audience, lifetime, path). */
  private static ServiceAccountTokenProjection projectedToken(Pod pod) {
    return volume(pod, Workload.TOKEN_VOLUME)
        .getProjected()
        .getSources()
        .get(0)
        .getServiceAccountToken();
  }

  /**
   * The token the kubelet would mount in {@code pod}'s projected token volume: its audience and
   * lifetime, bound to the pod.
   */
  public static String podToken(KubernetesClient admin, Pod pod) {
    ServiceAccountTokenProjection projected = projectedToken(pod);
    return podToken(admin, pod, projected.getAudience(), projected.getExpirationSeconds());
  }

  /**
   * A token for {@code pod}'s service account, bound to the pod, as the kubelet requests for a
   * projected volume (TokenRequest, as an admin).
   */
  public static String podToken(
      KubernetesClient admin, Pod pod, String audience, Long expirationSeconds) {
    return KubeletStandIns.requestToken(
        admin,
        pod.getMetadata().getNamespace(),
        KubeletStandIns.serviceAccount(pod),
        new TokenRequestSpecBuilder()
            .withAudiences(audience)
            .withExpirationSeconds(expirationSeconds)
            .withNewBoundObjectRef()
            .withApiVersion("v1")
            .withKind("Pod")
            .withName(pod.getMetadata().getName())
            .withUid(pod.getMetadata().getUid())
            .endBoundObjectRef()
            .build());
  }

  private static Optional<Container> sidecar(Pod pod) {
    return pod.getSpec().getInitContainers().stream()
        .filter(c -> Workload.REFRESH_CONTAINER.equals(c.getName()))
        .findFirst();
  }

  /** Runs the refresh sidecar as the real {@code refresh} subcommand, until the pod goes. */
  private void startSidecar(Pod pod, Container sidecar, List<String> args) throws IOException {
    Path podDir = podDirs.get(key(pod));
    Path log = podDir.resolve("refresh.log");
    ProcessBuilder pb =
        LocalProcesses.mainClass(
            "128m", LocalProcesses.privateDir(podDir.resolve("tmp")), args, log);
    for (EnvVar e : KubeletStandIns.env(sidecar)) {
      pb.environment().put(e.getName(), e.getValue());
    }
    sidecarLogs.put(key(pod), log);
    sidecars.put(key(pod), pb.start());
  }

  private void stopSidecar(String podKey) {
    Process p = sidecars.remove(podKey);
    if (p != null) {
      p.destroy();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Path log = sidecarLogs.remove(podKey);
    if (log != null) {
      synchronized (this) {
        initLogs.add(readLog(log));
      }
    }
  }

  private static String readLog(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * A Secret changed: each running pod that mounts it as its sealed volume gets the new keys laid
   * out, and a renewed token first (what the sidecar presents next).
   */
  private void secretChanged(Secret secret) {
    String ns = secret.getMetadata().getNamespace();
    // A pod waiting for this Secret mounts it now.
    for (Pod waiting : List.copyOf(waitingForVolumes.values())) {
      Optional<Volume> sealed = KubeletStandIns.volume(waiting, Workload.SEALED_VOLUME);
      if (ns.equals(waiting.getMetadata().getNamespace())
          && sealed.isPresent()
          && sealed.get().getSecret() != null
          && secret.getMetadata().getName().equals(sealed.get().getSecret().getSecretName())) {
        waitingForVolumes.remove(waiting.getMetadata().getUid());
        worker.submit(() -> run(waiting));
      }
    }
    for (Pod pod : informer.getStore().list()) {
      String podKey = key(pod);
      Path podDir = podDirs.get(podKey);
      Optional<Volume> sealed = KubeletStandIns.volume(pod, Workload.SEALED_VOLUME);
      if (!ns.equals(pod.getMetadata().getNamespace())
          || podDir == null
          || !filesByPod.containsKey(podKey)
          || sealed.isEmpty()
          || !secret.getMetadata().getName().equals(sealed.get().getSecret().getSecretName())
          || secret.getMetadata().getResourceVersion().equals(laidOut.get(podKey))) {
        continue;
      }
      try {
        writeToken(pod, podDir.resolve("token"));
        Integer mode = sealed.get().getSecret().getDefaultMode();
        layOut(
            secret,
            podDir.resolve("sealed"),
            PosixFilePermissions.fromString(mode(mode == null ? 0644 : mode)));
        laidOut.put(podKey, secret.getMetadata().getResourceVersion());
      } catch (IOException | KubernetesClientException e) {
        System.err.println("[node stand-in] pod " + podKey + ": cannot update the volume: " + e);
      }
    }
  }

  private String rewrite(String arg, Path sealed, Path tokenDir, Path files) {
    if (arg.startsWith("--api-url=")) {
      return "--api-url=" + serviceUrls.apply(arg.substring("--api-url=".length()));
    }
    if (arg.startsWith("--sealed-dir=")) {
      return "--sealed-dir=" + sealed;
    }
    if (arg.startsWith("--token-file=")) {
      return "--token-file="
          + tokenDir.resolve(Path.of(arg.substring("--token-file=".length())).getFileName());
    }
    if (arg.startsWith("--mount-path=")) {
      return "--mount-path=" + files;
    }
    return arg;
  }

  private static Volume volume(Pod pod, String name) {
    return KubeletStandIns.volume(pod, name)
        .orElseThrow(() -> new IllegalStateException("pod has no volume " + name));
  }

  private static String mode(int octal) {
    String rwx = "rwxrwxrwx";
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      s.append((octal & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return s.toString();
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  @Override
  public void close() {
    if (secretInformer != null) {
      secretInformer.close();
    }
    KubeletStandIns.stop(informer, worker);
    List.copyOf(sidecars.keySet()).forEach(this::stopSidecar);
    admin.close();
  }
}
