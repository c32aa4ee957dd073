package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionStatus;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.store.InMemorySecretStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stale check's cost and triggers: one store call per user per pass whatever the number of
 * sessions, events only for the sessions of a user whose secrets changed or whose store stopped or
 * started answering, one call per pass during an outage.
 */
class StaleSecretsPollerTest {
  private final InMemorySecretStore store = new InMemorySecretStore();
  private final List<NotebookSession> sessions = new CopyOnWriteArrayList<>();
  private final List<ResourceID> events = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private StaleSecretsPoller poller;

  @BeforeEach
  void setUp() {
    SecretResolver resolver =
        new SecretResolver(
            store, SessionKeyRing.ofRsa(List.of(RsaKeys.generate(2048).getPrivate())));
    poller =
        new StaleSecretsPoller(
            sessions::stream, resolver, new SessionMetrics(registry), Duration.ofHours(1));
    poller.setEventHandler((Event e) -> events.add(e.getRelatedCustomResourceID()));
    poller.start();
  }

  @AfterEach
  void tearDown() {
    poller.stop();
  }

  /** Store calls made by the stale check so far (every result). */
  private double calls() {
    return registry.find("nbsecrets.operator.stale.checks").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  private void mounted(String user, String name, String... secrets) {
    NotebookSession s = Sessions.session(user, name, user, secrets);
    NotebookSessionStatus status = new NotebookSessionStatus();
    List<MountedSecret> m = new ArrayList<>();
    for (String secret : secrets) {
      m.add(new MountedSecret(secret, 1L, null));
    }
    status.setSecrets(m);
    s.setStatus(status);
    sessions.add(s);
  }

  @Test
  void oneStoreCallPerUserPerPassAndEventsOnlyWhereSomethingChanged() {
    for (int u = 0; u < 10; u++) {
      store.put("user" + u, "A", "sealed", 100);
      for (int s = 0; s < 10; s++) {
        mounted("user" + u, "nb" + s, "A");
      }
    }
    sessions.add(Sessions.session("user0", "no-snapshot-yet", "user0", "A")); // not checked

    poller.poll(); // first sight of every user: each status already shows what the store says
    assertThat(calls()).isEqualTo(10);
    assertThat(events).isEmpty();

    poller.poll(); // nothing changed: 10 calls for 100 sessions, no event
    assertThat(calls()).isEqualTo(20);
    assertThat(events).isEmpty();

    store.put("user3", "A", "sealed-2", 100); // replaced
    store.delete("user7", "A"); // deleted
    poller.poll();
    assertThat(calls()).isEqualTo(30);
    assertThat(events).hasSize(20);
    assertThat(events)
        .extracting(id -> id.getNamespace().orElseThrow())
        .containsOnly("user3", "user7");
    System.out.printf(
        "[measure] stale check: 100 sessions of 10 users -> %d store calls per pass%n", 10);
  }

  @Test
  void aChangedSecretReconcilesOnlyTheSessionsThatSelectIt() {
    store.put("ann", "A", "sealed", 100);
    store.put("ann", "B", "sealed", 100);
    mounted("ann", "with-a", "A");
    mounted("ann", "with-b", "B");
    NotebookSession everything = Sessions.session("ann", "with-all", "ann");
    everything.getSpec().setSecrets(new SecretsSpec(null, true, List.of()));
    NotebookSessionStatus status = new NotebookSessionStatus();
    status.setSecrets(
        new ArrayList<>(
            List.of(new MountedSecret("A", 1L, null), new MountedSecret("B", 1L, null))));
    everything.setStatus(status);
    sessions.add(everything);
    poller.poll();
    assertThat(events).isEmpty();

    store.put("ann", "UNUSED", "sealed", 100); // a secret that no session names
    poller.poll();
    assertThat(events).extracting(ResourceID::getName).containsExactly("with-all");

    events.clear();
    store.put("ann", "A", "sealed-2", 100); // replaced
    poller.poll();
    assertThat(events)
        .extracting(ResourceID::getName)
        .containsExactlyInAnyOrder("with-a", "with-all");

    // What their reconciles do: mark A stale in their status.
    for (NotebookSession s : sessions) {
      s.getStatus()
          .getSecrets()
          .replaceAll(m -> m.getName().equals("A") ? new MountedSecret("A", 1L, true) : m);
    }
    events.clear();
    store.delete("ann", "B");
    store.delete("ann", "UNUSED");
    poller.poll();
    assertThat(events)
        .extracting(ResourceID::getName)
        .containsExactlyInAnyOrder("with-b", "with-all");

    events.clear();
    poller.poll(); // nothing changed
    assertThat(events).isEmpty();
  }

  @Test
  void aUserSeenForTheFirstTimeReconcilesOnlyTheSessionsWhoseMarksAreNotWhatTheStoreSays() {
    store.put("erin", "A", "sealed", 100);
    store.put("erin", "B", "sealed", 100);
    store.put("erin", "B", "sealed-2", 100); // version 2
    mounted("erin", "current", "A"); // version 1 of A: current, not marked
    mounted("erin", "unmarked", "A", "B"); // version 1 of B: stale, not marked yet
    NotebookSession marked = Sessions.session("erin", "marked", "erin", "B");
    marked.setStatus(new NotebookSessionStatus());
    marked.getStatus().setSecrets(List.of(new MountedSecret("B", 1L, true)));
    sessions.add(marked); // marked as it should be
    NotebookSession cleared = Sessions.session("erin", "cleared", "erin", "A");
    cleared.setStatus(new NotebookSessionStatus());
    cleared.getStatus().setSecrets(List.of(new MountedSecret("A", 1L, true)));
    sessions.add(cleared); // marked, though A is current again
    NotebookSession unchecked = Sessions.session("erin", "unchecked", "erin", "A");
    unchecked.setStatus(new NotebookSessionStatus());
    unchecked.getStatus().setSecrets(List.of(new MountedSecret("A", 1L, null)));
    unchecked
        .getStatus()
        .setConditions(
            new ArrayList<>(
                List.of(
                    new io.fabric8.kubernetes.api.model.ConditionBuilder()
                        .withType(Conditions.SECRETS_READY)
                        .withStatus("True")
                        .withReason(Reason.STALE_CHECK_FAILED.value())
                        .build())));
    sessions.add(unchecked); // its reconcile could not ask the store
    store.put("frank", "A", "sealed", 100);
    mounted("frank", "nb", "A");

    poller.poll();
    assertThat(events)
        .extracting(id -> id.getName())
        .containsExactlyInAnyOrder("unmarked", "cleared", "unchecked");

    // A user first seen while the store does not answer: every session, as before.
    events.clear();
    poller.stop();
    setUp();
    store.setAvailable(false);
    poller.poll();
    assertThat(events).hasSize(6);
  }

  @Test
  void anOutageCostsOneCallPerPassAndItsEndReconcilesTheSessions() {
    for (int u = 0; u < 5; u++) {
      store.put("user" + u, "A", "sealed", 100);
      mounted("user" + u, "nb", "A");
    }
    poller.poll();
    events.clear();
    double before = calls();

    store.setAvailable(false);
    poller.poll(); // the first unreachable answer ends the pass for every user
    assertThat(calls() - before).isEqualTo(1);
    assertThat(events).hasSize(5);
    assertThat(
            registry
                .get("nbsecrets.operator.stale.checks")
                .tag("result", "StoreUnavailable")
                .counter()
                .count())
        .isEqualTo(1);

    events.clear();
    poller.poll(); // still down: no new event
    assertThat(events).isEmpty();

    store.setAvailable(true);
    poller.poll(); // back: every session is reconciled, marking resumes
    assertThat(events).hasSize(5);
  }
}
