package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.api.ApiConfig;
import io.nbsecrets.api.SecretService;
import io.nbsecrets.api.UserKeyService;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.SecretResolver;
import io.nbsecrets.operator.SessionFailure;
import io.nbsecrets.operator.Snapshot;
import io.nbsecrets.store.FakeVault;
import io.nbsecrets.store.InMemorySecretStore;
import io.nbsecrets.store.VaultSecretStore;
import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import io.nbsecrets.store.VaultTransit;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With {@code store.vault.transit.key}, the API's secret service seals through Vault Transit and
 * the operator's resolver opens through it, next to the session RSA keys of older records; a Vault
 * that stops answering is {@code StoreUnavailable}, not a broken secret.
 */
class TransitSessionTest {
  FakeVault vault;
  VaultSecretStore store;
  VaultTransit transit;
  UserKeyService userKeys;
  SecretResolver resolver;

  @BeforeEach
  void setUp() {
    vault = new FakeVault("root");
    vault.createTransitKey("nbsecrets-session");
    store = VaultSecretStore.open(VaultConfig.withToken(vault.address(), "root"));
    transit = store.transit("transit", "nbsecrets-session");
    userKeys = new UserKeyService(store, PlatformKey.generate());
    SessionKeyRing ring = SessionKeyRing.ofRsa(List.of(RsaKeys.generate(2048).getPrivate()));
    resolver = new SecretResolver(store, LiveKey.fixed(ring), transit);
  }

  @AfterEach
  void tearDown() {
    store.close();
    vault.close();
  }

  private static NotebookSession session(String user, String... names) {
    NotebookSession s = new NotebookSession();
    s.getMetadata().setNamespace(user);
    s.getMetadata().setName("nb");
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(user);
    spec.setImage("quay.io/jupyter/minimal-notebook:2024-12-02");
    spec.setSecrets(
        new SecretsSpec(
            null, null, java.util.Arrays.stream(names).map(n -> new SecretItem(n, null)).toList()));
    s.setSpec(spec);
    return s;
  }

  @Test
  void theApiSealsThroughTransitAndTheOperatorOpensThroughIt() throws Exception {
    SecretService api = new SecretService(store, userKeys, () -> transit, ApiConfig.defaults());
    api.put("alice", "TOKEN", "pt-transit-value".getBytes(StandardCharsets.UTF_8));

    String sealed = store.get("alice", List.of("TOKEN")).get("TOKEN").sealed();
    assertThat(Envelope.keyId(sealed)).isEqualTo(transit.keyId());
    Snapshot snapshot = resolver.resolve(session("alice", "TOKEN"));

    Fernet userKey = Fernet.fromKey(userKeys.getOrCreate("alice"));
    assertThat(
            new String(userKey.decrypt(snapshot.entries().get(0).token()), StandardCharsets.UTF_8))
        .isEqualTo("pt-transit-value");
  }

  @Test
  void vaultNotAnsweringIsStoreUnavailable() throws Exception {
    SecretService api = new SecretService(store, userKeys, () -> transit, ApiConfig.defaults());
    api.put("alice", "TOKEN", "pt-transit-value".getBytes(StandardCharsets.UTF_8));
    // The record is readable (another store holds a copy); only Transit is down.
    InMemorySecretStore copy = new InMemorySecretStore();
    copy.put("alice", "TOKEN", store.get("alice", List.of("TOKEN")).get("TOKEN").sealed(), 10);
    SecretResolver onCopy =
        new SecretResolver(
            copy,
            LiveKey.fixed(SessionKeyRing.ofRsa(List.of(RsaKeys.generate(2048).getPrivate()))),
            transit);
    vault.stop();

    assertThatThrownBy(() -> onCopy.resolve(session("alice", "TOKEN")))
        .isInstanceOf(SessionFailure.class)
        .satisfies(e -> assertThat(((SessionFailure) e).reason()).isEqualTo("StoreUnavailable"));
  }
}
