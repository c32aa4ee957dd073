package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSessionStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusPatchTest {

  private static NotebookSessionStatus status(long version, String secretName) {
    NotebookSessionStatus status = new NotebookSessionStatus();
    status.setObservedGeneration(1L);
    status.setSecrets(List.of(new MountedSecret("TOKEN", version, null)));
    status.setPodName("nb-0");
    status.setSecretName(secretName);
    return status;
  }

  @Test
  void aStatusOfAnEarlierVersionIsNotWrittenForTheSecretsNameAlone() {
    NotebookSessionStatus next = status(1, "nb-secrets-0123456789");

    assertThat(StatusPatch.unchanged(status(1, null), next)).isTrue();
    assertThat(next.getSecretName()).as("left as it was").isEqualTo("nb-secrets-0123456789");
  }

  @Test
  void anyOtherChangeIsWrittenAndCarriesTheSecretsName() {
    assertThat(StatusPatch.unchanged(status(1, null), status(2, "nb-secrets-0123456789")))
        .isFalse();
    assertThat(StatusPatch.unchanged(status(1, "nb-secrets-0123456789"), status(1, null)))
        .as("a name that goes")
        .isFalse();
    assertThat(
            StatusPatch.unchanged(
                status(1, "nb-secrets-0123456789"), status(1, "nb-secrets-abcdef0123")))
        .as("another Secret")
        .isFalse();
    assertThat(StatusPatch.unchanged(null, status(1, "nb-secrets-0123456789"))).isFalse();
    assertThat(
            StatusPatch.unchanged(
                status(1, "nb-secrets-0123456789"), status(1, "nb-secrets-0123456789")))
        .isTrue();
  }
}
