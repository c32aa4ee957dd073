package io.nbsecrets.dev;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.nbsecrets.init.ApiTrust;
import io.nbsecrets.init.InitException;
import io.nbsecrets.init.InitRunner;
import io.nbsecrets.init.RefreshRunner;
import io.nbsecrets.model.SecretNames;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.Workload;
import io.nbsecrets.util.Hashes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stand-in for the StatefulSet controller and the kubelet, which the mock API server lacks. For
 * each session StatefulSet it creates the pod object, lays out what the kubelet would mount (the
 * sealed Secret's files and a projected token minted by {@link FakeTokenAuthority}), runs the real
 * init step ({@link InitRunner}) with its files going to {@code
 * <dir>/sessions/<namespace>/<session>/}, and reports the pod and StatefulSet status. The session
 * container itself is not run.
 */
public final class FakeKubelet implements AutoCloseable {
  public static final String TEMPLATE_HASH = "dev.nbsecrets.io/template-hash";
  private static final Logger LOG = LoggerFactory.getLogger(FakeKubelet.class);
  private static final long RETRY_MILLIS = 500;

  private final KubernetesClient client;
  private final FakeTokenAuthority tokens;
  private final Path sessionsDir;
  private final Path kubeletDir;
  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fake-kubelet");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, Boolean> queued = new ConcurrentHashMap<>();

  /** Pods whose sealed volume's Secret is gone, by uid: how long until the next try to mount it. */
  private final Map<String, Long> waitingForVolumes = new ConcurrentHashMap<>();

  private static final long MOUNT_RETRY_MILLIS = 500;

  /** The refresh sidecars of live sessions' pods, by pod ({@code namespace/pod}). */
  private final Map<String, ScheduledFuture<?>> sidecars = new ConcurrentHashMap<>();

  /** The resourceVersion of the Secret each pod's sealed volume was last laid out from. */
  private final Map<String, String> laidOut = new ConcurrentHashMap<>();

  private final ScheduledExecutorService sidecarThreads =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fake-kubelet-sidecars");
            t.setDaemon(true);
            return t;
          });
  private SharedIndexInformer<StatefulSet> informer;
  private SharedIndexInformer<Secret> secretInformer;
  private SharedIndexInformer<Pod> podInformer;

  public FakeKubelet(KubernetesClient client, FakeTokenAuthority tokens, Path dir) {
    this.client = client;
    this.tokens = tokens;
    this.sessionsDir = dir.resolve("sessions");
    this.kubeletDir = dir.resolve("kubelet");
  }

  /** Where the files of a session appear. */
  public Path sessionDir(String namespace, String session) {
    return sessionsDir.resolve(namespace).resolve(session);
  }

  public FakeKubelet start() {
    informer =
        KubeletStandIns.informManaged(client.apps().statefulSets(), this::enqueue, this::enqueue);
    // A session Secret updated in place (refresh: Live) reaches its pod's volume, as the kubelet
    // would bring it.
    secretInformer = KubeletStandIns.informManaged(client.secrets(), this::secretChanged, s -> {});
    // A pod deleted (by hand, or by a drain) is made again, as the StatefulSet controller would.
    podInformer = KubeletStandIns.informManaged(client.pods(), p -> {}, this::podDeleted);
    return this;
  }

  private void secretChanged(Secret secret) {
    var labels = secret.getMetadata().getLabels();
    String session = labels == null ? null : labels.get(Labels.SESSION);
    if (session != null) {
      enqueue(secret.getMetadata().getNamespace(), session, 0);
    }
  }

  private void podDeleted(Pod pod) {
    waitingForVolumes.remove(pod.getMetadata().getUid());
    var labels = pod.getMetadata().getLabels();
    String session = labels == null ? null : labels.get(Labels.SESSION);
    if (session != null) {
      enqueue(pod.getMetadata().getNamespace(), session, 0);
    }
  }

  private void enqueue(StatefulSet sts) {
    enqueue(sts.getMetadata().getNamespace(), sts.getMetadata().getName(), 0);
  }

  /**
   * Syncs one StatefulSet's pod on the worker; a failed sync (say, the pod deleted under it) is
   * tried again after a while, as the kubelet and the StatefulSet controller would.
   */
  private void enqueue(String ns, String name, long delayMillis) {
    if (queued.putIfAbsent(ns + "/" + name, Boolean.TRUE) == null) {
      try {
        worker.schedule(
            () -> {
              queued.remove(ns + "/" + name);
              try {
                sync(ns, name);
              } catch (RuntimeException e) {
                LOG.warn(
                    "kubelet stand-in failed on {}/{}, trying again: {}", ns, name, e.getMessage());
                enqueue(ns, name, RETRY_MILLIS);
              }
            },
            delayMillis,
            TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        queued.remove(ns + "/" + name); // closed
      }
    }
  }

  private void sync(String namespace, String name) {
    StatefulSet sts = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
    String podName = Workload.podName(name);
    Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
    if (sts == null) {
      stopSidecar(namespace, podName);
      if (pod != null) {
        client.resource(pod).delete();
      }
      LocalProcesses.deleteTree(sessionDir(namespace, name));
      LocalProcesses.deleteTree(kubeletDir.resolve(namespace).resolve(podName));
      return;
    }
    String templateHash = Hashes.ofJson(sts.getSpec().getTemplate());
    boolean current =
        pod != null
            && templateHash.equals(pod.getMetadata().getAnnotations().get(TEMPLATE_HASH))
            && pod.getStatus() != null;
    if (!current) {
      stopSidecar(namespace, podName);
      if (pod != null) {
        waitingForVolumes.remove(pod.getMetadata().getUid());
        client.resource(pod).delete();
      }
      pod = startPod(sts, podName, templateHash);
    } else if (waitingForVolumes.containsKey(pod.getMetadata().getUid())) {
      pod = startContainers(pod, name);
    } else if (sidecars.containsKey(namespace + "/" + podName)) {
      updateSealedVolume(pod);
    }
    boolean ready = pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
    reportStatefulSet(sts, ready, templateHash);
  }

  private Pod startPod(StatefulSet sts, String podName, String templateHash) {
    String namespace = sts.getMetadata().getNamespace();
    Pod pod =
        client
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName(podName)
                    .withNamespace(namespace)
                    .withLabels(sts.getSpec().getTemplate().getMetadata().getLabels())
                    .addToAnnotations(sts.getSpec().getTemplate().getMetadata().getAnnotations())
                    .addToAnnotations(TEMPLATE_HASH, templateHash)
                    .addNewOwnerReference()
                    .withApiVersion("apps/v1")
                    .withKind("StatefulSet")
                    .withName(sts.getMetadata().getName())
                    .withUid(sts.getMetadata().getUid())
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                    .endOwnerReference()
                    .endMetadata()
                    .withSpec(sts.getSpec().getTemplate().getSpec())
                    .editSpec()
                    .withNodeName("dev-node")
                    .endSpec()
                    .build())
            .create();
    return startContainers(pod, sts.getMetadata().getName());
  }

  /**
   * Mounts the pod's volumes and runs its containers, as the kubelet does once it has the pod; or,
   * when the Secret its sealed volume names is gone, leaves it {@code Pending}, says so in a {@code
   * FailedMount} Event on the pod, and tries again later (and when a session Secret appears), as
   * the kubelet's volume manager does.
   */
  private Pod startContainers(Pod pod, String session) {
    String namespace = pod.getMetadata().getNamespace();
    String podName = pod.getMetadata().getName();
    String uid = pod.getMetadata().getUid();
    Volume sealedVolume =
        pod.getSpec().getVolumes().stream()
            .filter(v -> Workload.SEALED_VOLUME.equals(v.getName()) && v.getSecret() != null)
            .findFirst()
            .orElse(null);
    if (sealedVolume != null
        && client
                .secrets()
                .inNamespace(namespace)
                .withName(sealedVolume.getSecret().getSecretName())
                .get()
            == null) {
      long wait =
          waitingForVolumes.merge(uid, MOUNT_RETRY_MILLIS, (a, b) -> Math.min(2 * a, 4_000));
      KubeletStandIns.mountFailed(client, pod, sealedVolume, "dev-node");
      LOG.warn(
          "pod {}/{}: secret volume {} not found; the pod waits for it",
          namespace,
          podName,
          sealedVolume.getSecret().getSecretName());
      enqueue(namespace, session, wait);
      if (pod.getStatus() == null) {
        pod.setStatus(
            new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Pending")
                .addToConditions(
                    KubeletStandIns.condition(
                        "Ready", false, "ContainersNotReady", Instant.now().toString()))
                .build());
        return client.resource(pod).updateStatus();
      }
      return pod;
    }
    waitingForVolumes.remove(uid);
    String failure = null;
    String launchFailure = null;
    try {
      List<Path> files = runInit(pod, session);
      LOG.info(
          "pod {}/{}: init wrote {} secret files into {}",
          namespace,
          podName,
          files.size(),
          sessionDir(namespace, session));
      launchFailure = launch(pod, session);
      startSidecar(pod, session);
    } catch (InitException e) {
      // What the kubelet reports: the init step's termination message. The session's failure,
      // not the stand-in's: a kubelet reports it in the pod's status.
      failure = InitRunner.terminationMessage(e);
      LOG.warn("pod {}/{}: init container failed: {}", namespace, podName, failure);
    }
    String now = Instant.now().toString();
    pod.setStatus(
        launchFailure != null
            ? new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Running")
                .withStartTime(now)
                .addToConditions(
                    KubeletStandIns.condition("Ready", false, "ContainersNotReady", now))
                .withContainerStatuses(
                    KubeletStandIns.terminated(
                        Workload.SESSION_CONTAINER, sessionImage(pod), 1, launchFailure))
                .build()
            : failure == null
                ? new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                    .withPhase("Running")
                    .withStartTime(now)
                    .addToConditions(KubeletStandIns.condition("Ready", true, null, now))
                    // Per container, as a kubelet reports it (kubectl's READY column counts these).
                    .withContainerStatuses(
                        pod.getSpec().getContainers().stream()
                            .map(c -> KubeletStandIns.running(c.getName(), c.getImage(), now))
                            .toList())
                    .build()
                : new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                    .withPhase("Pending")
                    .withStartTime(now)
                    .addToInitContainerStatuses(
                        KubeletStandIns.initTerminated("nbsecrets", 1, "Error", failure))
                    .build());
    return client.resource(pod).updateStatus();
  }

  /**
   * Runs the session container's launcher, when its command is one ({@link LauncherRun}), and keeps
   * the environment the user's command would have started with in {@link #environFile(String,
   * String)}; returns why the launcher failed, or null.
   */
  private String launch(Pod pod, String session) throws InitException {
    Container container =
        pod.getSpec().getContainers().stream()
            .filter(c -> Workload.SESSION_CONTAINER.equals(c.getName()))
            .findFirst()
            .orElseThrow(() -> new InitException("the pod has no session container"));
    Path podDir = podDir(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
    Optional<LauncherRun.Result> result;
    try {
      result = LauncherRun.run(container, podDir.resolve("env").resolve("env.sh"));
      if (result.isEmpty()) {
        return null;
      }
      LocalProcesses.writePrivate(
          environFile(pod.getMetadata().getNamespace(), session), result.get().environ());
    } catch (IOException e) {
      return "the kubelet stand-in could not run the launcher: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "the kubelet stand-in was interrupted";
    }
    LOG.info(
        "pod {}/{}: the launcher ran {} in place of {} (exit code {})",
        pod.getMetadata().getNamespace(),
        pod.getMetadata().getName(),
        "env -0",
        result.get().userCommand(),
        result.get().exitCode());
    return result.get().exitCode() == 0
        ? null
        : "the launcher exited with code "
            + result.get().exitCode()
            + " before running the command";
  }

  /**
   * Where the stand-in keeps the environment the session's command would have started with (the
   * format of {@code /proc/<pid>/environ}), for a session whose secrets are also variables.
   */
  public Path environFile(String namespace, String session) {
    return podDir(namespace, Workload.podName(session)).resolve("environ");
  }

  /**
   * The environment the command of session {@code namespace/session} would have started with, as
   * the launcher left it; empty when its pod has not run one.
   */
  public Optional<Map<String, String>> environment(String namespace, String session)
      throws IOException {
    Path file = environFile(namespace, session);
    return Files.exists(file)
        ? Optional.of(LauncherRun.parse(Files.readAllBytes(file)))
        : Optional.empty();
  }

  private Path podDir(String namespace, String podName) {
    return kubeletDir.resolve(namespace).resolve(podName);
  }

  private static String sessionImage(Pod pod) {
    return pod.getSpec().getContainers().stream()
        .filter(c -> Workload.SESSION_CONTAINER.equals(c.getName()))
        .map(Container::getImage)
        .findFirst()
        .orElse("");
  }

  /** Lays out the pod's volumes as the kubelet would and runs the init step. */
  private List<Path> runInit(Pod pod, String session) throws InitException {
    String namespace = pod.getMetadata().getNamespace();
    Container init =
        KubeletStandIns.initContainer(pod)
            .orElseThrow(() -> new InitException("the pod has no init container"));
    Path podDir = podDir(namespace, pod.getMetadata().getName());
    LocalProcesses.deleteTree(podDir);
    Path envFile =
        init.getArgs().stream().anyMatch(a -> a.startsWith("--env-file="))
            ? podDir.resolve("env").resolve("env.sh")
            : null;
    Path sealedDir = podDir.resolve("sealed");
    Path tokenFile = podDir.resolve("token").resolve("token");
    Path target = sessionDir(namespace, session);
    LocalProcesses.deleteTree(target);
    try {
      // Private to this process's user, each level: the token in them gets the user's key.
      for (Path d :
          List.of(kubeletDir, podDir.getParent(), podDir, sealedDir, tokenFile.getParent())) {
        LocalProcesses.privateDir(d);
      }
      if (envFile != null) {
        LocalProcesses.privateDir(envFile.getParent());
      }
      for (Path d : List.of(sessionsDir, target.getParent(), target)) {
        LocalProcesses.privateDir(d);
      }
      Volume sealed = volume(pod, Workload.SEALED_VOLUME);
      Secret secret =
          client
              .secrets()
              .inNamespace(namespace)
              .withName(sealed.getSecret().getSecretName())
              .get();
      if (secret == null) {
        throw new InitException(
            "secret volume "
                + sealed.getSecret().getSecretName()
                + " not found (pod cannot start)");
      }
      layOut(secret, sealedDir);
      laidOut.put(
          namespace + "/" + pod.getMetadata().getName(), secret.getMetadata().getResourceVersion());
      writeToken(pod, tokenFile);
    } catch (IOException e) {
      throw new InitException("kubelet stand-in cannot lay out volumes: " + e.getMessage());
    }
    String manifest = env(init, Workload.FILES_ENV).orElse(null);
    String ca = env(init, Workload.API_CA_ENV).orElse("");
    return InitRunner.run(
        new InitRunner.Options(
            arg(init, "--api-url"),
            sealedDir,
            tokenFile,
            target,
            manifest,
            "r--------",
            new ApiTrust(ca, "", init.getArgs().contains("--allow-insecure-http")),
            envFile));
  }

  /** The Secret's keys in the sealed volume's folder, as the kubelet's atomic writer lays them. */
  private static void layOut(Secret secret, Path sealedDir) throws InitException, IOException {
    Map<String, byte[]> data = new java.util.LinkedHashMap<>();
    if (secret.getData() != null) {
      for (var e : secret.getData().entrySet()) {
        volumeFile(sealedDir, e.getKey(), secret.getMetadata().getName());
        data.put(e.getKey(), Base64.getDecoder().decode(e.getValue()));
      }
    }
    AtomicVolume.write(sealedDir, data, PosixFilePermissions.fromString("r--------"));
  }

  /** A fresh projected token for the pod, as the kubelet keeps it renewed. */
  private void writeToken(Pod pod, Path tokenFile) throws InitException, IOException {
    Volume tokenVolume = volume(pod, Workload.TOKEN_VOLUME);
    var projected = tokenVolume.getProjected().getSources().get(0).getServiceAccountToken();
    String token =
        tokens.podToken(
            pod.getMetadata().getNamespace(),
            KubeletStandIns.serviceAccount(pod),
            pod.getMetadata().getName(),
            pod.getMetadata().getUid(),
            projected.getAudience(),
            Duration.ofSeconds(projected.getExpirationSeconds()));
    LocalProcesses.replacePrivate(tokenFile, token);
  }

  /**
   * When the Secret a running pod mounts has changed (a live session's, updated in place), lays its
   * new keys out in the pod's sealed volume — and renews the token, which the refresh sidecar
   * presents next — as the kubelet's periodic sync would.
   */
  private void updateSealedVolume(Pod pod) {
    String ns = pod.getMetadata().getNamespace();
    String key = ns + "/" + pod.getMetadata().getName();
    try {
      Volume sealed = volume(pod, Workload.SEALED_VOLUME);
      Secret secret =
          client.secrets().inNamespace(ns).withName(sealed.getSecret().getSecretName()).get();
      if (secret == null || secret.getMetadata().getResourceVersion().equals(laidOut.get(key))) {
        return;
      }
      Path podDir = podDir(ns, pod.getMetadata().getName());
      writeToken(pod, podDir.resolve("token").resolve("token"));
      layOut(secret, podDir.resolve("sealed"));
      laidOut.put(key, secret.getMetadata().getResourceVersion());
      LOG.info(
          "pod {}: secret volume {} updated to resourceVersion {}",
          key,
          secret.getMetadata().getName(),
          secret.getMetadata().getResourceVersion());
    } catch (InitException | IOException e) {
      LOG.warn("pod {}: cannot update the secret volume: {}", key, e.getMessage());
    }
  }

  /**
   * Runs the pod's refresh sidecar ({@code nbsecrets refresh}, a {@link RefreshRunner} on the
   * stand-in's paths) every {@code --interval}, when the pod has one.
   */
  private void startSidecar(Pod pod, String session) {
    Optional<Container> sidecar =
        pod.getSpec().getInitContainers().stream()
            .filter(c -> Workload.REFRESH_CONTAINER.equals(c.getName()))
            .findFirst();
    if (sidecar.isEmpty()) {
      return;
    }
    String ns = pod.getMetadata().getNamespace();
    Path podDir = podDir(ns, pod.getMetadata().getName());
    Container c = sidecar.get();
    Duration interval =
        c.getArgs().stream()
            .filter(a -> a.startsWith("--interval="))
            .map(a -> Duration.parse(a.substring("--interval=".length())))
            .findFirst()
            .orElse(Duration.ofSeconds(2));
    RefreshRunner runner;
    try {
      runner =
          new RefreshRunner(
              new InitRunner.Options(
                  arg(c, "--api-url"),
                  podDir.resolve("sealed"),
                  podDir.resolve("token").resolve("token"),
                  sessionDir(ns, session),
                  null,
                  "r--------",
                  new ApiTrust(
                      env(c, Workload.API_CA_ENV).orElse(""),
                      "",
                      c.getArgs().contains("--allow-insecure-http")),
                  c.getArgs().stream().anyMatch(a -> a.startsWith("--env-file="))
                      ? podDir.resolve("env").resolve("env.sh")
                      : null));
    } catch (InitException e) {
      LOG.warn(
          "pod {}/{}: cannot run the refresh sidecar: {}",
          ns,
          pod.getMetadata().getName(),
          e.getMessage());
      return;
    }
    String key = ns + "/" + pod.getMetadata().getName();
    sidecars.put(
        key,
        sidecarThreads.scheduleWithFixedDelay(
            () -> {
              try {
                RefreshRunner.Outcome o = runner.refreshIfChanged();
                if (o.changed()) {
                  LOG.info(
                      "pod {}: refresh sidecar wrote {} files, removed {}",
                      key,
                      o.written(),
                      o.removed());
                }
              } catch (InitException e) {
                LOG.warn("pod {}: refresh sidecar failed, trying again: {}", key, e.getMessage());
              } catch (RuntimeException e) {
                LOG.warn("pod {}: refresh sidecar failed, trying again: {}", key, e.toString());
              }
            },
            0,
            interval.toMillis(),
            TimeUnit.MILLISECONDS));
  }

  private void stopSidecar(String namespace, String podName) {
    ScheduledFuture<?> f = sidecars.remove(namespace + "/" + podName);
    if (f != null) {
      f.cancel(false);
    }
    laidOut.remove(namespace + "/" + podName);
  }

  /**
   * The file of a Secret key in a volume folder. The mock API server takes any key, the real one
   * only keys a file may be named by (Kubernetes' rule for Secret keys, {@link
   * SecretNames#secretKeyProblem}); a key such as {@code ../../x} must not write outside the
   * folder.
   */
  static Path volumeFile(Path volumeDir, String key, String secretName) throws InitException {
    var problem = SecretNames.secretKeyProblem(key);
    if (problem.isPresent()) {
      throw new InitException(
          "secret volume "
              + secretName
              + " has a key that is not a file name (the API server would refuse the Secret): "
              + problem.get());
    }
    Path f = volumeDir.resolve(key).normalize();
    if (!volumeDir.equals(f.getParent())) {
      throw new InitException("secret volume " + secretName + " has a key outside its folder");
    }
    return f;
  }

  private static Volume volume(Pod pod, String name) throws InitException {
    return KubeletStandIns.volume(pod, name)
        .orElseThrow(() -> new InitException("the pod has no volume " + name));
  }

  private static Optional<String> env(Container c, String name) {
    return KubeletStandIns.env(c).stream()
        .filter(e -> name.equals(e.getName()))
        .map(EnvVar::getValue)
        .findFirst();
  }

  private static String arg(Container c, String flag) throws InitException {
    return c.getArgs().stream()
        .filter(a -> a.startsWith(flag + "="))
        .map(a -> a.substring(flag.length() + 1))
        .findFirst()
        .orElseThrow(() -> new InitException("the init container has no " + flag));
  }

  private void reportStatefulSet(StatefulSet sts, boolean ready, String templateHash) {
    String revision = sts.getMetadata().getName() + "-" + templateHash.substring(0, 10);
    var status =
        new StatefulSetStatusBuilder()
            .withReplicas(1)
            .withReadyReplicas(ready ? 1 : 0)
            .withAvailableReplicas(ready ? 1 : 0)
            .withCurrentReplicas(1)
            .withUpdatedReplicas(1)
            .withCurrentRevision(revision)
            .withUpdateRevision(revision)
            .withObservedGeneration(sts.getMetadata().getGeneration())
            .build();
    if (Objects.equals(status, sts.getStatus())) {
      return;
    }
    sts.setStatus(status);
    client.resource(sts).updateStatus();
  }

  /**
   * Stops, and removes every session's files and every pod's volumes (sealed values, tokens): the
   * dev environment is gone, so nothing on disk should outlive it.
   */
  @Override
  public void close() {
    if (secretInformer != null) {
      secretInformer.close();
    }
    if (podInformer != null) {
      podInformer.close();
    }
    sidecars.values().forEach(f -> f.cancel(false));
    sidecarThreads.shutdownNow();
    try {
      sidecarThreads.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!KubeletStandIns.stop(informer, worker) && !Thread.currentThread().isInterrupted()) {
      LOG.warn("kubelet stand-in still busy after 10 s; removing its files anyway");
    }
    LocalProcesses.deleteTree(sessionsDir);
    LocalProcesses.deleteTree(kubeletDir);
  }
}
