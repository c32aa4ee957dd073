package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.operator.Labels;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Changes under a running session: a new selection takes a new snapshot; a replaced or deleted
 * secret is stale until refreshed.
 */
class SessionChangeTest extends SessionLifecycle {
  @Override
  List<String> users() {
    return List.of("carol", "dave", "erin", "frank", "grace");
  }

  /**
   * A secret deleted and stored again (a leaked value replaced that way) starts again at version 1,
   * the version the session holds: it is still marked stale, a refresh takes the new value, and the
   * API then lists the session as holding it, though the first take was less than a minute before
   * ("last used" is written at most once a minute per name).
   */
  @Test
  void aSecretDeletedAndStoredAgainIsStaleUntilRefreshedAndThenShownAsTaken() throws Exception {
    String leaked = plaintext("grace-leaked");
    String fresh = plaintext("grace-fresh");
    putSecret("grace", "A", leaked);
    create(newSession("grace", "nb", "grace", new SecretItem("A", null)));
    awaitReady("grace", "nb");
    assertThat(deleteSecret("grace", "A")).isEqualTo(204);
    assertThat(putSecret("grace", "A", fresh)).isEqualTo(201);
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(get("grace", "nb").getStatus().getSecrets())
                    .containsExactly(new MountedSecret("A", 1L, true)));
    assertThat(DevApi.get(env, "grace", "A").path("usedBy")).isEmpty();

