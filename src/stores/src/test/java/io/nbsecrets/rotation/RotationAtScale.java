package io.nbsecrets.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.store.ScannedSecret;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.SecretStoreContractAccess;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Many records for rotation tests and the rotation benchmark. */
final class RotationAtScale {
  private RotationAtScale() {}

  /** The inner value of a record: about the size of a Fernet token of a short secret. */
  static String inner(String user, String name) {
    String seed = "inner|" + user + "|" + name + "|";
    return seed.repeat(200 / seed.length() + 1).substring(0, 200);
  }

  /** Stores {@code users} × {@code perUser} records sealed under {@code key}, on 4 threads. */
  static void fill(SecretStore store, SessionPublicKey key, int users, int perUser)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int u = 0; u < users; u++) {
        String user = String.format("user-%04d", u);
        futures.add(
            pool.submit(
                () -> {
                  for (int n = 0; n < perUser; n++) {
                    String name = String.format("SECRET_%03d", n);
                    byte[] inner = inner(user, name).getBytes(StandardCharsets.US_ASCII);
                    store.put(user, name, Envelope.seal(key, user, name, inner), 1000);
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Opens every {@code step}-th record with {@code ring} (in parallel) and checks its inner value;
   * when {@code keyId} is not null, checks that every record is sealed under it.
   *
   * @return the number of records scanned
   */
  static long verify(SecretStore store, SessionKeyRing ring, String keyId, int step)
      throws Exception {
    List<ScannedSecret> all = SecretStoreContractAccess.scanAll(store, 1000);
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        ScannedSecret r = all.get(i);
        if (keyId != null) {
          assertThat(Envelope.keyId(r.secret().sealed())).as("%s", r).isEqualTo(keyId);
        }
        if (i % step == 0) {
          futures.add(
              pool.submit(
                  () -> {
                    String user = r.user();
                    String name = r.secret().name();
                    byte[] opened = Envelope.open(ring, user, name, r.secret().sealed());
                    assertThat(new String(opened, StandardCharsets.US_ASCII))
                        .isEqualTo(inner(user, name));
                    return null;
                  }));
        }
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return all.size();
  }
}
