package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.Secret;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.util.Counts;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps every key rotation takes, each safe to interrupt and resume by running again:
 *
 * <ol>
 *   <li><b>Add</b> a new key to the keys Secret, not yet current, with the annotation {@value
 *       KeySecrets#ROTATING_TO} naming it: one write holds both the key and the marker that a
 *       rotation is under way. Then wait for the processes that decrypt to load it (they watch the
 *       Secret, and re-read it when they meet an unknown key id).
 *   <li><b>Make it current</b>; then wait for the processes that encrypt to use it.
 *   <li><b>Re-wrap</b> everything under another key, in passes of batches ({@link RewrapPasses}),
 *       saving the cursor in a ConfigMap after each batch.
 *   <li><b>Drop</b> the old keys once a whole pass finds nothing left to re-wrap, and remove the
 *       marker.
 * </ol>
 *
 * <p>Until the last step every old key is still held, so nothing becomes unreadable at any point.
 *
 * @param <T> what is re-wrapped (a record, a user key)
 * @param <C> a scan cursor
 */
abstract class KeyRotation<T, C> {
  private static final Logger LOG = LoggerFactory.getLogger(KeyRotation.class);

  final KeySecrets secrets;
  final SecretStore store;
  private final RotationRun run;

  KeyRotation(KeySecrets secrets, SecretStore store, RotationRun run) {
    this.secrets = secrets;
    this.store = store;
    this.run = run;
  }

  /** Tells the listener of a step. */
  private void step(String what) {
    run.listener().step(what);
  }

  /** "session" or "platform": for messages and the metrics' {@code kind} tag. */
  abstract String kind();

  /** The keys Secret's name. */
  abstract String secretName();

  /** The name of the ConfigMap holding an interrupted pass's cursor. */
  abstract String stateName();

  /** A new key: its id and its data entry (key, base64 value) in the Secret. */
  record NewKey(String id, String entry, String base64) {}

  abstract NewKey generateKey(Secret current);

  /** The data entry holding key {@code id}. */
  abstract String entryOf(String id);

  /** Whether a data entry holds a key (not {@code current}). */
  abstract boolean isKeyEntry(String entry);

  /** The current key's id in the Secret. */
  abstract String currentId(Secret secret);

  /** After the Secret names the new key current (publish its public half, say). */
  void madeCurrent(Secret secret, String target) {}

  /** What re-wraps items under {@code target}, with every key in {@code secret}. */
  abstract RewrapPasses.Source<T, C> source(Secret secret, String target);

  abstract C cursorFrom(Map<String, String> state);

  abstract Map<String, String> cursorTo(C cursor);

  /** Runs (or resumes) the rotation. */
  public RotationResult run() {
    Secret secret = secrets.read(secretName());
    String target = annotation(secret, KeySecrets.ROTATING_TO);
    String runId = run.options().runId();
    if (target == null && runId != null && runId.equals(annotation(secret, KeySecrets.LAST_RUN))) {
      run.listener()
          .step("rotation run " + runId + " of the " + kind() + " key was completed before");
      return new RotationResult(
          currentId(secret), Set.of(), false, 0, new RewrapCounts(), true, true);
    }
    boolean resumed = target != null && holds(secret, target);
    if (resumed) {
      step("resuming the rotation to " + kind() + " key " + target);
    } else {
      NewKey key = generateKey(secret);
      secret =
          secrets.edit(
              secretName(),
              s -> {
                // The edit re-reads the Secret: a run that started beside this one may have
                // added its key since this one looked.
                String other = s.annotation(KeySecrets.ROTATING_TO);
                if (other != null && s.data().containsKey(entryOf(other))) {
                  throw new IllegalStateException(
                      "another rotation of the "
                          + kind()
                          + " key, to "
                          + other
                          + ", started while this one did; nothing was changed by this run: run"
                          + " it again to resume that rotation");
                }
                s.putData(key.entry(), key.base64());
                s.putAnnotation(KeySecrets.ROTATING_TO, key.id());
              });
      target = key.id();
      secrets.deleteState(stateName());
      step("added " + kind() + " key " + target + ", not yet current");
    }
    if (!currentId(secret).equals(target)) {
      waitFor("every replica to load the new key");
      String id = target;
      secret =
          secrets.edit(
              secretName(),
              s -> {
                requireStillRotatingTo(s, id);
                s.putData(KeySecrets.CURRENT, KeySecrets.encode(id));
              });
      step("made " + kind() + " key " + id + " current");
    }
    madeCurrent(secret, target);
    waitFor("every replica to encrypt with the new key");

    RewrapPasses.Result passes =
        new RewrapPasses<>(
                kind(),
                source(secret, target),
                new StateCursors<>(secrets, stateName(), target, this::cursorFrom, this::cursorTo),
                run)
            .run();
    long unreadable = passes.firstPass().get(Outcome.UNREADABLE);
    if (unreadable > 0) {
      LOG.warn(
          "{} unreadable before the rotation and left as {}",
          Counts.of(unreadable, kind() + " item"),
          unreadable == 1 ? "it was" : "they were");
    }
    if (!passes.clean()) {
      run.listener()
          .step(
              "no clean pass after "
                  + passes.passes()
                  + " passes (items keep changing): the old keys are kept; run again");
      return new RotationResult(
          target, Set.of(), resumed, passes.passes(), passes.firstPass(), false, false);
    }
    Set<String> dropped = new TreeSet<>();
    String keepId = target;
    String keep = entryOf(target);
    secrets.edit(
        secretName(),
        s -> {
          requireStillRotatingTo(s, keepId);
          String current = s.data().get(KeySecrets.CURRENT);
          if (current == null || !keepId.equals(KeySecrets.decode(current))) {
            throw new IllegalStateException(
                "the "
                    + kind()
                    + " key "
                    + keepId
                    + " is no longer current in secret "
                    + secretName()
                    + " (another run changed it); no key was dropped: run the rotation again");
          }
          if (run.options().dropOldKeys()) {
            for (String entry : List.copyOf(s.data().keySet())) {
              if (isKeyEntry(entry) && !entry.equals(keep)) {
                dropped.add(entry);
                s.removeData(entry);
              }
            }
          }
          s.removeAnnotation(KeySecrets.ROTATING_TO);
          if (runId != null) {
            s.putAnnotation(KeySecrets.LAST_RUN, runId);
          }
        });
    Set<String> droppedIds = new TreeSet<>();
    dropped.forEach(e -> droppedIds.add(idOfEntry(e)));
    run.listener()
        .step(
            run.options().dropOldKeys()
                ? "dropped old " + kind() + " keys " + droppedIds
                : "kept old " + kind() + " keys (as asked)");
    secrets.deleteState(stateName());
    return new RotationResult(
        target, droppedIds, resumed, passes.passes(), passes.firstPass(), true, false);
  }

  /**
   * Refuses an edit when the Secret no longer says that this run's key is the one being rotated to:
   * another run, started beside this one, took the rotation over.
   */
  private void requireStillRotatingTo(KeySecrets.Editable s, String target) {
    String now = s.annotation(KeySecrets.ROTATING_TO);
    if (!target.equals(now)) {
      throw new IllegalStateException(
          "secret "
              + secretName()
              + " no longer rotates to "
              + kind()
              + " key "
              + target
              + " but to "
              + (now == null ? "nothing" : now)
              + " (another run changed it); this run stops without changing it: run the rotation"
              + " again");
    }
  }

  /** The key id in a data entry's name. */
  abstract String idOfEntry(String entry);

  private void waitFor(String what) {
    Duration wait = run.options().propagationWait();
    if (wait.isZero()) {
      return;
    }
    step("waiting " + wait.toSeconds() + "s for " + what);
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

  private boolean holds(Secret secret, String keyId) {
    return secret.getData() != null && secret.getData().containsKey(entryOf(keyId));
  }
}
