package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretNames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The limits a real cluster puts on the session Secret, its record and the init container, for the
 * three cases of issue 10 row 6 (the real API server's refusals are shown in
 * SessionOnApiServerTest).
 */
class SessionSecretLimitsTest {
  private static final NotebookSession SESSION = Sessions.session("alice", "nb", "alice", "a");
  private static final Fernet FERNET = Fernet.fromKey(Fernet.generateKey());

  private static Snapshot snapshot(int count, int nameLength, int valueBytes) {
    List<Snapshot.Entry> entries = new ArrayList<>();
    String token = FERNET.encrypt(new byte[valueBytes]);
    for (int i = 0; i < count; i++) {
      String name = String.format("%04d-", i) + "n".repeat(nameLength - 5);
      entries.add(new Snapshot.Entry(name, name, 1, token));
    }
    return new Snapshot("0123456789abcdef", entries);
  }

  private static void check(Snapshot snapshot) throws SessionFailure {
    Secret sealed = SessionSecrets.desired(SESSION, snapshot);
    SessionSecrets.requireFits(
        snapshot,
        sealed,
        SnapshotRecords.desired(SESSION, snapshot, SessionSecrets.dataBytes(sealed)));
  }

  /** What one annotation holds, counted as the API server does (keys and values). */
  private static long annotationBytes(Map<String, String> annotations) {
    return annotations.entrySet().stream()
        .mapToLong(e -> e.getKey().length() + e.getValue().getBytes(StandardCharsets.UTF_8).length)
        .sum();
  }

  @Test
  void sevenValuesOf128KibAreRefusedWithTheLimitAndTheNumbers() {
    Snapshot snapshot = snapshot(7, 5, 128 * 1024);
    long expected = SessionSecrets.dataBytes(SessionSecrets.desired(SESSION, snapshot));
    assertThat(expected).isGreaterThan(SessionSecrets.MAX_DATA_BYTES);
    assertThatThrownBy(() -> check(snapshot))
        .isInstanceOfSatisfying(
            SessionFailure.class,
            f -> {
              assertThat(f.reason()).isEqualTo("SecretTooLarge");
              assertThat(f.scope()).isEqualTo(SessionFailure.Scope.SECRETS);
            })
        .hasMessage(
            "the session Secret of the 7 selected secrets needs "
                + String.format(java.util.Locale.ROOT, "%,d", expected)
                + " bytes (encrypted values and the list of files); a Kubernetes Secret holds at"
                + " most 1,048,576 bytes: select fewer or smaller secrets");
  }

  @Test
  void fiveValuesOf128KibFitAndOneSecretIsSingular() throws Exception {
    check(snapshot(5, 5, 128 * 1024));
    assertThatThrownBy(() -> check(snapshot(1, 5, 1_100_000)))
        .hasMessageStartingWith("the session Secret of the 1 selected secret needs 1,");
  }

  @Test
  void theSizeIsCountedAsTheApiServerCountsIt() {
    Snapshot snapshot = snapshot(3, 5, 1000);
    Secret sealed = SessionSecrets.desired(SESSION, snapshot);
    long decoded =
        sealed.getData().values().stream()
            .mapToLong(v -> Base64.getDecoder().decode(v).length)
            .sum();
    assertThat(SessionSecrets.dataBytes(sealed)).isEqualTo(decoded);
    for (String s : List.of("", "YQ==", "YWI=", "YWJj", "YWJjZA==")) {
      assertThat(SessionSecrets.decodedLength(s)).isEqualTo(Base64.getDecoder().decode(s).length);
    }
  }

  @Test
  void aThousandItemsWith128CharacterNamesKeepTheirManifestOutOfAnnotationsAndTheEnvironment()
      throws Exception {
    for (int count : List.of(480, 1000)) {
      Snapshot snapshot = snapshot(count, 128, 10);
      check(snapshot);
      Secret sealed = SessionSecrets.desired(SESSION, snapshot);
      // 256 KiB for all annotations of an object.
      assertThat(annotationBytes(sealed.getMetadata().getAnnotations())).isLessThan(1024);
      assertThat(sealed.getData()).hasSize(count + 1);
      assertThat(SessionSecrets.manifest(sealed)).hasSize(count);
      var record = SnapshotRecords.desired(SESSION, snapshot, SessionSecrets.dataBytes(sealed));
      // The record rides in the StatefulSet's annotations up to half of their 256 KiB; past
      // that, in a ConfigMap of its own.
      Map<String, String> carried =
          WorkloadStep.carried("nb", record, sealed.getMetadata().getName(), null);
      // 480 such names need more than 128 KiB: a ConfigMap carries the record.
      assertThat(record.inConfigMap()).isTrue();
      assertThat(carried).isEmpty();
      assertThat(annotationBytes(record.configMap().getMetadata().getAnnotations()))
          .isLessThan(1024);
      // 128 KiB for one environment string (MAX_ARG_STRLEN): no manifest in the environment.
      var sts =
          Workload.statefulSet(
              new WorkloadInputs(
                  SESSION,
                  SessionSecrets.name("nb", snapshot),
                  "0123456789",
                  record.manifestInSecret() ? null : record.manifest(),
                  record.sealedBytes(),
                  Sessions.config()),
              carried);
      assertThat(annotationBytes(sts.getMetadata().getAnnotations())).isLessThan(256 * 1024);
      var init = sts.getSpec().getTemplate().getSpec().getInitContainers().get(0);
      assertThat(init.getEnv()).isEmpty();
      // Before, the manifest went to the environment: 480 such names pass 128 KiB already.
      if (count == 480) {
        assertThat(SessionSecrets.toJson(snapshot.manifest()).length()).isGreaterThan(128 * 1024);
      }
    }
  }

  @Test
  void theManifestKeyIsAValidSecretKeyThatNoSecretCanHave() {
    String key = SessionSecrets.MANIFEST_KEY;
    assertThat(key.length()).isGreaterThan(SecretNames.MAX_LENGTH).isLessThanOrEqualTo(253);
    assertThat(key).matches("[-._a-zA-Z0-9]+").doesNotStartWith("..");
    assertThat(SecretNames.isValid(key)).isFalse();
  }
}