    edit("grace", "nb", s -> annotate(s, Labels.REFRESH_ANNOTATION, "1"));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(get("grace", "nb").getStatus().getSecrets())
                  .containsExactly(new MountedSecret("A", 1L, null));
              assertThat(files("grace", "nb")).containsOnly(Map.entry("A", fresh));
            });
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(DevApi.get(env, "grace", "A").path("usedBy").toString())
                    .contains("\"namespace\":\"grace\"")
                    .contains("\"name\":\"nb\""));
  }

  /**
   * Copies of a session's Service and StatefulSet made by hand ({@code kubectl get -o yaml},
   * renamed, applied) keep its owner reference and labels, so the caches index them under the
   * session too. The session's own are still told apart, by name: its changes are reconciled as
   * before, and the copies are left alone.
   */
  @Test
  void copiesOfTheSessionsServiceAndStatefulSetAreNotTakenForItsOwn() throws Exception {
    String a = plaintext("frank-a");
    String b = plaintext("frank-b");
    putSecret("frank", "A", a);
    putSecret("frank", "B", b);
    create(newSession("frank", "nb", "frank", new SecretItem("A", null)));
    awaitReady("frank", "nb");
    Service service = copy(client.services().inNamespace("frank").withName("nb").get());
    service.getSpec().setClusterIP(null);
    service.getSpec().setClusterIPs(null);
    client.resource(service).create();
    StatefulSet sts = copy(client.apps().statefulSets().inNamespace("frank").withName("nb").get());
    sts.getSpec().setReplicas(0);
    client.resource(sts).create();

    select("frank", "nb", new SecretItem("A", null), new SecretItem("B", null));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              NotebookSession s = get("frank", "nb");
              assertThat(s.getStatus().getObservedGeneration()).isEqualTo(2L);
              assertThat(s.getStatus().getSecrets())
                  .extracting(MountedSecret::getName)
                  .containsExactly("A", "B");
              assertThat(files("frank", "nb")).containsOnly(Map.entry("A", a), Map.entry("B", b));
            });
    NotebookSession ready = awaitReady("frank", "nb");
    assertThat(condition(ready, Conditions.READY).orElseThrow().getReason())
        .isEqualTo("SessionReady");
    assertThat(client.services().inNamespace("frank").withName("nb-copy").get()).isNotNull();
    assertThat(
            client
                .apps()
                .statefulSets()
                .inNamespace("frank")
                .withName("nb-copy")
                .get()
                .getSpec()
                .getReplicas())
        .isZero();
  }

  /** {@code original} as {@code kubectl get -o yaml} shows it, renamed {@code nb-copy}. */
  private static <T extends HasMetadata> T copy(T original) {
    T copy = Serialization.clone(original);
    copy.getMetadata().setName("nb-copy");
    copy.getMetadata().setUid(null);
    copy.getMetadata().setResourceVersion(null);
    copy.getMetadata().setCreationTimestamp(null);
    copy.getMetadata().setManagedFields(null);
    return copy;
  }

  @Test
  void changingTheSelectionTakesANewSnapshotAndRollsThePod() throws Exception {
    String a = plaintext("carol-a");
    String b = plaintext("carol-b");
    putSecret("carol", "A", a);
    putSecret("carol", "B", b);
    create(newSession("carol", "nb", "carol", new SecretItem("A", null)));
    awaitReady("carol", "nb");
    String firstSecret = sessionSecrets("carol", "nb").get(0).getMetadata().getName();
    String firstSnapshot = snapshotOf("carol", "nb");
    assertThat(files("carol", "nb")).containsOnly(Map.entry("A", a));

    select("carol", "nb", new SecretItem("A", null), new SecretItem("B", null));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              NotebookSession s = get("carol", "nb");
              assertThat(s.getMetadata().getGeneration()).isEqualTo(2L);
              assertThat(s.getStatus().getObservedGeneration()).isEqualTo(2L);
              assertThat(s.getStatus().getSecrets())
                  .extracting(MountedSecret::getName)
                  .containsExactly("A", "B");
              assertThat(files("carol", "nb")).containsOnly(Map.entry("A", a), Map.entry("B", b));
              assertThat(sessionSecrets("carol", "nb"))
                  .singleElement()
                  .satisfies(x -> assertThat(x.getMetadata().getName()).isNotEqualTo(firstSecret));
            });
    awaitReady("carol", "nb");
    assertThat(snapshotOf("carol", "nb")).isNotEqualTo(firstSnapshot);
  }

  @Test
  void aReplacedOrDeletedSecretIsStaleUntilTheSessionIsRefreshed() throws Exception {
    String v1 = plaintext("dave-v1");
    String v2 = plaintext("dave-v2");
    putSecret("dave", "A", v1);
    create(newSession("dave", "nb", "dave", new SecretItem("A", null)));
    awaitReady("dave", "nb");
    assertThat(putSecret("dave", "A", v2)).isEqualTo(200);

    // The stale check's contract: marked within 30 s (the poller's period and a pass), whether or
    // not something touches the session (a reconcile reuses the store's answer of the last 15 s
    // when it was asked after the session's snapshot).
    touch("dave", "nb");
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(get("dave", "nb").getStatus().getSecrets())
                    .containsExactly(new MountedSecret("A", 1L, true)));
    assertThat(files("dave", "nb")).containsOnly(Map.entry("A", v1)); // values are taken at start

    edit("dave", "nb", s -> annotate(s, Labels.REFRESH_ANNOTATION, "1"));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(get("dave", "nb").getStatus().getSecrets())
                  .containsExactly(new MountedSecret("A", 2L, null));
              assertThat(files("dave", "nb")).containsOnly(Map.entry("A", v2));
            });

    assertThat(deleteSecret("dave", "A")).isEqualTo(204);
    touch("dave", "nb");
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(get("dave", "nb").getStatus().getSecrets())
                    .containsExactly(new MountedSecret("A", 2L, true)));
  }

  /**
   * The per-session Secret deleted under a running session: the pod goes on; the next one cannot
   * mount it, and the kubelet (here its stand-in) says so in a FailedMount Event. The operator then
   * makes the Secret again: the same one while the stored versions are those mounted, else a new
   * snapshot onto which the pod rolls.
   */
  @Test
  void aSessionSecretDeletedUnderItsPodIsMadeAgainWhenTheNextPodCannotMountIt() throws Exception {
    String v1 = plaintext("erin-v1");
    String v2 = plaintext("erin-v2");
    putSecret("erin", "A", v1);
    create(newSession("erin", "nb", "erin", new SecretItem("A", "a.txt")));
    awaitReady("erin", "nb");
    String secret = sessionSecrets("erin", "nb").get(0).getMetadata().getName();

    String firstPod = deleteTheSecretThenThePod(secret);
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(podUid()).isNotIn(null, firstPod);
              assertThat(sessionSecrets("erin", "nb"))
                  .singleElement()
                  .satisfies(x -> assertThat(x.getMetadata().getName()).isEqualTo(secret));
              assertThat(files("erin", "nb")).containsOnly(Map.entry("a.txt", v1));
              assertThat(condition(get("erin", "nb"), Conditions.READY))
                  .get()
                  .extracting(Condition::getStatus)
                  .isEqualTo(Conditions.TRUE);
            });
    // The kubelet's stand-in could not mount it, and said so, before the operator made it again,
    // once: the FailedMount Events that came after did not take the snapshot again.
    assertThat(mountFailures(podUid())).isPositive();
    assertThat(
            client.v1().events().inNamespace("erin").list().getItems().stream()
                .filter(e -> "SnapshotTaken".equals(e.getReason()))
                .filter(e -> "nb".equals(e.getInvolvedObject().getName())))
        .hasSize(1);
    assertThat(get("erin", "nb").getStatus().getSecretName()).isEqualTo(secret);

    // Replaced in the store since: the Secret made again is the new snapshot's, and the pod rolls.
    putSecret("erin", "A", v2);
    String secondPod = deleteTheSecretThenThePod(secret);
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(podUid()).isNotIn(null, secondPod);
              assertThat(files("erin", "nb")).containsOnly(Map.entry("a.txt", v2));
              NotebookSession s = get("erin", "nb");
              assertThat(s.getStatus().getSecrets())
                  .containsExactly(new MountedSecret("A", 2L, null));
              assertThat(s.getStatus().getSecretName()).isNotEqualTo(secret);
              assertThat(condition(s, Conditions.READY))
                  .get()
                  .extracting(Condition::getStatus)
                  .isEqualTo(Conditions.TRUE);
              assertThat(sessionSecrets("erin", "nb"))
                  .singleElement()
                  .satisfies(
                      x ->
                          assertThat(x.getMetadata().getName())
                              .isEqualTo(s.getStatus().getSecretName()));
            });
  }

  /** Deletes the session's Secret, then its pod; returns the deleted pod's uid. */
  private static String deleteTheSecretThenThePod(String secret) {
    assertThat(client.secrets().inNamespace("erin").withName(secret).delete()).hasSize(1);
    String uid = podUid();
    client.pods().inNamespace("erin").withName("nb-0").delete();
    return uid;
  }

  private static String podUid() {
    Pod pod = client.pods().inNamespace("erin").withName("nb-0").get();
    return pod == null ? null : pod.getMetadata().getUid();
  }

  /** How many times the kubelet's stand-in said it cannot mount the volumes of pod {@code uid}. */
  private static int mountFailures(String uid) {
    return client.v1().events().inNamespace("erin").list().getItems().stream()
        .filter(e -> "FailedMount".equals(e.getReason()))
        .filter(e -> uid.equals(e.getInvolvedObject().getUid()))
        .mapToInt(e -> e.getCount() == null ? 1 : e.getCount())
        .sum();
  }
}
