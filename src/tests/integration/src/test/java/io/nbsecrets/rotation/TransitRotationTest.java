package io.nbsecrets.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.FakeVault;
import io.nbsecrets.store.SecretMetadata;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreUnavailableException;
import io.nbsecrets.store.StoredSecret;
import io.nbsecrets.store.VaultSecretStore;
import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import io.nbsecrets.store.VaultTransit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code rotate-keys --transit} on the vault store (KV v2 and Transit of {@link FakeVault}):
 * records under the session RSA keys move to Transit, records under an older Transit version are
 * re-wrapped inside Vault.
 */
@EnableKubernetesMockClient(crud = true)
class TransitRotationTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  String ns;
  FakeVault vault;
  VaultSecretStore store;
  VaultTransit transit;
  Map<String, String> inner = new LinkedHashMap<>();

  @BeforeEach
  void setUp() {
    ns = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    vault = new FakeVault("root");
    vault.createTransitKey("nbsecrets-session");
    store = VaultSecretStore.open(VaultConfig.withToken(vault.address(), "root"));
    transit = store.transit("transit", "nbsecrets-session");
    SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.RSA_2048);
    SessionPublicKey rsa = SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1));
    for (int i = 0; i < 8; i++) {
      seal("user-" + (i % 3), "rsa-" + i, rsa); // sealed before Transit was switched on
      seal("user-" + (i % 3), "vt-" + i, null); // sealed under Transit version 1
    }
  }

  @AfterEach
  void tearDown() {
    store.close();
    vault.close();
  }

  private void seal(String user, String name, SessionPublicKey rsa) {
    String value = "inner-" + user + "-" + name;
    byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
    String record =
        rsa == null
            ? Envelope.seal(transit, user, name, bytes)
            : Envelope.seal(rsa, user, name, bytes);
    store.put(user, name, record, 1000);
    inner.put(user + "/" + name, value);
  }

  private TransitRotation rotation(SecretStore on, boolean newVersion, RotationOptions options) {
    return new TransitRotation(
        client,
        ns,
        on,
        transit,
        newVersion,
        options,
        RotationListener.NONE,
        new SimpleMeterRegistry());
  }

  private static RotationOptions fast() {
    return RotationOptions.defaults().withPropagationWait(Duration.ZERO).withBatchSize(5);
  }

  /** Every record is under Transit's newest version and opens, with Transit alone, as before. */
  private void assertAllUnderTransitVersion(int version) {
    inner.forEach(
        (path, value) -> {
          String[] p = path.split("/");
          StoredSecret r = store.get(p[0], List.of(p[1])).get(p[1]);
          assertThat(Envelope.keyId(r.sealed())).as(path).isEqualTo(transit.keyId());
          assertThat(VaultTransit.versionOf(Envelope.wrappedKey(r.sealed()))).isEqualTo(version);
          assertThat(
                  new String(
                      Envelope.open(transit, p[0], p[1], r.sealed()), StandardCharsets.US_ASCII))
              .isEqualTo(value);
        });
  }

  @Test
  void everyRecordEndsUnderTheNewestTransitVersionWithItsMetadataKept() {
    Map<String, List<SecretMetadata>> before = new LinkedHashMap<>();
    for (int u = 0; u < 3; u++) {
      before.put("user-" + u, store.list("user-" + u));
    }

    RotationResult result = rotation(store, true, fast()).run();

    assertThat(result.complete()).isTrue();
    assertThat(transit.latestVersion()).isEqualTo(2);
    assertThat(result.counts().get(Outcome.REWRAPPED)).isEqualTo(16);
    assertThat(result.passes()).isEqualTo(2);
    assertAllUnderTransitVersion(2);
    // Nothing is left under version 1: Vault may now refuse it.
    vault.transitMinDecryptionVersion("nbsecrets-session", 2);
    assertAllUnderTransitVersion(2);
    before.forEach((user, metadata) -> assertThat(store.list(user)).isEqualTo(metadata));
    assertThat(client.configMaps().inNamespace(ns).withName(TransitRotation.STATE).get()).isNull();
  }

  @Test
  void recordsUnderKeysTheRunDoesNotHoldAreNotReportedAsUnderTransit() {
    // The session keys live elsewhere (files), not in the keys Secret this run reads.
    client.secrets().inNamespace(ns).withName(SessionKeys.SECRET_NAME).delete();
    List<String> steps = new java.util.ArrayList<>();
    RotationListener listener = RotationListener.onSteps(steps::add);
    RotationResult result =
        new TransitRotation(
                client, ns, store, transit, false, fast(), listener, new SimpleMeterRegistry())
            .run();

    assertThat(result.counts().get(Outcome.UNREADABLE)).isEqualTo(8);
    String last = steps.get(steps.size() - 1);
    assertThat(last)
        .doesNotContain("every record is under")
        .contains("every readable record is under Transit key version 1")
        .contains("8 records could not be read")
        .contains("find them before you retire anything");
  }

  @Test
  void anInterruptedTransitRotationResumesWithoutMakingAnotherVersion() {
    FailingStore failing = new FailingStore(store, 7);
    assertThatThrownBy(() -> rotation(failing, true, fast()).run())
        .isInstanceOf(StoreUnavailableException.class);
    assertThat(transit.latestVersion()).isEqualTo(2);

    failing.failAfter = Integer.MAX_VALUE;
    RotationResult resumed = rotation(failing, true, fast()).run();

    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.complete()).isTrue();
    assertThat(transit.latestVersion()).as("no second new version").isEqualTo(2);
    assertThat(failing.rewrapped.get()).isEqualTo(16);
    assertAllUnderTransitVersion(2);
  }

  @Test
  void aCompletedRunIdDoesNothingTheSecondTime() {
    RotationResult first = rotation(store, true, fast().withRunId("job-1")).run();
    RotationResult again = rotation(store, true, fast().withRunId("job-1")).run();

    assertThat(first.alreadyDone()).isFalse();
    assertThat(again.alreadyDone()).isTrue();
    assertThat(transit.latestVersion()).isEqualTo(2);
    assertAllUnderTransitVersion(2);
  }
}
