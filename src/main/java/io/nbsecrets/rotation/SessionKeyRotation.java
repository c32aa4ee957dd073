package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.ScanCursor;
import io.nbsecrets.store.ScannedSecret;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoredSecret;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the session key pair (the outer layer of every record). Steps, each safe to interrupt and
 * resume by running again:
 *
 * <ol>
 *   <li><b>Add</b> a new key pair to the keys Secret, not yet current, with the annotation {@value
 *       KeySecrets#ROTATING_TO} naming it (one write: the key and the marker that a rotation is
 *       under way). Then wait for operators to load it (they watch the Secret).
 *   <li><b>Make it current</b>: the Secret's {@code current} and the public-key ConfigMap; then
 *       wait for the secrets APIs to seal new records with it (they watch the ConfigMap).
 *   <li><b>Re-wrap</b> every record under another key held, in passes of batches ({@link
 *       RewrapPasses}); the cursor is saved in the ConfigMap {@value #STATE} after each batch.
 *   <li><b>Drop</b> the old keys once a whole pass finds nothing left to re-wrap, and remove the
 *       marker.
 * </ol>
 *
 * <p>Until the last step the operators hold both keys, so every record stays readable throughout.
 * Re-wrapping needs the private keys but never a plaintext: the inner layer (encrypted with the
 * user's key) is moved as it is. A record's version and timestamps are kept, so sessions do not see
 * it as changed.
 */
public final class SessionKeyRotation {
  /** The ConfigMap holding an interrupted rotation's cursor. */
  public static final String STATE = "nbsecrets-rotation-session-keys";

  private static final Logger LOG = LoggerFactory.getLogger(SessionKeyRotation.class);
  private static final int REWRAP_ATTEMPTS = 3;

  /**
   * What a rotation did.
   *
   * @param targetKeyId the key now current
   * @param droppedKeyIds old keys removed from the Secret (empty if kept)
   * @param resumed whether an interrupted rotation was resumed
   * @param passes the re-wrap passes run
   * @param counts the first pass's outcomes (later passes only verify)
   * @param complete whether a clean pass was reached (else the old keys are kept)
   */
  public record Result(
      String targetKeyId,
      Set<String> droppedKeyIds,
      boolean resumed,
      int passes,
      RewrapCounts counts,
      boolean complete) {}

  private final KeySecrets secrets;
  private final SecretStore store;
  private final RotationOptions options;
  private final RotationListener listener;
  private final MeterRegistry registry;
  private final int keyBits;

  public SessionKeyRotation(
      KubernetesClient client,
      String namespace,
      SecretStore store,
      int keyBits,
      RotationOptions options,
      RotationListener listener,
      MeterRegistry registry) {
    RsaKeys.requireBits(keyBits);
    this.secrets = new KeySecrets(client, namespace);
    this.store = store;
    this.keyBits = keyBits;
    this.options = options;
    this.listener = listener;
    this.registry = registry;
  }

  public Result run() {
    Secret secret = secrets.read(SessionKeys.SECRET_NAME);
    String target = annotation(secret, KeySecrets.ROTATING_TO);
    boolean resumed = target != null && holds(secret, target);
    if (resumed) {
      listener.step("resuming the rotation to session key " + target);
    } else {
      KeyPair pair = RsaKeys.generate(keyBits);
      String id = RsaKeys.keyId(pair.getPublic());
      String pem = KeySecrets.encode(RsaKeys.privateKeyPem(pair.getPrivate()));
      secret =
          secrets.edit(
              SessionKeys.SECRET_NAME,
              s -> {
                s.putData(id + ".pem", pem);
                s.putAnnotation(KeySecrets.ROTATING_TO, id);
              });
      target = id;
      secrets.deleteState(STATE);
      listener.step("added session key " + id + " (" + keyBits + " bits), not yet current");
    }
    if (!SessionKeys.currentId(secret).equals(target)) {
      waitFor("operators to load the new key");
      String id = target;
      secret =
          secrets.edit(
              SessionKeys.SECRET_NAME, s -> s.putData(SessionKeys.CURRENT, KeySecrets.encode(id)));
      listener.step("made session key " + id + " current");
    }
    SessionKeyRing ring = SessionKeys.fromSecret(secret);
    SessionKeys.publish(secrets.client(), secrets.namespace(), ring, target);
    waitFor("secrets APIs to seal new records with the new key");

    SessionPublicKey targetKey = ring.publicKeys().get(0);
    RewrapPasses.Result passes =
        new RewrapPasses<>(
                "session",
                new Records(ring, targetKey),
                new Cursors(target),
                options,
                listener,
                registry)
            .run();
    if (passes.firstPass().get(Outcome.UNREADABLE) > 0) {
      LOG.warn(
          "{} records were unreadable before the rotation and were left as they are (see the"
              + " warnings above)",
          passes.firstPass().get(Outcome.UNREADABLE));
    }
    if (!passes.clean()) {
      listener.step(
          "no clean pass after "
              + passes.passes()
              + " passes (records keep changing): the old keys are kept; run again");
      return new Result(target, Set.of(), resumed, passes.passes(), passes.firstPass(), false);
    }
    Set<String> dropped = new TreeSet<>();
    if (options.dropOldKeys()) {
      String keep = target + ".pem";
      secrets.edit(
          SessionKeys.SECRET_NAME,
          s -> {
            for (String key : List.copyOf(s.data().keySet())) {
              if (key.endsWith(".pem") && !key.equals(keep)) {
                dropped.add(key.substring(0, key.length() - 4));
                s.removeData(key);
              }
            }
            s.removeAnnotation(KeySecrets.ROTATING_TO);
          });
      listener.step("dropped old session keys " + dropped);
    } else {
      secrets.edit(SessionKeys.SECRET_NAME, s -> s.removeAnnotation(KeySecrets.ROTATING_TO));
      listener.step("kept old session keys (as asked)");
    }
    secrets.deleteState(STATE);
    return new Result(target, dropped, resumed, passes.passes(), passes.firstPass(), true);
  }

  private void waitFor(String what) {
    Duration wait = options.propagationWait();
    if (wait.isZero()) {
      return;
    }
    listener.step("waiting " + wait.toSeconds() + "s for " + what);
    try {
      Thread.sleep(wait.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + what, e);
    }
  }

  private static String annotation(Secret secret, String key) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  private static boolean holds(Secret secret, String keyId) {
    return secret.getData() != null && secret.getData().containsKey(keyId + ".pem");
  }

  /** The store's records, re-sealed under the target key. */
  private final class Records implements RewrapPasses.Source<ScannedSecret, ScanCursor> {
    private final SessionKeyRing ring;
    private final SessionPublicKey target;

    Records(SessionKeyRing ring, SessionPublicKey target) {
      this.ring = ring;
      this.target = target;
    }

    @Override
    public long count() {
      return store.count();
    }

    @Override
    public List<ScannedSecret> page(ScanCursor after, int limit) {
      return store.scan(after, limit);
    }

    @Override
    public ScanCursor cursorAfter(ScannedSecret item) {
      return ScanCursor.after(item);
    }

    @Override
    public Outcome rewrap(ScannedSecret item) {
      String user = item.user();
      String name = item.secret().name();
      String sealed = item.secret().sealed();
      for (int attempt = 1; attempt <= REWRAP_ATTEMPTS; attempt++) {
        String resealed;
        try {
          String keyId = Envelope.keyId(sealed);
          if (keyId.equals(target.keyId())) {
            return attempt == 1 ? Outcome.CURRENT : Outcome.CHANGED;
          }
          resealed = Envelope.reseal(ring, target, user, name, sealed);
        } catch (CryptoException e) {
          LOG.warn(
              "secret {} of user {} is unreadable and was left as it is: {}",
              name,
              user,
              e.getMessage());
          return Outcome.UNREADABLE;
        }
        if (store.rewrap(user, name, sealed, resealed)) {
          return Outcome.REWRAPPED;
        }
        StoredSecret now = store.get(user, List.of(name)).get(name);
        if (now == null) {
          return Outcome.CHANGED;
        }
        sealed = now.sealed();
      }
      return Outcome.PENDING;
    }
  }

  /** The cursor of an interrupted pass, in the ConfigMap {@value #STATE}. */
  private final class Cursors implements RewrapPasses.CursorStore<ScanCursor> {
    private final String target;

    Cursors(String target) {
      this.target = target;
    }

    @Override
    public ScanCursor load() {
      return secrets
          .readState(STATE)
          .filter(d -> target.equals(d.get("target")) && d.containsKey("afterUser"))
          .map(d -> new ScanCursor(d.get("afterUser"), d.get("afterName")))
          .orElse(null);
    }

    @Override
    public void save(ScanCursor cursor) {
      Map<String, String> data = new LinkedHashMap<>();
      data.put("target", target);
      data.put("afterUser", cursor.user());
      data.put("afterName", cursor.name());
      secrets.writeState(STATE, data);
    }

    @Override
    public void clear() {
      secrets.writeState(STATE, Map.of("target", target));
    }
  }
}
