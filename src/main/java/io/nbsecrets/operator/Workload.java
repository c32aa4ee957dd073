package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.nbsecrets.init.SecretFiles;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.util.Hashes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Desired StatefulSet (one replica) and Service of a session. Pure functions of the session, the
 * session Secret's name and manifest, and the operator config: equal inputs give equal objects, so
 * the hash annotation detects every change and nothing else.
 */
public final class Workload {
  public static final String SESSION_CONTAINER = "notebook";
  public static final String INIT_CONTAINER = "nbsecrets-init";
  public static final String FILES_VOLUME = "nbsecrets-files";
  public static final String SEALED_VOLUME = "nbsecrets-sealed";
  public static final String TOKEN_VOLUME = "nbsecrets-token";
  public static final String TMP_VOLUME = "nbsecrets-tmp";
  public static final String SEALED_DIR = "/var/run/nbsecrets/sealed";
  public static final String TOKEN_DIR = "/var/run/nbsecrets/token";
  public static final String TOKEN_FILE = TOKEN_DIR + "/token";

  /** Only in pods of snapshots taken before the manifest moved into the Secret (see below). */
  public static final String FILES_ENV = SecretFiles.LEGACY_MANIFEST_ENV;

  public static final String API_CA_ENV = "NBSECRETS_API_CA";

  public static final long TOKEN_EXPIRATION_SECONDS = 600;

  private Workload() {}

  public static String podName(String session) {
    return session + "-0";
  }

  /**
   * The session's StatefulSet.
   *
   * @param legacyManifest null for a snapshot of this version, whose Secret holds the list of files
   *     that the init step reads from the mounted volume; for a snapshot taken by an earlier
   *     version, its manifest, passed as before in the init container's environment ({@link
   *     #FILES_ENV}), so that such a session's pod template — and its desired hash — stay as they
   *     were and an operator upgrade does not restart it. The init image is the operator's, so an
   *     upgrade brings an init step that reads both; a new snapshot (a new selection) is taken in
   *     the new layout and rolls the pod anyway.
   */
  public static StatefulSet statefulSet(
      NotebookSession session,
      String secretName,
      String snapshotHash,
      List<Snapshot.ManifestEntry> legacyManifest,
      long sealedBytes,
      OperatorConfig config) {
    String name = session.getMetadata().getName();
    NotebookSessionSpec spec = session.getSpec();
    String mountPath =
        spec.getSecrets() == null ? "/secrets" : spec.getSecrets().effectiveMountPath();
    Map<String, String> labels = Labels.forSession(name, spec.getUser(), Labels.COMPONENT_WORKLOAD);

    Container init =
        new ContainerBuilder()
            .withName(INIT_CONTAINER)
            .withImage(config.initImage())
            .withImagePullPolicy("IfNotPresent")
            .withArgs(initArgs(config, mountPath))
            .withEnv(apiCaEnv(config))
            .addAllToEnv(legacyManifestEnv(legacyManifest))
            .withSecurityContext(
                new SecurityContextBuilder()
                    .withRunAsNonRoot(true)
                    .withReadOnlyRootFilesystem(true)
                    .withAllowPrivilegeEscalation(false)
                    .withNewCapabilities()
                    .withDrop("ALL")
                    .endCapabilities()
                    .withNewSeccompProfile()
                    .withType("RuntimeDefault")
                    .endSeccompProfile()
                    .build())
            .withNewResources()
            .withRequests(Map.of("cpu", new Quantity("50m"), "memory", new Quantity("64Mi")))
            .withLimits(Map.of("memory", new Quantity("256Mi")))
            .endResources()
            .withVolumeMounts(
                new VolumeMountBuilder().withName(FILES_VOLUME).withMountPath(mountPath).build(),
                new VolumeMountBuilder()
                    .withName(SEALED_VOLUME)
                    .withMountPath(SEALED_DIR)
                    .withReadOnly(true)
                    .build(),
                new VolumeMountBuilder()
                    .withName(TOKEN_VOLUME)
                    .withMountPath(TOKEN_DIR)
                    .withReadOnly(true)
                    .build(),
                new VolumeMountBuilder().withName(TMP_VOLUME).withMountPath("/tmp").build())
            .build();

    int port = spec.getPort() == null ? OperatorConfig.DEFAULT_PORT : spec.getPort();
    Container notebook =
        new ContainerBuilder()
            .withName(SESSION_CONTAINER)
            .withImage(spec.getImage())
            .withCommand(spec.getCommand())
            .withArgs(spec.getArgs())
            .withEnv(plainEnv(spec))
            .withResources(spec.getResources())
            // Pod Security "restricted" (with runAsNonRoot and seccomp set for the whole pod).
            .withSecurityContext(
                new SecurityContextBuilder()
                    .withAllowPrivilegeEscalation(false)
                    .withNewCapabilities()
                    .withDrop("ALL")
                    .endCapabilities()
                    .build())
            .addNewPort()
            .withName("http")
            .withContainerPort(port)
            .withProtocol("TCP")
            .endPort()
            .withVolumeMounts(
                new VolumeMountBuilder()
                    .withName(FILES_VOLUME)
                    .withMountPath(mountPath)
                    .withReadOnly(true)
                    .build())
            .build();

    List<Volume> volumes =
        List.of(
            new VolumeBuilder()
                .withName(FILES_VOLUME)
                .withNewEmptyDir()
                .withMedium("Memory")
                .withSizeLimit(new Quantity(volumeSizeMi(sealedBytes) + "Mi"))
                .endEmptyDir()
                .build(),
            new VolumeBuilder()
                .withName(SEALED_VOLUME)
                .withNewSecret()
                .withSecretName(secretName)
                .withDefaultMode(0440)
                .endSecret()
                .build(),
            new VolumeBuilder()
                .withName(TOKEN_VOLUME)
                .withNewProjected()
                .withDefaultMode(0440)
                .addNewSource()
                .withNewServiceAccountToken()
                .withAudience(config.podTokenAudience())
                .withExpirationSeconds(TOKEN_EXPIRATION_SECONDS)
                .withPath("token")
                .endServiceAccountToken()
                .endSource()
                .endProjected()
                .build(),
            new VolumeBuilder()
                .withName(TMP_VOLUME)
                .withNewEmptyDir()
                .withMedium("Memory")
                .withSizeLimit(new Quantity("16Mi"))
                .endEmptyDir()
                .build());

    Map<String, String> podAnnotations = new LinkedHashMap<>();
    podAnnotations.put(Labels.SNAPSHOT, snapshotHash);

    StatefulSet sts =
        new StatefulSetBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(session.getMetadata().getNamespace())
            .withLabels(labels)
            .withOwnerReferences(Owners.controllerReference(session))
            .endMetadata()
            .withNewSpec()
            .withReplicas(1)
            .withServiceName(name)
            .withNewSelector()
            .withMatchLabels(Labels.selector(name))
            .endSelector()
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(labels)
            .withAnnotations(podAnnotations)
            .endMetadata()
            .withNewSpec()
            .withServiceAccountName(spec.getServiceAccountName())
            .withNodeSelector(spec.getNodeSelector())
            .withTolerations(spec.getTolerations())
            .withEnableServiceLinks(false)
            .withSecurityContext(
                new PodSecurityContextBuilder()
                    .withRunAsNonRoot(true)
                    .withRunAsUser(config.sessionUid())
                    .withRunAsGroup(config.sessionGid())
                    .withFsGroup(config.sessionGid())
                    .withNewSeccompProfile()
                    .withType("RuntimeDefault")
                    .endSeccompProfile()
                    .build())
            .withInitContainers(init)
            .withContainers(notebook)
            .withVolumes(volumes)
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    return withDesiredHash(sts);
  }

