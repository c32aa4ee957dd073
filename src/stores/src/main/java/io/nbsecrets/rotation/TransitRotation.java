package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.crypto.DataKeyUnwrapper;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.UnknownKeyException;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
import io.nbsecrets.util.Counts;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Brings every record under the newest version of the Vault Transit key ({@code rotate-keys
 * --transit}): records under an older Transit version are re-wrapped inside Vault (Transit's {@code
 * rewrap}; nothing leaves Vault and the record's ciphertext is untouched), records still under the
 * session RSA key pair are re-sealed under Transit (a migration; this needs the session private
 * keys). With {@code rotateKey}, a new Transit key version is made first.
 *
 * <p>The passes, batches, cursor (ConfigMap {@value #STATE}) and verification are those of {@link
 * RewrapPasses}. There is no drop step here: older Transit versions are retired in Vault, by
 * raising the key's {@code min_decryption_version} once this has completed, which the command says.
 */
public final class TransitRotation {
  /** The ConfigMap holding an interrupted rotation's target and cursor. */
  public static final String STATE = "nbsecrets-rotation-transit";

  private final KeySecrets secrets;
  private final SecretStore store;
  private final VaultTransit transit;
  private final boolean rotateKey;
  private final RotationOptions options;
  private final RotationListener listener;
  private final MeterRegistry registry;

  public TransitRotation(
      KubernetesClient client,
      String namespace,
      SecretStore store,
      VaultTransit transit,
      boolean rotateKey,
      RotationOptions options,
      RotationListener listener,
      MeterRegistry registry) {
    this.secrets = new KeySecrets(client, namespace);
    this.store = store;
    this.transit = transit;
    this.rotateKey = rotateKey;
    this.options = options;
    this.listener = listener;
    this.registry = registry;
  }

  public RotationResult run() {
    Map<String, String> state = secrets.readState(STATE).orElse(Map.of());
    String runId = options.runId();
    String target = state.get("target");
    boolean resumed = target != null;
    if (!resumed && runId != null && runId.equals(state.get("lastRun"))) {
      listener.step("Transit rotation run " + runId + " was completed before");
      return new RotationResult(
          transit.keyId(), Set.of(), false, 0, new RewrapCounts(), true, true);
    }
    int latest;
    if (resumed) {
      latest = Integer.parseInt(target.substring(target.lastIndexOf(":v") + 2));
      listener.step(
          "resuming the re-wrap to "
              + target
              + (rotateKey
                  ? " (no new Transit key version is made: finish this re-wrap first, then run"
                      + " again for a new one)"
                  : ""));
    } else {
      if (rotateKey) {
        transit.rotate();
        listener.step("made a new version of " + transit + " current");
      }
      latest = transit.latestVersion();
      target = transit.keyId() + ":v" + latest;
      secrets.writeState(STATE, Map.of("target", target));
      listener.step("re-wrapping every record to " + target);
    }
    String stateTarget = target;
    DataKeyUnwrapper rsa = sessionKeys();
    RewrapPasses.Result passes =
        new RewrapPasses<>(
                "transit",
                new RecordRewraps(
                    store, (user, name, value) -> rewrapped(rsa, latest, user, name, value)),
                StateCursors.ofRecords(secrets, STATE, stateTarget),
                new RotationRun(options, listener, registry))
            .run();
    if (!passes.clean()) {
      listener.step("no clean pass after " + passes.passes() + " passes; run again");
      return new RotationResult(
          transit.keyId(), Set.of(), resumed, passes.passes(), passes.firstPass(), false, false);
    }
    if (runId != null) {
      secrets.writeState(STATE, Map.of("lastRun", runId));
    } else {
      secrets.deleteState(STATE);
    }
    long unreadable = passes.firstPass().get(RewrapCounts.Outcome.UNREADABLE);
    if (unreadable == 0) {
      listener.step(
          "every record is under Transit key version "
              + latest
              + "; to retire older versions, set the key's min_decryption_version to "
              + latest
              + " in Vault");
    } else {
      // Not "every record": these are under keys this run does not hold (session keys kept in
      // files rather than the keys Secret, or records broken before).
      listener.step(
          "every readable record is under Transit key version "
              + latest
              + "; "
              + Counts.of(unreadable, "record")
              + " could not be read with the keys this run holds (the keys Secret "
              + SessionKeys.SECRET_NAME
              + " and Transit) and "
              + (unreadable == 1 ? "was" : "were")
              + " left as "
              + (unreadable == 1 ? "it was" : "they were")
              + ": find them before you retire anything");
    }
    return new RotationResult(
        transit.keyId(), Set.of(), resumed, passes.passes(), passes.firstPass(), true, false);
  }

  /** The session RSA keys, for records sealed before Transit (none if there is no keys Secret). */
  private DataKeyUnwrapper sessionKeys() {
    Optional<Secret> secret =
        Optional.ofNullable(
            secrets
                .client()
                .secrets()
                .inNamespace(secrets.namespace())
                .withName(SessionKeys.SECRET_NAME)
                .get());
    return secret.<DataKeyUnwrapper>map(SessionKeys::fromSecret).orElse(DataKeyUnwrapper.either());
  }

  /** The record under the newest Transit version, or null when it is there already. */
  private String rewrapped(
      DataKeyUnwrapper rsa, int latest, String user, String name, String sealed) {
    String keyId = Envelope.keyId(sealed);
    if (transit.holds(keyId)) {
      byte[] wrapped = Envelope.wrappedKey(sealed);
      if (VaultTransit.versionOf(wrapped) >= latest) {
        return null;
      }
      return Envelope.withWrappedKey(sealed, transit.rewrap(wrapped));
    }
    if (!rsa.holds(keyId)) {
      throw new UnknownKeyException(keyId);
    }
    return Envelope.reseal(rsa, transit, user, name, sealed);
  }
}
