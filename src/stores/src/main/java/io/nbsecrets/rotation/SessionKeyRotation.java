package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.store.ScanCursor;
import io.nbsecrets.store.ScannedSecret;
import io.nbsecrets.store.SecretStore;
import java.security.KeyPair;
import java.util.Map;

/**
 * Rotates the session key pair, the outer layer of every record ({@link KeyRotation} has the
 * steps). The operators decrypt and watch the keys Secret; the secrets APIs encrypt and watch the
 * public-key ConfigMap, which this rotation updates when the new key becomes current.
 *
 * <p>Re-wrapping needs the session private keys but never a plaintext: the inner layer (encrypted
 * with the user's key) is moved as it is, under a fresh data key. A record's version and timestamps
 * are kept, so sessions do not see it as changed.
 */
public final class SessionKeyRotation extends KeyRotation<ScannedSecret, ScanCursor> {
  /** The ConfigMap holding an interrupted rotation's cursor. */
  public static final String STATE = "nbsecrets-rotation-session-keys";

  private static final String PEM = ".pem";

  private final int keyBits;

  public SessionKeyRotation(
      KubernetesClient client,
      String namespace,
      SecretStore store,
      int keyBits,
      RotationOptions options,
      RotationListener listener,
      MeterRegistry registry) {
    super(new KeySecrets(client, namespace), store, new RotationRun(options, listener, registry));
    RsaKeys.requireBits(keyBits);
    this.keyBits = keyBits;
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
  NewKey generateKey() {
    KeyPair pair = RsaKeys.generate(keyBits);
    String id = RsaKeys.keyId(pair.getPublic());
    return new NewKey(id, entryOf(id), KeySecrets.encode(RsaKeys.privateKeyPem(pair.getPrivate())));
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
    SessionPublicKey newest = ring.publicKeys().get(0);
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
