package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPrivateKey;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.store.ScanCursor;
import io.nbsecrets.store.ScannedSecret;
import io.nbsecrets.store.SecretStore;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the session key pair, the outer layer of every record ({@link KeyRotation} has the
 * steps). The operators decrypt and watch the keys Secret; the secrets APIs encrypt and watch the
 * public-key ConfigMap, which this rotation updates when the new key becomes current.
 *
 * <p>The new key may be of another algorithm ({@link SessionKeyAlgorithm}): a rotation from {@code
 * rsa-4096} to {@code mlkem768-x25519} re-seals every {@code nbs1} record as {@code nbs2}, in the
 * same resumable passes.
 *
 * <p>Re-sealing needs the session private keys but never a plaintext: the inner layer (encrypted
 * with the user's key) is moved as it is, under the new key. A record's version and timestamps are
 * kept, so sessions do not see it as changed.
 */
public final class SessionKeyRotation extends KeyRotation<ScannedSecret, ScanCursor> {
  /** The ConfigMap holding an interrupted rotation's cursor. */
  public static final String STATE = "nbsecrets-rotation-session-keys";

  private static final String PEM = ".pem";

  private static final Logger LOG = LoggerFactory.getLogger(SessionKeyRotation.class);

  private final SessionKeyAlgorithm algorithm;

  /**
   * @param algorithm the new key's algorithm; null: the current key's
   */
  public SessionKeyRotation(
      KubernetesClient client,
      String namespace,
      SecretStore store,
      SessionKeyAlgorithm algorithm,
      RotationOptions options,
      RotationListener listener,
      MeterRegistry registry) {
    super(new KeySecrets(client, namespace), store, new RotationRun(options, listener, registry));
    this.algorithm = algorithm;
  }

  @Override
  String kind() {
    return "session";
  }

  @Override
  String secretName() {
    return SessionKeys.SECRET_NAME;
  }

  @Override
  String stateName() {
    return STATE;
  }

  @Override
  NewKey generateKey(Secret current) {
    SessionPrivateKey key = algorithmFor(current).generate();
    return new NewKey(key.keyId(), entryOf(key.keyId()), KeySecrets.encode(key.pem()));
  }

  private SessionKeyAlgorithm algorithmFor(Secret current) {
    if (algorithm != null) {
      return algorithm;
    }
    String now = SessionKeys.fromSecret(current).publicKeys().get(0).algorithm();
    try {
      return SessionKeyAlgorithm.of(now);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the current session key is " + now + ": choose the new key's with --key-algorithm");
    }
  }

  @Override
  String entryOf(String id) {
    return id + PEM;
  }

  @Override
  boolean isKeyEntry(String entry) {
    return entry.endsWith(PEM);
  }

  @Override
  String idOfEntry(String entry) {
    return entry.substring(0, entry.length() - PEM.length());
  }

  @Override
  String currentId(Secret secret) {
    return SessionKeys.currentId(secret);
  }

  @Override
  void madeCurrent(Secret secret, String target) {
    SessionKeys.publish(
        secrets.client(), secrets.namespace(), SessionKeys.fromSecret(secret), target);
  }

  @Override
  RewrapPasses.Source<ScannedSecret, ScanCursor> source(Secret secret, String target) {
    SessionKeyRing ring = SessionKeys.fromSecret(secret);
    SessionPublicKey newest = ring.key(target).orElseThrow().publicKey();
    if (algorithm != null && !algorithm.id().equals(newest.algorithm())) {
      LOG.warn(
          "resuming the rotation to {} ({}): --key-algorithm {} applies to the next rotation",
          target,
          newest.algorithm(),
          algorithm);
    }
    // The store's records, re-sealed under the newest key.
    return new RecordRewraps(
        store,
        (user, name, value) ->
            Envelope.keyId(value).equals(newest.keyId())
                ? null
                : Envelope.reseal(ring, newest, user, name, value));
  }

  @Override
  ScanCursor cursorFrom(Map<String, String> state) {
    return StateCursors.recordCursor(state);
  }

  @Override
  Map<String, String> cursorTo(ScanCursor cursor) {
    return StateCursors.recordCursorData(cursor);
  }
}