  /** Whether {@code sts} (may be null) mounts Secret {@code secretName} as the sealed volume. */
  static boolean mountsSecret(StatefulSet sts, String secretName) {
    if (sts == null || sts.getSpec() == null || sts.getSpec().getTemplate() == null) {
      return false;
    }
    var volumes = sts.getSpec().getTemplate().getSpec().getVolumes();
    return volumes != null
        && volumes.stream()
            .anyMatch(
                v ->
                    SEALED_VOLUME.equals(v.getName())
                        && v.getSecret() != null
                        && secretName.equals(v.getSecret().getSecretName()));
  }

  public static Service service(NotebookSession session) {
    String name = session.getMetadata().getName();
    NotebookSessionSpec spec = session.getSpec();
    int port = spec.getPort() == null ? OperatorConfig.DEFAULT_PORT : spec.getPort();
    Service service =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(session.getMetadata().getNamespace())
            .withLabels(Labels.forSession(name, spec.getUser(), Labels.COMPONENT_WORKLOAD))
            .withOwnerReferences(Owners.controllerReference(session))
            .endMetadata()
            .withNewSpec()
            .withType("ClusterIP")
            .withSelector(Labels.selector(name))
            .addNewPort()
            .withName("http")
            .withPort(port)
            .withTargetPort(new IntOrString("http"))
            .withProtocol("TCP")
            .endPort()
            .endSpec()
            .build();
    return withDesiredHash(service);
  }

  /** The in-memory volume's size: the values (which are smaller than their tokens) plus room. */
  static long volumeSizeMi(long sealedBytes) {
    return Math.max(1, (sealedBytes * 2 + (1 << 20) - 1) >> 20);
  }

  private static List<EnvVar> legacyManifestEnv(List<Snapshot.ManifestEntry> legacyManifest) {
    if (legacyManifest == null) {
      return List.of();
    }
    return List.of(
        new EnvVarBuilder()
            .withName(FILES_ENV)
            .withValue(
                SessionSecrets.toJson(
                    legacyManifest.stream()
                        .map(m -> new SecretFiles.FileSpec(m.name(), m.file()))
                        .toList()))
            .build());
  }

  private static List<EnvVar> plainEnv(NotebookSessionSpec spec) {
    List<EnvVar> env = new ArrayList<>();
    if (spec.getEnv() != null) {
      spec.getEnv().forEach(e -> env.add(new EnvVar(e.getName(), e.getValue(), null)));
    }
    return env;
  }

  private static List<String> initArgs(OperatorConfig config, String mountPath) {
    List<String> args = new ArrayList<>();
    args.add("init");
    args.add("--api-url=" + config.apiUrl());
    args.add("--sealed-dir=" + SEALED_DIR);
    args.add("--token-file=" + TOKEN_FILE);
    args.add("--mount-path=" + mountPath);
    if (config.plainHttp()) {
      args.add("--allow-insecure-http");
    }
    return args;
  }

  /**
   * The API's CA for the init step. It is part of the pod template, so a new CA rolls the session
   * pods (the generated CA lives ten years; cert-manager's changes as rarely).
   */
  private static List<EnvVar> apiCaEnv(OperatorConfig config) {
    String bundle = config.plainHttp() ? "" : config.apiCaBundle().get();
    if (bundle == null || bundle.isBlank()) {
      return List.of();
    }
    return List.of(new EnvVarBuilder().withName(API_CA_ENV).withValue(bundle.trim()).build());
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
