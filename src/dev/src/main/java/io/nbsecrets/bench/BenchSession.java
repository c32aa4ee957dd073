package io.nbsecrets.bench;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPrivateKey;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.SecretResolver;
import io.nbsecrets.store.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * One user's session of {@code n} secrets as the product holds them: values of random text, each a
 * Fernet token under the user's key (the inner layer), sealed to a session key (the outer), in an
 * in-memory store; and the session selecting them all.
 */
record BenchSession(String userKey, SecretResolver resolver, NotebookSession session) {
  static final String USER = "alice";

  static BenchSession create(SessionKeyAlgorithm algorithm, int n, int chars) {
    String userKey = Fernet.generateKey();
    Fernet fernet = Fernet.fromKey(userKey);
    SessionPrivateKey key = algorithm.generate();
    SecureRandom random = new SecureRandom();
    Instant now = Instant.now();
    Map<String, StoredSecret> records = new LinkedHashMap<>();
    List<SecretItem> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = String.format(Locale.ROOT, "SECRET_%03d", i);
      byte[] value = Bench.randomText(random, chars).getBytes(StandardCharsets.UTF_8);
      byte[] inner = fernet.encrypt(value).getBytes(StandardCharsets.US_ASCII);
      String sealed = Envelope.seal(key.publicKey(), USER, name, inner);
      records.put(name, new StoredSecret(name, 1, now, now, sealed));
      items.add(new SecretItem(name, null));
    }
    SecretResolver resolver =
        SecretResolver.openingEveryRecord(
            new InMemoryRecords(USER, records), SessionKeyRing.of(List.of(key)));
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(USER);
    spec.setImage("jupyter/base-notebook");
    spec.setSecrets(new SecretsSpec(null, null, items));
    NotebookSession session = new NotebookSession();
    session.setMetadata(
        new ObjectMetaBuilder()
            .withName("bench")
            .withNamespace(USER)
            .withUid(UUID.randomUUID().toString())
            .withGeneration(1L)
            .build());
    session.setSpec(spec);
    return new BenchSession(userKey, resolver, session);
  }

  /** Never shows the user key. */
  @Override
  public String toString() {
    return "BenchSession{" + session.getMetadata().getName() + "}";
  }
}
