package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.ObjectKeys;
import io.nbsecrets.model.Refresh;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.operator.SessionSecrets;
import io.nbsecrets.operator.SnapshotRecords;
import io.nbsecrets.operator.Workload;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@code refresh: Live} in dev mode: a replaced or deleted secret reaches the running session's
 * files — through the operator's in-place update of the session Secret, the kubelet stand-in's
 * update of the volume and the real refresh step — without a new pod, each file replaced whole.
 */
class LiveRefreshTest extends SessionLifecycle {
  /** The operator looks every 15 s; the volume and the sidecar add a few seconds. */
  private static final Duration WITHIN = Duration.ofSeconds(45);

  @Override
  List<String> users() {
    return List.of("alice", "bob", "carol");
  }

  private static NotebookSession live(String ns, String name, SecretItem... items) {
    NotebookSession s = newSession(ns, name, ns, items);
    s.getSpec().setSecrets(new SecretsSpec(null, null, null, Refresh.Live, List.of(items)));
    s.getSpec().setCommand(List.of("start-notebook.py"));
    return s;
  }

  private static Pod pod(String ns, String session) {
    return client.pods().inNamespace(ns).withName(Workload.podName(session)).get();
  }

  private static String read(Path file) throws Exception {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Test
  void aReplacedSecretReachesTheRunningSessionsFileAndADeletedOnesFileDisappears()
      throws Exception {
    String v1 = plaintext("token-v1");
    String password = plaintext("pw");
    assertThat(putSecret("alice", "TOKEN", v1)).isEqualTo(201);
    assertThat(putSecret("alice", "db-password", password)).isEqualTo(201);
    create(
        live(
            "alice",
            "nb",
            new SecretItem("TOKEN", null, "TOKEN"),
            new SecretItem("db-password", "pg.txt")));
    NotebookSession ready = awaitReady("alice", "nb");
    assertThat(condition(ready, Conditions.SECRETS_READY).orElseThrow().getMessage())
        .contains("refresh: Live, the running session's files follow the store");
    String podUid = pod("alice", "nb").getMetadata().getUid();
    PodTemplateSpec template =
        client
            .apps()
            .statefulSets()
            .inNamespace("alice")
            .withName("nb")
            .get()
            .getSpec()
            .getTemplate();
    assertThat(sessionSecrets("alice", "nb"))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getMetadata().getName()).isEqualTo(SessionSecrets.liveName("nb"));
              assertThat(s.getImmutable()).isNotEqualTo(Boolean.TRUE);
            });
    Path token = env.kubelet().sessionDir("alice", "nb").resolve("TOKEN");
    assertThat(read(token)).isEqualTo(v1);

    String v2 = plaintext("token-v2");
    long written = System.nanoTime();
    assertThat(putSecret("alice", "TOKEN", v2)).isEqualTo(200);
    await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> v2.equals(read(token)));
    System.out.printf(
        "[measure] live refresh in dev mode: store write -> new file in %d ms%n",
        (System.nanoTime() - written) / 1_000_000);

    // The same pod, the same template; the status names the new version, an Event says what.
    // The pod carries the new snapshot's name, so that a kubelet syncs its volume at once.
    assertThat(pod("alice", "nb").getMetadata().getUid()).isEqualTo(podUid);
    await()
        .atMost(WITHIN)
        .untilAsserted(
            () ->
                assertThat(pod("alice", "nb").getMetadata().getAnnotations())
                    .containsKey(ObjectKeys.SECRETS_REVISION));
    // Only the StatefulSet's record of the snapshot changes (an annotation), not its pod template.
    await()
        .atMost(WITHIN)
        .untilAsserted(
            () -> {
              StatefulSet sts =
                  client.apps().statefulSets().inNamespace("alice").withName("nb").get();
              assertThat(sts.getSpec().getTemplate()).isEqualTo(template);
              assertThat(SnapshotRecords.ofWorkload(sts).orElseThrow().manifest())
                  .anySatisfy(
                      m -> {
                        assertThat(m.name()).isEqualTo("TOKEN");
                        assertThat(m.version()).isEqualTo(2L);
                      });
            });
    await()
        .atMost(WITHIN)
        .untilAsserted(
            () ->
                assertThat(get("alice", "nb").getStatus().getSecrets())
                    .contains(new MountedSecret("TOKEN", 2L, null, "TOKEN")));
    List<Event> events =
        client.v1().events().inNamespace("alice").list().getItems().stream()
            .filter(e -> "SecretsRefreshed".equals(e.getReason()))
            .toList();
    assertThat(events)
        .anySatisfy(e -> assertThat(e.getMessage()).contains("TOKEN (version 1 to 2)"));
    // A running process keeps the environment it started with.
    assertThat(env.kubelet().environment("alice", "nb").orElseThrow()).containsEntry("TOKEN", v1);

    // Deleted: its file disappears; the session stays ready and says so.
    Path pg = env.kubelet().sessionDir("alice", "nb").resolve("pg.txt");
    assertThat(read(pg)).isEqualTo(password);
    assertThat(deleteSecret("alice", "db-password")).isEqualTo(204);
    await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> !Files.exists(pg));
    NotebookSession after =
        await()
            .atMost(WITHIN)
            .until(
                () -> get("alice", "nb"),
                s ->
                    condition(s, Conditions.SECRETS_READY)
                        .map(
                            c ->
                                c.getMessage()
                                    .contains(
                                        "deleted from the store, and so from the session: db-password"))
                        .orElse(false));
    assertThat(condition(after, Conditions.READY).orElseThrow().getStatus()).isEqualTo("True");
    assertThat(after.getStatus().getSecrets())
        .containsExactly(new MountedSecret("TOKEN", 2L, null, "TOKEN"));
    assertThat(read(token)).isEqualTo(v2);
    assertThat(pod("alice", "nb").getMetadata().getUid()).isEqualTo(podUid);

    // Stored again: it comes back.
    String password2 = plaintext("pw2");
    assertThat(putSecret("alice", "db-password", password2)).isEqualTo(201);
    await()
        .atMost(WITHIN)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> password2.equals(read(pg)));

    // Deleted and stored again at once (a leaked value replaced that way): its versions start
    // again at 1, the version the session holds, and the new value still reaches the file.
    String password3 = plaintext("pw3");
    assertThat(deleteSecret("alice", "db-password")).isEqualTo(204);
    assertThat(putSecret("alice", "db-password", password3)).isEqualTo(201);
    await()
        .atMost(WITHIN)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> password3.equals(read(pg)));
    assertThat(pod("alice", "nb").getMetadata().getUid()).isEqualTo(podUid);
    await()
        .atMost(WITHIN)
        .untilAsserted(
            () ->
                assertThat(get("alice", "nb").getStatus().getSecrets())
                    .contains(new MountedSecret("db-password", 1L, null)));
  }

  @Test
  void aReaderSeesTheOldValueOrTheNewOneNeverAMix() throws Exception {
    List<String> values = new ArrayList<>();
    values.add(plaintext("a") + "x".repeat(64 * 1024));
    assertThat(putSecret("bob", "big", values.get(0))).isEqualTo(201);
    create(live("bob", "nb", new SecretItem("big", null)));
    awaitReady("bob", "nb");
    Path file = env.kubelet().sessionDir("bob", "nb").resolve("big");
    Set<String> seen = ConcurrentHashMap.newKeySet();
    List<String> torn = new ArrayList<>();
    AtomicBoolean reading = new AtomicBoolean(true);
    Set<String> written = ConcurrentHashMap.newKeySet();
    written.add(values.get(0));
    Thread reader =
        new Thread(
            () -> {
              while (reading.get()) {
                try {
                  String v = read(file);
                  if (v != null) {
                    seen.add(v);
                    if (!written.contains(v)) {
                      synchronized (torn) {
                        torn.add(v.length() + " chars");
                      }
                    }
                  }
                } catch (Exception e) {
                  synchronized (torn) {
                    torn.add(e.toString());
                  }
                }
              }
            });
    reader.start();
    try {
      for (int i = 1; i <= 2; i++) {
        String next = plaintext("v" + i) + "y".repeat(64 * 1024 + i);
        written.add(next);
        assertThat(putSecret("bob", "big", next)).isEqualTo(200);
        // The next write waits until the reader itself has seen this value: on a loaded machine
        // it may be descheduled for longer than a value stays in place.
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(50)).until(() -> seen.contains(next));
      }
    } finally {
      reading.set(false);
      reader.join();
    }
    assertThat(torn).isEmpty();
    assertThat(seen).hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  void aLiveSessionStillNeverStartsWithoutASecretItNames() throws Exception {
    create(live("carol", "nb", new SecretItem("MISSING", null)));
    awaitCondition("carol", "nb", Conditions.READY, Conditions.FALSE, "SecretNotFound");
    assertThat(client.apps().statefulSets().inNamespace("carol").withName("nb").get()).isNull();
    String value = plaintext("late");
    assertThat(putSecret("carol", "MISSING", value)).isEqualTo(201);
    awaitReady("carol", "nb");
    assertThat(files("carol", "nb")).containsEntry("MISSING", value);
  }
}
