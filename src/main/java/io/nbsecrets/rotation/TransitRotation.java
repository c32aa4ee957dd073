package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.crypto.DataKeyUnwrapper;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.UnknownKeyException;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.ScanCursor;
import io.nbsecrets.store.ScannedSecret;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoredSecret;
import io.nbsecrets.store.VaultTransit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  private static final Logger LOG = LoggerFactory.getLogger(TransitRotation.class);
  private static final int REWRAP_ATTEMPTS = 3;

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
      listener.step("resuming the re-wrap to " + target);
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
    RewrapPasses.Result passes =
        new RewrapPasses<>(
                "transit",
                new Records(sessionKeys(), latest),
                new Cursors(stateTarget),
                options,
                listener,
                registry)
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
    listener.step(
        "every record is under Transit key version "
            + latest
            + "; to retire older versions, set the key's min_decryption_version to "
            + latest
            + " in Vault");
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

  private final class Records implements RewrapPasses.Source<ScannedSecret, ScanCursor> {
    private final DataKeyUnwrapper rsa;
    private final int latest;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    Records(DataKeyUnwrapper rsa, int latest) {
      this.rsa = rsa;
      this.latest = latest;
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
        String next;
        try {
          next = rewrapped(user, name, sealed);
        } catch (CryptoException e) {
          if (reported.add(user + "\u0000" + name)) {
            LOG.warn(
                "secret {} of user {} is unreadable and was left as it is: {}",
                name,
                user,
                e.getMessage());
          }
          return Outcome.UNREADABLE;
        }
        if (next == null) {
          return attempt == 1 ? Outcome.CURRENT : Outcome.CHANGED;
        }
        if (store.rewrap(user, name, sealed, next)) {
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

    /** The record under the newest Transit version, or null when it is there already. */
    private String rewrapped(String user, String name, String sealed) {
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
