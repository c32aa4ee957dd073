package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.nbsecrets.init.SecretFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Step: the init container, which alone sees the sealed values and the pod's token. It runs the
 * operator's image ({@code init}), calls the API at the configured URL (verifying it against the
 * API's CA, when one is published), and writes the values into the in-memory volume at the
 * session's mount path. It is locked down: non-root, read-only root, no privilege escalation, no
 * capabilities, default seccomp, small resources.
 */
final class InitContainer {
  private InitContainer() {}

  static Container container(WorkloadInputs in) {
    return new ContainerBuilder()
        .withName(Workload.INIT_CONTAINER)
        .withImage(in.config().initImage())
        .withImagePullPolicy("IfNotPresent")
        .withArgs(args(in.config(), in.mountPath()))
        .withEnv(apiCaEnv(in.config()))
        .addAllToEnv(legacyManifestEnv(in.legacyManifest()))
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
            new VolumeMountBuilder()
                .withName(Workload.FILES_VOLUME)
                .withMountPath(in.mountPath())
                .build(),
            new VolumeMountBuilder()
                .withName(Workload.SEALED_VOLUME)
                .withMountPath(Workload.SEALED_DIR)
                .withReadOnly(true)
                .build(),
            new VolumeMountBuilder()
                .withName(Workload.TOKEN_VOLUME)
                .withMountPath(Workload.TOKEN_DIR)
                .withReadOnly(true)
                .build(),
            new VolumeMountBuilder().withName(Workload.TMP_VOLUME).withMountPath("/tmp").build())
        .build();
  }

  static List<String> args(OperatorConfig config, String mountPath) {
    List<String> args = new ArrayList<>();
    args.add("init");
    args.add("--api-url=" + config.apiUrl());
    args.add("--sealed-dir=" + Workload.SEALED_DIR);
    args.add("--token-file=" + Workload.TOKEN_FILE);
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
  static List<EnvVar> apiCaEnv(OperatorConfig config) {
    String bundle = config.plainHttp() ? "" : config.apiCaBundle().get();
    if (bundle == null || bundle.isBlank()) {
      return List.of();
    }
    return List.of(
        new EnvVarBuilder().withName(Workload.API_CA_ENV).withValue(bundle.trim()).build());
  }

  /**
   * The manifest of a snapshot taken by an earlier version, in the environment as that version
   * passed it ({@link Workload#FILES_ENV}); none for a snapshot of this version, whose manifest is
   * in the mounted Secret (an environment string holds at most 128 KiB).
   */
  static List<EnvVar> legacyManifestEnv(List<Snapshot.ManifestEntry> legacyManifest) {
    if (legacyManifest == null) {
      return List.of();
    }
    return List.of(
        new EnvVarBuilder()
            .withName(Workload.FILES_ENV)
            .withValue(
                SessionSecrets.toJson(
                    legacyManifest.stream()
                        .map(m -> new SecretFiles.FileSpec(m.name(), m.file()))
                        .toList()))
            .build());
  }
}
