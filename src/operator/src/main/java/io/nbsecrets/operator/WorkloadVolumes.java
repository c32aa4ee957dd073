package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.util.List;

/**
 * Step: the pod's volumes — the in-memory volume the values are written to (sized for them), the
 * session Secret with the sealed values, the pod's projected token for the API (short-lived, the
 * API's audience), and a small in-memory {@code /tmp} for the init step's read-only root. Sealed
 * values and token are readable by owner and group only.
 */
final class WorkloadVolumes {
  private WorkloadVolumes() {}

  static List<Volume> volumes(WorkloadInputs in) {
    return List.of(
        filesVolume(in.sealedBytes()),
        sealedVolume(in.secretName()),
        tokenVolume(in.config().podTokenAudience()),
        tmpVolume());
  }

  static Volume filesVolume(long sealedBytes) {
    return new VolumeBuilder()
        .withName(Workload.FILES_VOLUME)
        .withNewEmptyDir()
        .withMedium("Memory")
        .withSizeLimit(new Quantity(volumeSizeMi(sealedBytes) + "Mi"))
        .endEmptyDir()
        .build();
  }

  static Volume sealedVolume(String secretName) {
    return new VolumeBuilder()
        .withName(Workload.SEALED_VOLUME)
        .withNewSecret()
        .withSecretName(secretName)
        .withDefaultMode(0440)
        .endSecret()
        .build();
  }

  static Volume tokenVolume(String audience) {
    return new VolumeBuilder()
        .withName(Workload.TOKEN_VOLUME)
        .withNewProjected()
        .withDefaultMode(0440)
        .addNewSource()
        .withNewServiceAccountToken()
        .withAudience(audience)
        .withExpirationSeconds(Workload.TOKEN_EXPIRATION_SECONDS)
        .withPath("token")
        .endServiceAccountToken()
        .endSource()
        .endProjected()
        .build();
  }

  static Volume tmpVolume() {
    return new VolumeBuilder()
        .withName(Workload.TMP_VOLUME)
        .withNewEmptyDir()
        .withMedium("Memory")
        .withSizeLimit(new Quantity("16Mi"))
        .endEmptyDir()
        .build();
  }

  /** The in-memory volume's size: the values (which are smaller than their tokens) plus room. */
  static long volumeSizeMi(long sealedBytes) {
    return Math.max(1, (sealedBytes * 2 + (1 << 20) - 1) >> 20);
  }
}
