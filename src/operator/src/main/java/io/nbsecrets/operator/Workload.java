package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.nbsecrets.init.SecretFiles;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.util.Hashes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Desired StatefulSet (one replica) and Service of a session. Pure functions of the session, the
 * session Secret's name and manifest, the operator config and what the StatefulSet carries for the
 * operator ({@link WorkloadStep#carried}): equal inputs give equal objects, so the hash annotation
 * detects every change and nothing else. The StatefulSet is built in named steps, each its own
 * class: {@link WorkloadBase}, {@link PodSettings}, {@link InitContainer}, {@link
 * SessionContainer}, {@link WorkloadVolumes}, {@link RefreshSidecar} and {@link EnvLauncher}.
 */
public final class Workload {
  public static final String SESSION_CONTAINER = "notebook";
  public static final String INIT_CONTAINER = "nbsecrets-init";

  /** The sidecar of a {@code refresh: Live} session ({@link RefreshSidecar}). */
  public static final String REFRESH_CONTAINER = "nbsecrets-refresh";

  public static final String FILES_VOLUME = "nbsecrets-files";
  public static final String SEALED_VOLUME = "nbsecrets-sealed";
  public static final String TOKEN_VOLUME = "nbsecrets-token";
  public static final String TMP_VOLUME = "nbsecrets-tmp";
  public static final String SEALED_DIR = "/var/run/nbsecrets/sealed";
  public static final String TOKEN_DIR = "/var/run/nbsecrets/token";
  public static final String TOKEN_FILE = TOKEN_DIR + "/token";

  /** The in-memory volume of the variables a session exports (only in such sessions' pods). */
  public static final String ENV_VOLUME = "nbsecrets-env";

  public static final String ENV_DIR = "/var/run/nbsecrets/env";
  public static final String ENV_FILE = ENV_DIR + "/env.sh";

  /** Names the variables' file for the launcher, which unsets it before running the command. */
  public static final String ENV_FILE_VARIABLE = "NBSECRETS_ENV_FILE";

  /**
   * {@code $0} of the launcher's shell ({@link EnvLauncher}): the session container's command is
   * {@code /bin/sh -c <launcher> nbsecrets-launcher <the user's command...>}.
   */
  public static final String LAUNCHER_NAME = "nbsecrets-launcher";

  /** Only in pods of snapshots taken before the manifest moved into the Secret (see below). */
  public static final String FILES_ENV = SecretFiles.LEGACY_MANIFEST_ENV;

  public static final String API_CA_ENV = "NBSECRETS_API_CA";

  public static final long TOKEN_EXPIRATION_SECONDS = 600;

  private Workload() {}

  public static String podName(String session) {
    return session + "-0";
  }

  /** The session's StatefulSet, from the snapshot it mounts ({@link WorkloadInputs}). */
  /**
   * The StatefulSet, step by step: the pod-wide settings, the init container, the session
   * container, the volumes, then the refresh sidecar and the env launcher; around them the
   * StatefulSet's base; last the hash of it all.
   */
  public static StatefulSet statefulSet(WorkloadInputs in) {
    return statefulSet(in, Map.of());
  }

  /**
   * The StatefulSet, carrying {@code annotations} for the operator (its snapshot's record, the
   * Secret it superseded): in the desired hash, so a change to them is written.
   */
  static StatefulSet statefulSet(WorkloadInputs in, Map<String, String> annotations) {
    PodSpec pod = EnvLauncher.apply(in, RefreshSidecar.apply(in, basePod(in)));
    return withDesiredHash(WorkloadBase.statefulSet(in, pod, annotations));
  }

  /** The pod of the first steps: settings, init container, session container, volumes. */
  static PodSpec basePod(WorkloadInputs in) {
    return new PodSpecBuilder(PodSettings.podSpec(in))
        .withInitContainers(InitContainer.container(in))
        .withContainers(SessionContainer.container(in))
        .withVolumes(WorkloadVolumes.volumes(in))
        .build();
  }

  /** Whether {@code sts} (may be null) mounts Secret {@code secretName} as the sealed volume. */
  static boolean mountsSecret(StatefulSet sts, String secretName) {
    return secretName.equals(mountedSecret(sts));
  }

  /** The Secret {@code sts} (may be null) mounts as the sealed volume; null when none. */
  static String mountedSecret(StatefulSet sts) {
    if (sts == null || sts.getSpec() == null || sts.getSpec().getTemplate() == null) {
      return null;
    }
    var volumes = sts.getSpec().getTemplate().getSpec().getVolumes();
    if (volumes == null) {
      return null;
    }
    return volumes.stream()
        .filter(v -> SEALED_VOLUME.equals(v.getName()) && v.getSecret() != null)
        .map(v -> v.getSecret().getSecretName())
        .findFirst()
        .orElse(null);
  }

  /**
   * What the operator keeps of a StatefulSet (its client reads each one so: {@link SlimReaders}):
   * what a reconcile reads of it, its metadata (without managed fields: the annotations the
   * workload step compares, the snapshot record, the owners), its pod management policy ({@link
   * WorkloadBase#parallelPods}), its sealed volume ({@link #mountedSecret}) and its status ({@link
   * SessionStatusAggregator#podReady}); not the rest of its pod template, most of its size. A
   * replace is built from the session, never from the cached object. A new read of a cached
   * StatefulSet must be kept here too, or it finds nothing.
   */
  static StatefulSet slim(StatefulSet sts) {
    var template = sts.getSpec() == null ? null : sts.getSpec().getTemplate();
    List<Volume> sealed =
        template == null || template.getSpec() == null || template.getSpec().getVolumes() == null
            ? List.of()
            : template.getSpec().getVolumes().stream()
                .filter(v -> v != null && SEALED_VOLUME.equals(v.getName()))
                .toList();
    StatefulSet slim =
        slim(
            SlimStore.metadata(sts),
            sts.getSpec() == null ? null : sts.getSpec().getPodManagementPolicy(),
            sealed,
            sts.getStatus());
    slim.setApiVersion(sts.getApiVersion());
    slim.setKind(sts.getKind());
    return slim;
  }

  /**
   * What {@link #slim(StatefulSet)} makes of a StatefulSet's parts: its metadata (without managed
   * fields), pod management policy, sealed volumes and status. The operator's client reads each
   * StatefulSet into this ({@link SlimReaders}).
   */
  static StatefulSet slim(
      ObjectMeta metadata,
      String podManagementPolicy,
      List<Volume> sealed,
      StatefulSetStatus status) {
    // Made with setters: a builder would copy each part again (it keeps a builder of each).
    PodSpec podSpec = new PodSpec();
    podSpec.setVolumes(new ArrayList<>(sealed));
    PodTemplateSpec template = new PodTemplateSpec();
    template.setSpec(podSpec);
    StatefulSetSpec spec = new StatefulSetSpec();
    spec.setPodManagementPolicy(podManagementPolicy);
    spec.setTemplate(template);
    StatefulSet sts = new StatefulSet();
    sts.setMetadata(metadata);
    sts.setSpec(spec);
    sts.setStatus(status);
    return sts;
  }

  /**
   * The Secret {@code sts} (may be null) mounted before its latest snapshot ({@link
   * io.nbsecrets.model.ObjectKeys#SUPERSEDED_SECRET}); null when none.
   */
  static String supersededSecret(StatefulSet sts) {
    Map<String, String> annotations = sts == null ? null : sts.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(Labels.SUPERSEDED_SECRET);
  }

  public static Service service(NotebookSession session) {
    return withDesiredHash(SessionService.service(session));
  }

  /** Stamps the hash of everything desired (before stamping) into an annotation. */
  static <T extends HasMetadata> T withDesiredHash(T resource) {
    String hash = Hashes.ofJson(resource);
    Map<String, String> annotations =
        resource.getMetadata().getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(resource.getMetadata().getAnnotations());
    annotations.put(Labels.DESIRED_HASH, hash);
    resource.getMetadata().setAnnotations(annotations);
    return resource;
  }

  /** The desired-hash annotation of an object, or null. */
  public static String desiredHash(HasMetadata resource) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(Labels.DESIRED_HASH);
  }
}
