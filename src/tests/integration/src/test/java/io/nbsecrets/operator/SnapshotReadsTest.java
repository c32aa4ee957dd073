package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.model.ObjectKeys;
import io.nbsecrets.store.KubernetesSecretStore;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * How a snapshot reads the Kubernetes store: the selected records by name (a GET each) until the
 * operator knows how many records the user has; then, when the selection is at least half of them,
 * one LIST of all, whose versions also serve the session's stale marks.
 */
@EnableKubernetesMockClient(crud = true)
class SnapshotReadsTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  /** The mock logs every request at INFO; held strongly so the level sticks. */
  private static final Logger MOCK_SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_SERVER_LOG.setLevel(Level.WARNING);
  }

  private final KeyPair pair = RsaKeys.generate(2048);
  private final String userKey = Fernet.generateKey();

  private void store(KubernetesSecretStore store, String name, int value) {
    String inner = Fernet.fromKey(userKey).encrypt(new byte[] {(byte) value});
    store.put(
        "erin",
        name,
        Envelope.seal(
            SessionPublicKey.of(pair.getPublic()),
            "erin",
            name,
            inner.getBytes(StandardCharsets.US_ASCII)),
        100);
  }

  @Test
  void aSecondSnapshotOfMostOfTheUsersRecordsIsOneListAndItsStaleMarksAskNothingMore()
      throws Exception {
    try (KubernetesSecretStore store = new KubernetesSecretStore(client, "nbsecrets")) {
      for (String name : List.of("A", "B", "C")) {
        store(store, name, 1);
      }
      SecretResolver resolver =
          new SecretResolver(store, SessionKeyRing.ofRsa(List.of(pair.getPrivate())));
      drain();

      long taken = System.nanoTime();
      resolver.resolve(Sessions.session("erin", "nb-1", "erin", "A", "B"));
      resolver.currentVersions("erin", OptionalLong.of(taken));
      assertThat(drain()).containsExactlyInAnyOrder("GET one", "GET one", "GET list");

      taken = System.nanoTime();
      Snapshot second = resolver.resolve(Sessions.session("erin", "nb-2", "erin", "A", "B"));
      assertThat(resolver.currentVersions("erin", OptionalLong.of(taken)).versions())
          .containsOnlyKeys("A", "B", "C");
      assertThat(drain()).containsExactly("GET list");
      assertThat(second.entries()).extracting(Snapshot.Entry::name).containsExactly("A", "B");
      assertThat(Fernet.fromKey(userKey).decrypt(second.entries().get(0).token()))
          .containsExactly(1);

      // A record of the user that the selection does not name, unreadable (its version annotation
      // damaged): the LIST fails on it, and the snapshot reads its own records by name instead
      // (and says so in a warning that names the user, not a value).
      Secret c =
          client.secrets().inNamespace("nbsecrets").list().getItems().stream()
              .filter(s -> "C".equals(s.getMetadata().getAnnotations().get(ObjectKeys.STORE_NAME)))
              .findFirst()
              .orElseThrow();
      c.getMetadata().getAnnotations().put(ObjectKeys.STORE_VERSION, "not a number");
      client.resource(c).update();
      drain();
      Snapshot third = resolver.resolve(Sessions.session("erin", "nb-3", "erin", "A", "B"));
      assertThat(third.entries()).extracting(Snapshot.Entry::name).containsExactly("A", "B");
      assertThat(drain()).containsExactlyInAnyOrder("GET list", "GET one", "GET one");
      // The failing LIST is not paid again at every snapshot: the user's records are read by
      // name for a while (SecretResolver.FULL_READ_PAUSE).
      resolver.resolve(Sessions.session("erin", "nb-4", "erin", "A", "B"));
      assertThat(drain()).containsExactly("GET one", "GET one");
    }
  }

  /** The requests since the last call, as "GET list" or "GET one" (and other methods by name). */
  private static List<String> drain() throws InterruptedException {
    List<String> requests = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
      requests.add(
          r.getMethod()
              + (r.getMethod().equals("GET")
                  ? (r.getPath().contains("labelSelector") ? " list" : " one")
                  : ""));
    }
    return requests;
  }
}
