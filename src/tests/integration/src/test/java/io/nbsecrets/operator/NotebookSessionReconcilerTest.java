package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.ObjectKeys;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.store.InMemorySecretStore;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reconciler called directly, once per test, on the embedded API server (the mock with what dev
 * mode adds: dry runs answered as an API server answers them, field selectors): what it returns and
 * what it writes. The Context answers from the server what the informer caches would hold.
 */
class NotebookSessionReconcilerTest {
  private static final String NS = "erin-ns";
  private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
  private static final KeyPair KEYS = RsaKeys.generate(2048);

  KubernetesClient client;

  /** What the API server answers a write that a policy refuses. */
  private static final io.fabric8.kubernetes.api.model.Status REFUSED =
      new io.fabric8.kubernetes.api.model.StatusBuilder()
          .withCode(403)
          .withReason("Forbidden")
          .withMessage("denied by a policy")
          .build();

  private final InMemorySecretStore store = new InMemorySecretStore();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  KubernetesMockServer server;
  private NotebookSessionReconciler reconciler;

  @BeforeEach
  void setUp() throws Exception {
    server = io.nbsecrets.dev.ApiServerDispatcher.newMockServer();
    server.init(java.net.InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    try (InputStream in =
        getClass()
            .getClassLoader()
            .getResourceAsStream("META-INF/fabric8/notebooksessions.nbsecrets.io-v1.yml")) {
      CustomResourceDefinition crd =
          client.apiextensions().v1().customResourceDefinitions().load(in).item();
      client.resource(crd).create();
    }
    client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(NS)
                .addToAnnotations(Labels.NAMESPACE_USER_ANNOTATION, "erin")
                .endMetadata()
                .build())
        .create();
    SecretResolver resolver =
        new SecretResolver(store, SessionKeyRing.ofRsa(List.of(KEYS.getPrivate())));
    reconciler =
        new NotebookSessionReconciler(
            resolver, Sessions.config(), registry, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.destroy();
  }

  @Test
  void aSessionGetsItsSecretWorkloadAndConditions() throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));

    UpdateControl<NotebookSession> control = reconciler.reconcile(session, context());

    // The pod is not ready (no StatefulSet controller here). Nothing is polled: the pod and the
    // controller's Events are watched. The status is written by the reconciler itself, not
    // through the UpdateControl.
    assertThat(control.isNoUpdate()).isTrue();
    assertThat(control.getScheduleDelay()).isEmpty();
    StatefulSet sts = only(StatefulSet.class);
    assertThat(only(Service.class).getMetadata().getName()).isEqualTo("nb");
    // The snapshot's record rides in the StatefulSet: no ConfigMap, one write less.
    SnapshotRecord record = SnapshotRecords.ofWorkload(sts).orElseThrow();
    assertThat(all(ConfigMap.class)).isEmpty();
    String secretName = record.secretName("nb").orElseThrow();
    assertThat(client.secrets().inNamespace(NS).withName(secretName).get()).isNotNull();
    assertThat(Workload.mountsSecret(sts, secretName)).isTrue();
    assertThat(record.manifest())
        .usingRecursiveFieldByFieldElementComparatorIgnoringFields("created")
        .containsExactly(new Snapshot.ManifestEntry("TOKEN", "TOKEN", 1));
    assertThat(record.manifest().get(0).created()).isNotNull();
    assertThat(Workload.supersededSecret(sts)).isNull();

    var status = reread(session).getStatus();
    assertThat(status.getObservedGeneration()).isEqualTo(1L);
    assertThat(status.getSecrets()).containsExactly(new MountedSecret("TOKEN", 1L, null));
    assertThat(status.getConditions())
        .extracting(Condition::getType, Condition::getStatus, Condition::getReason)
        .containsExactly(
            tuple("SecretsReady", "True", "SecretsMounted"),
            tuple("WorkloadReady", "False", "PodNotReady"),
            tuple("Ready", "False", "PodNotReady"));
    assertThat(status.getConditions())
        .allSatisfy(
            c -> {
              assertThat(c.getObservedGeneration()).isEqualTo(1L);
              assertThat(c.getLastTransitionTime()).isEqualTo("2026-01-02T03:04:05Z");
            });
    // A first snapshot is told by the status (SecretsReady, secrets): no Event, one write less.
    assertThat(reasons()).isEmpty();

    // A second pass over the same state takes no new snapshot and writes no new status.
    String version = reread(session).getMetadata().getResourceVersion();
    reconciler.reconcile(reread(session), context());
    assertThat(reread(session).getMetadata().getResourceVersion()).isEqualTo(version);
    assertThat(only(StatefulSet.class).getMetadata().getResourceVersion())
        .isEqualTo(sts.getMetadata().getResourceVersion());
    assertThat(all(ConfigMap.class)).isEmpty();
    assertThat(reasons()).isEmpty();

    // The pod turns ready: Ready is derived True, and nothing is left to look at again.
    reportPodReady(true);
    UpdateControl<NotebookSession> ready = reconciler.reconcile(reread(session), context());
    assertThat(ready.getScheduleDelay()).isEmpty();
    var conditions = reread(session).getStatus().getConditions();
    assertThat(Conditions.is(conditions, "WorkloadReady", "True", "PodReady")).isTrue();
    assertThat(Conditions.is(conditions, "Ready", "True", "SessionReady")).isTrue();
    assertThat(Conditions.find(conditions, "Ready").orElseThrow().getMessage())
        .isEqualTo("the session is running with its secrets");
  }

  /**
   * The kubelet says it cannot mount the volumes of the session's pod, which is not ready: each
   * pass asks (a dry run) whether the Secret the StatefulSet mounts is there, and takes the
   * snapshot again only when it is not, which makes the same Secret again. A ready pod's pass asks
   * nothing.
   */
  @Test
  void aPodThatCannotMountItsVolumesMakesThePassAskForItsSecretAndOnlyAGoneOneIsMadeAgain()
      throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    StatefulSet sts = only(StatefulSet.class);
    String secretName = Workload.mountedSecret(sts);
    Pod pod =
        client
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("nb-0")
                    .withNamespace(NS)
                    .withLabels(sts.getSpec().getTemplate().getMetadata().getLabels())
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("notebook")
                    .withImage("jupyter")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    client
        .resource(
            new io.fabric8.kubernetes.api.model.EventBuilder()
                .withNewMetadata()
                .withName("nb-0.1")
                .withNamespace(NS)
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("Pod")
                .withName("nb-0")
                .withNamespace(NS)
                .withUid(pod.getMetadata().getUid())
                .endInvolvedObject()
                .withReason("FailedMount")
                .withMessage("MountVolume.SetUp failed: a cache not synced yet")
                .build())
        .create();
    String secretVersion =
        client
            .secrets()
            .inNamespace(NS)
            .withName(secretName)
            .get()
            .getMetadata()
            .getResourceVersion();

    // The Secret is there (the kubelet's trouble is something else): asked, nothing written.
    assertThat(dryRunsDuring(() -> reconciler.reconcile(reread(session), context()))).isEqualTo(1);
    assertThat(reasons()).doesNotContain("SnapshotTaken");
    assertThat(only(StatefulSet.class).getMetadata().getResourceVersion())
        .isEqualTo(sts.getMetadata().getResourceVersion());
    assertThat(
            client
                .secrets()
                .inNamespace(NS)
                .withName(secretName)
                .get()
                .getMetadata()
                .getResourceVersion())
        .isEqualTo(secretVersion);

    // Deleted by hand: the same versions make the same Secret again, which the pod mounts.
    client.secrets().inNamespace(NS).withName(secretName).delete();
    assertThat(dryRunsDuring(() -> reconciler.reconcile(reread(session), context()))).isEqualTo(1);
    assertThat(reasons()).containsOnlyOnce("SnapshotTaken");
    assertThat(client.secrets().inNamespace(NS).withName(secretName).get()).isNotNull();
    assertThat(Workload.mountsSecret(only(StatefulSet.class), secretName)).isTrue();

    // The pod gets ready: nothing is asked any more, though the Event is still there.
    reportPodReady(true);
    assertThat(dryRunsDuring(() -> reconciler.reconcile(reread(session), context()))).isZero();
    assertThat(reasons()).containsOnlyOnce("SnapshotTaken");
  }

  /** Writes the StatefulSet's status as its controller would: its one pod ready or not. */
  private StatefulSet reportPodReady(boolean ready) {
    StatefulSet sts = only(StatefulSet.class);
    sts.setStatus(
        new StatefulSetStatusBuilder()
            .withObservedGeneration(sts.getMetadata().getGeneration())
            .withReplicas(1)
            .withReadyReplicas(ready ? 1 : 0)
            .build());
    return client.resource(sts).updateStatus();
  }

  /** How many dry-run requests the server received while {@code pass} ran. */
  private int dryRunsDuring(ThrowingRunnable pass) throws Exception {
    while (server.takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS) != null) {
      // what came before
    }
    pass.run();
    int dryRuns = 0;
    for (var r = server.takeRequest(50, java.util.concurrent.TimeUnit.MILLISECONDS);
        r != null;
        r = server.takeRequest(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      if (r.getPath().contains("dryRun=")) {
        dryRuns++;
      }
    }
    return dryRuns;
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void theInitStepsReasonComesFromTheSessionsOwnPodNotFromAnotherWithItsLabels() throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    StatefulSet sts = reportPodReady(false);
    var labels = sts.getSpec().getTemplate().getMetadata().getLabels();
    // Someone who may create pods in the namespace copies the session's labels onto another pod.
    client.resource(failedPod("nb-copy", labels, "UserKeyRefused: forged")).create();
    client
        .resource(failedPod("nb-0", labels, "DecryptFailed: secret TOKEN cannot be decrypted"))
        .create();

    reconciler.reconcile(reread(session), context());

    var conditions = reread(session).getStatus().getConditions();
    assertThat(Conditions.find(conditions, "SecretsReady").orElseThrow())
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("DecryptFailed");
              assertThat(c.getMessage())
                  .isEqualTo("the init step of pod nb-0 failed: secret TOKEN cannot be decrypted");
            });
  }

  private static Pod failedPod(String name, Map<String, String> labels, String message) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("notebook")
        .withImage("jupyter")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .addNewInitContainerStatus()
        .withName(Workload.INIT_CONTAINER)
        .withNewState()
        .withNewTerminated()
        .withExitCode(1)
        .withMessage(message)
        .endTerminated()
        .endState()
        .endInitContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void aSnapshotThatReplacesAnotherIsToldByAnEvent() throws Exception {
    put("TOKEN");
    put("OTHER");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    assertThat(reasons()).isEmpty();

    select(session, "OTHER");

    List<Event> events = client.v1().events().inNamespace(NS).list().getItems();
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getReason()).isEqualTo("SnapshotTaken");
              assertThat(e.getType()).isEqualTo("Normal");
              assertThat(e.getMessage()).isEqualTo("took 1 secret: OTHER");
            });
  }

  @Test
  void aNewSnapshotDeletesTheSecretItSupersededOnceTheWorkloadNamesTheNewOne() throws Exception {
    put("TOKEN");
    put("OTHER");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    String first = only(Secret.class).getMetadata().getName();

    select(session, "OTHER");

    StatefulSet sts = only(StatefulSet.class);
    String second = only(Secret.class).getMetadata().getName();
    assertThat(second).isNotEqualTo(first);
    assertThat(Workload.mountsSecret(sts, second)).isTrue();
    assertThat(SnapshotRecords.ofWorkload(sts).orElseThrow().secretName("nb")).hasValue(second);
    // The StatefulSet keeps the superseded name: a pass after a restart deletes it again, and a
    // pass that finds nothing new writes nothing.
    assertThat(Workload.supersededSecret(sts)).isEqualTo(first);
    reconciler.reconcile(reread(session), context());
    assertThat(only(StatefulSet.class).getMetadata().getResourceVersion())
        .isEqualTo(sts.getMetadata().getResourceVersion());

    // The operator stopped after the StatefulSet's write, before the delete (so its status still
    // names the first Secret): a new operator deletes it on its first pass.
    client.resource(emptySecret(first)).create();
    NotebookSession stopped = reread(session);
    assertThat(stopped.getStatus().getSecretName()).isEqualTo(second);
    stopped.getStatus().setSecretName(first);
    client.resource(stopped).updateStatus();
    assertThat(all(Secret.class)).hasSize(2);
    newReconciler().reconcile(reread(session), context());
    assertThat(only(Secret.class).getMetadata().getName()).isEqualTo(second);
    assertThat(all(ConfigMap.class)).isEmpty();
    assertThat(reread(session).getStatus().getSecretName()).isEqualTo(second);
  }

  @Test
  void aSelectionThatComesBackAfterAFailedStatusWriteStillDeletesWhatItsSecretSuperseded()
      throws Exception {
    put("A");
    put("B");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "A"));
    reconciler.reconcile(session, context());
    String a = only(Secret.class).getMetadata().getName();
    // B's pass writes its StatefulSet and deletes A's Secret, but its status write is refused:
    // the status still names A's Secret.
    refuseOnce(
        "PATCH", "/apis/nbsecrets.io/v1alpha1/namespaces/" + NS + "/notebooksessions/nb/status");
    NotebookSession toB = selecting(session, "B");
    var failed = catchThrowable(() -> reconciler.reconcile(toB, context()));
    assertThat(failed).isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class);
    reconciler.updateErrorStatus(reread(session), context(), (Exception) failed);
    assertThat(reread(session).getStatus().getSecretName()).isEqualTo(a);
    String b = only(Secret.class).getMetadata().getName();

    // A again: its Secret comes back under the name the status holds, and B's goes.
    select(session, "A");

    assertThat(only(Secret.class).getMetadata().getName()).isEqualTo(a);
    assertThat(Workload.supersededSecret(only(StatefulSet.class))).isEqualTo(b);
    assertThat(reread(session).getStatus().getSecretName()).isEqualTo(a);
  }

  @Test
  void aPassAfterAFailedWorkloadWriteFollowsTheSnapshotItTookRatherThanTakingItAgain()
      throws Exception {
    put("TOKEN");
    refuseOnce("POST", "/apis/apps/v1/namespaces/" + NS + "/statefulsets");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    assertThatThrownBy(() -> reconciler.reconcile(session, context()))
        .isInstanceOf(SessionFailure.class)
        .hasCauseInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class);
    String secretName = only(Secret.class).getMetadata().getName();
    assertThat(all(StatefulSet.class)).isEmpty();
    assertThat(snapshotsTaken()).isEqualTo(1);

    reconciler.reconcile(reread(session), context());

    assertThat(snapshotsTaken()).isEqualTo(1);
    assertThat(only(Secret.class).getMetadata().getName()).isEqualTo(secretName);
    assertThat(Workload.mountsSecret(only(StatefulSet.class), secretName)).isTrue();
    assertThat(SnapshotRecords.ofWorkload(only(StatefulSet.class))).isPresent();
  }

  @Test
  void aSnapshotTakenForAWorkloadThatWasNeverWrittenLeavesNoSecretBehind() throws Exception {
    put("TOKEN");
    put("OTHER");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    String first = only(Secret.class).getMetadata().getName();
    // A new selection whose StatefulSet write is refused...
    refuseOnce("PUT", "/apis/apps/v1/namespaces/" + NS + "/statefulsets/nb");
    NotebookSession updated = selecting(session, "OTHER");
    assertThatThrownBy(() -> reconciler.reconcile(updated, context()))
        .isInstanceOf(SessionFailure.class)
        .hasCauseInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class);
    assertThat(all(Secret.class)).hasSize(2);

    // ...and the selection goes back before it is written: the Secret no StatefulSet named goes.
    select(session, "TOKEN");
    assertThat(only(Secret.class).getMetadata().getName()).isEqualTo(first);
    assertThat(Workload.mountsSecret(only(StatefulSet.class), first)).isTrue();
  }

  @Test
  void aRecordRemovedFromTheStatefulSetIsANewSnapshotOnceAndTheOldSecretGoes() throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    StatefulSet sts = only(StatefulSet.class);
    String old = only(Secret.class).getMetadata().getName();
    sts.getMetadata().getAnnotations().remove(ObjectKeys.SNAPSHOT_RECORD);
    client.resource(sts).update();
    put("TOKEN"); // version 2 in the store
    long taken = snapshotsTaken();

    // Without its record the StatefulSet says only which Secret it mounts: the operator takes
    // the selection again, as a refresh would, and deletes the Secret it replaced.
    reconciler.reconcile(reread(session), context());
    assertThat(snapshotsTaken()).isEqualTo(taken + 1);
    StatefulSet rewritten = only(StatefulSet.class);
    SnapshotRecord record = SnapshotRecords.ofWorkload(rewritten).orElseThrow();
    assertThat(record.manifest())
        .usingRecursiveFieldByFieldElementComparatorIgnoringFields("created")
        .containsExactly(new Snapshot.ManifestEntry("TOKEN", "TOKEN", 2));
    assertThat(record.manifest().get(0).created()).isNotNull();
    String secretName = only(Secret.class).getMetadata().getName();
    assertThat(secretName).isNotEqualTo(old);
    assertThat(record.secretName("nb")).hasValue(secretName);

    // Once: the next pass writes nothing and takes nothing.
    reconciler.reconcile(reread(session), context());
    assertThat(only(StatefulSet.class).getMetadata().getResourceVersion())
        .isEqualTo(rewritten.getMetadata().getResourceVersion());
    assertThat(snapshotsTaken()).isEqualTo(taken + 1);
  }

  @Test
  void aSupersededSecretIsDeletedEvenWhenTheNextSnapshotCameBeforeItsDelete() throws Exception {
    put("A");
    put("B");
    put("C");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "A"));
    reconciler.reconcile(session, context());
    String a = only(Secret.class).getMetadata().getName();
    select(session, "B");
    String b = only(Secret.class).getMetadata().getName();
    assertThat(Workload.supersededSecret(only(StatefulSet.class))).isEqualTo(a);
    // The operator stopped after writing the StatefulSet for B, before deleting A.
    client.resource(emptySecret(a)).create();

    reconciler = newReconciler();
    select(session, "C");

    // The StatefulSet now names B as superseded; A, which it named before, goes too.
    String c = only(Secret.class).getMetadata().getName();
    assertThat(c).isNotIn(a, b);
    assertThat(Workload.supersededSecret(only(StatefulSet.class))).isEqualTo(b);
  }

  /**
   * A session "nb" of TOKEN whose StatefulSet was deleted by hand (kubectl delete statefulset nb:
   * its record and its superseded mark go with it) after TOKEN got version 2 in the store; returns
   * it and the name of the Secret its status names, version 1's.
   */
  private Deleted aStatefulSetDeletedAfterTheStoreChanged() throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    String old = only(Secret.class).getMetadata().getName();
    assertThat(reread(session).getStatus().getSecretName()).isEqualTo(old);
    put("TOKEN");
    client.resource(only(StatefulSet.class)).delete();
    return new Deleted(session, old);
  }

  private record Deleted(NotebookSession session, String oldSecret) {}

  @Test
  void aStatefulSetDeletedByHandAfterItsSecretChangedLeavesNoSupersededSecretBehind()
      throws Exception {
    Deleted deleted = aStatefulSetDeletedAfterTheStoreChanged();
    NotebookSession session = deleted.session();
    String old = deleted.oldSecret();

    // A new operator, so that nothing but the session's status remembers the old Secret.
    newReconciler().reconcile(reread(session), context());

    String now = only(Secret.class).getMetadata().getName();
    assertThat(now).isNotEqualTo(old);
    assertThat(Workload.mountedSecret(only(StatefulSet.class))).isEqualTo(now);
    assertThat(reread(session).getStatus().getSecretName()).isEqualTo(now);
  }

  @Test
  void aPassThatFailsBeforeItsStatefulSetKeepsTheSecretTheStatusNamedForTheNextToDelete()
      throws Exception {
    Deleted deleted = aStatefulSetDeletedAfterTheStoreChanged();
    NotebookSession session = deleted.session();
    String old = deleted.oldSecret();
    refuseOnce("POST", "/apis/apps/v1/namespaces/" + NS + "/statefulsets");
    NotebookSession before = reread(session);
    var failed = catchThrowable(() -> reconciler.reconcile(before, context()));
    assertThat(failed)
        .isInstanceOf(SessionFailure.class)
        .hasCauseInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class);
    reconciler.updateErrorStatus(before, context(), (Exception) failed);
    assertThat(reread(session).getStatus().getSecretName()).isEqualTo(old);
    assertThat(all(Secret.class)).hasSize(2);

    reconciler.reconcile(reread(session), context());

    String now = only(Secret.class).getMetadata().getName();
    assertThat(now).isNotEqualTo(old);
    assertThat(reread(session).getStatus().getSecretName()).isEqualTo(now);
  }

  @Test
  void aSecretTheStatusNamesThatIsNotTheSessionsOwnIsNeverDeleted() throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    client.resource(emptySecret("database-password")).create();
    NotebookSession edited = reread(session);
    edited.getStatus().setSecretName("database-password");
    client.resource(edited).updateStatus();

    newReconciler().reconcile(reread(session), context());

    assertThat(client.secrets().inNamespace(NS).withName("database-password").get()).isNotNull();
    assertThat(reread(session).getStatus().getSecretName())
        .isEqualTo(Workload.mountedSecret(only(StatefulSet.class)));
  }

  private void select(NotebookSession session, String name) throws Exception {
    reconciler.reconcile(selecting(session, name), context());
  }

  /** The session as the API server has it once its selection is {@code name} alone. */
  private NotebookSession selecting(NotebookSession session, String name) {
    NotebookSession changed = reread(session);
    changed.getSpec().setSecrets(new SecretsSpec(null, null, List.of(new SecretItem(name, null))));
    return client.resource(changed).update();
  }

  /** The API server refuses the next {@code method} request on {@code path}, as a policy would. */
  private void refuseOnce(String method, String path) {
    var expectation = server.expect();
    (switch (method) {
          case "POST" -> expectation.post();
          case "PUT" -> expectation.put();
          case "PATCH" -> expectation.patch();
          default -> throw new IllegalArgumentException(method);
        })
        .withPath(path)
        .andReturn(403, REFUSED)
        .once();
  }

  private static Secret emptySecret(String name) {
    return new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .build();
  }

  @Test
  void aSecretNamedAsSupersededThatIsNotTheSessionsOwnIsNeverDeleted() throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    client.resource(emptySecret("database-password")).create();
    StatefulSet sts = only(StatefulSet.class);
    sts.getMetadata().getAnnotations().put(ObjectKeys.SUPERSEDED_SECRET, "database-password");
    client.resource(sts).update();

    newReconciler().reconcile(reread(session), context());

    assertThat(client.secrets().inNamespace(NS).withName("database-password").get()).isNotNull();
  }

  private long snapshotsTaken() {
    return registry.get("nbsecrets.operator.snapshot.secrets").summary().count();
  }

  @Test
  void aSessionWhoseRecordAnEarlierVersionWroteToAConfigMapIsLeftAsItIsUntilItsNextSnapshot()
      throws Exception {
    put("TOKEN");
    put("OTHER");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    // The session as an earlier version left it: a Secret of the earlier layout (no manifest in
    // it, another name), its record in a ConfigMap, and a StatefulSet without a record that passes
    // the manifest in the init container's environment.
    StatefulSet written = only(StatefulSet.class);
    // This version's StatefulSet replaces a pod that never got ready (WorkloadBase.PARALLEL).
    assertThat(written.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
    SnapshotRecord current = SnapshotRecords.ofWorkload(written).orElseThrow();
    List<Snapshot.ManifestEntry> manifest = current.manifest();
    String secretName =
        SessionSecrets.name("nb", current.selectionHash(), manifest, /* manifestInSecret= */ false);
    Map<String, String> data = new java.util.LinkedHashMap<>(current.data());
    data.remove(SnapshotRecords.MANIFEST_KEY);
    data.put(SnapshotRecords.SECRET, secretName);
    SnapshotRecord record = new SnapshotRecord(current.name(), current.selectionHash(), data, null);
    assertThat(record.manifestInSecret()).isFalse();
    assertThat(record.secretName("nb")).hasValue(secretName);
    client.resource(only(Secret.class)).delete();
    client.resource(emptySecret(secretName)).create();
    client.resource(SnapshotRecords.configMap(session, record)).create();
    StatefulSet legacy =
        Workload.statefulSet(
            new WorkloadInputs(
                session,
                secretName,
                SecretResolver.selectionHash(session),
                manifest,
                record.sealedBytes(),
                Sessions.config(),
                /* parallelPods= */ false));
    assertThat(legacy.getSpec().getPodManagementPolicy()).isNull();
    assertThat(legacy.getSpec().getTemplate().getSpec().getInitContainers().get(0).getEnv())
        .anySatisfy(e -> assertThat(e.getName()).isEqualTo(Workload.FILES_ENV));
    legacy.getMetadata().setResourceVersion(written.getMetadata().getResourceVersion());
    StatefulSet before = client.resource(legacy).update();
    assertThat(SnapshotRecords.ofWorkload(before)).isEmpty();
    // ...and a status without the Secret's name, which earlier versions did not report.
    NotebookSession earlier = reread(session);
    earlier.getStatus().setSecretName(null);
    client.resource(earlier).updateStatus();
    String status = reread(session).getMetadata().getResourceVersion();

    // An upgrade writes nothing: the ConfigMap's record is followed as before.
    newReconciler().reconcile(reread(session), context());
    assertThat(only(StatefulSet.class).getMetadata().getResourceVersion())
        .isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(only(ConfigMap.class).getMetadata().getName()).isEqualTo(record.name());
    assertThat(reread(session).getMetadata().getResourceVersion()).isEqualTo(status);

    // Its next snapshot rides in the StatefulSet; the ConfigMap and its Secret go.
    select(session, "OTHER");
    StatefulSet after = only(StatefulSet.class);
    // ...written without a pod management policy, as the earlier version made it: the API server
    // refuses a change of it.
    assertThat(after.getSpec().getPodManagementPolicy()).isNull();
    String next = only(Secret.class).getMetadata().getName();
    assertThat(next).isNotEqualTo(secretName);
    assertThat(SnapshotRecords.ofWorkload(after).orElseThrow().secretName("nb")).hasValue(next);
    assertThat(all(ConfigMap.class)).isEmpty();
  }

  @Test
  void aRecordTooLargeForTheStatefulSetsAnnotationsGoesIntoAConfigMap() throws Exception {
    List<SecretItem> items = new java.util.ArrayList<>();
    for (int i = 0; i < 500; i++) {
      String name = String.format("%03d-", i) + "n".repeat(124);
      put(name);
      items.add(new SecretItem(name, null));
    }
    NotebookSession session = Sessions.session(NS, "nb", "erin", "TOKEN");
    session.getSpec().setSecrets(new SecretsSpec(null, null, items));
    session = create(session);

    reconciler.reconcile(session, context());

    StatefulSet sts = only(StatefulSet.class);
    assertThat(SnapshotRecords.ofWorkload(sts)).isEmpty();
    SnapshotRecord record = SnapshotRecords.of(only(ConfigMap.class));
    assertThat(SnapshotRecords.annotation(record).getBytes(StandardCharsets.UTF_8).length)
        .isGreaterThan(SnapshotRecords.WORKLOAD_MAX_BYTES);
    assertThat(record.manifest()).hasSize(500);
    assertThat(Workload.mountsSecret(sts, record.secretName("nb").orElseThrow())).isTrue();
    assertThat(reread(session).getStatus().getSecrets()).hasSize(500);

    // A second pass follows the ConfigMap and writes nothing.
    reconciler.reconcile(reread(session), context());
    assertThat(only(StatefulSet.class).getMetadata().getResourceVersion())
        .isEqualTo(sts.getMetadata().getResourceVersion());
    assertThat(only(ConfigMap.class).getMetadata().getName()).isEqualTo(record.name());
  }

  @Test
  void aMissingSecretFailsOnSecretsReadyAndWritesNoSecret() {
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "MISSING"));
    Context<NotebookSession> context = context();

    assertThatThrownBy(() -> reconciler.reconcile(session, context))
        .isInstanceOfSatisfying(
            SessionFailure.class,
            f -> {
              assertThat(f.reasonCode()).isEqualTo(Reason.SECRET_NOT_FOUND);
              assertThat(f.scope()).isEqualTo(SessionFailure.Scope.SECRETS);
            });
    assertThat(client.secrets().inNamespace(NS).list().getItems()).isEmpty();
    assertThat(all(StatefulSet.class)).isEmpty();

    // What the framework does with the failure: conditions and one Warning Event.
    reconciler.updateErrorStatus(
        session,
        context,
        new SessionFailure(
            SessionFailure.Scope.SECRETS,
            Reason.SECRET_NOT_FOUND,
            "secret MISSING of user erin does not exist"));
    var conditions = reread(session).getStatus().getConditions();
    assertThat(Conditions.is(conditions, "SecretsReady", "False", "SecretNotFound")).isTrue();
    assertThat(Conditions.is(conditions, "WorkloadReady", "False", "WorkloadNotCreated")).isTrue();
    assertThat(Conditions.is(conditions, "Ready", "False", "SecretNotFound")).isTrue();
    assertThat(Conditions.find(conditions, "Ready").orElseThrow().getMessage())
        .isEqualTo("secret MISSING of user erin does not exist");
    assertThat(reasons()).containsExactly("SecretNotFound");

    // The same failure again adds no Event.
    reconciler.updateErrorStatus(
        reread(session),
        context,
        new SessionFailure(
            SessionFailure.Scope.SECRETS,
            Reason.SECRET_NOT_FOUND,
            "secret MISSING of user erin does not exist"));
    assertThat(reasons()).containsExactly("SecretNotFound");
  }

  @Test
  void aWorkloadFailureNamesItselfInReadyOverAnOlderSecretsVerdict() {
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.updateErrorStatus(
        session,
        context(),
        new SessionFailure(SessionFailure.Scope.SECRETS, Reason.STORE_UNAVAILABLE, "store down"));
    reconciler.updateErrorStatus(
        reread(session),
        context(),
        new SessionFailure(SessionFailure.Scope.WORKLOAD, Reason.NAME_TAKEN, "ConfigMap taken"));
    var conditions = reread(session).getStatus().getConditions();
    assertThat(Conditions.is(conditions, "SecretsReady", "False", "StoreUnavailable")).isTrue();
    assertThat(Conditions.is(conditions, "WorkloadReady", "False", "NameTaken")).isTrue();
    assertThat(Conditions.is(conditions, "Ready", "False", "NameTaken")).isTrue();
  }

  @Test
  void aWorkloadFailureAfterTheSecretsWereTakenNoLongerShowsTheirEarlierFailure() throws Exception {
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    var missing = catchThrowable(() -> reconciler.reconcile(session, context()));
    reconciler.updateErrorStatus(session, context(), (Exception) missing);
    assertThat(
            Conditions.is(
                reread(session).getStatus().getConditions(),
                "SecretsReady",
                "False",
                "SecretNotFound"))
        .isTrue();

    // The user stores the secret; the next pass takes it, and then its StatefulSet is refused.
    put("TOKEN");
    refuseOnce("POST", "/apis/apps/v1/namespaces/" + NS + "/statefulsets");
    NotebookSession again = reread(session);
    var refused = catchThrowable(() -> reconciler.reconcile(again, context()));
    reconciler.updateErrorStatus(again, context(), (Exception) refused);

    var conditions = reread(session).getStatus().getConditions();
    assertThat(Conditions.is(conditions, "SecretsReady", "True", "SnapshotTaken"))
        .as("%s", conditions)
        .isTrue();
    assertThat(Conditions.find(conditions, "SecretsReady").orElseThrow().getMessage())
        .isEqualTo(
            "1 secret in the snapshot, not mounted yet: the session's workload could not be"
                + " written (WorkloadReady says why)");
    assertThat(Conditions.is(conditions, "WorkloadReady", "False", "ReconcileError")).isTrue();
    assertThat(Conditions.is(conditions, "Ready", "False", "ReconcileError")).isTrue();
    assertThat(Conditions.find(conditions, "Ready").orElseThrow().getMessage())
        .startsWith("Kubernetes API error (403)");
  }

  @Test
  void aStatefulSetOrServiceOfTheSessionsNameThatIsSomeoneElsesIsNeverUsedOrChanged()
      throws Exception {
    put("TOKEN");
    // Someone's StatefulSet of the session's name (with the operator's label, so that the cache
    // finds it): before, a session reported it Ready and sent its Service to its pods.
    StatefulSet foreign =
        new io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder()
            .withNewMetadata()
            .withName("nb")
            .withNamespace(NS)
            .addToLabels(Labels.MANAGED_BY, "nbsecrets")
            .endMetadata()
            .withNewSpec()
            .withServiceName("nb")
            .endSpec()
            .build();
    client.resource(foreign).create();
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    assertThatThrownBy(() -> reconciler.reconcile(session, context()))
        .isInstanceOf(SessionFailure.class)
        .satisfies(e -> assertThat(((SessionFailure) e).reason()).isEqualTo("NameTaken"))
        .hasMessageContaining("StatefulSet nb exists and does not belong to this session");
    StatefulSet kept = only(StatefulSet.class);
    assertThat(kept.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(kept.getSpec().getTemplate()).isNull();
    assertThat(all(Secret.class)).isEmpty();

    // An earlier session's of the same name is waited for, not adopted.
    client.resource(kept).delete();
    NotebookSession earlier = Sessions.session(NS, "nb", "erin", "TOKEN");
    earlier.getMetadata().setUid("uid-of-an-earlier-session");
    client
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata()
                .withName("nb")
                .withNamespace(NS)
                .addToLabels(Labels.MANAGED_BY, "nbsecrets")
                .withOwnerReferences(Owners.controllerReference(earlier))
                .endMetadata()
                .build())
        .create();
    assertThatThrownBy(() -> reconciler.reconcile(reread(session), context()))
        .isInstanceOf(SessionFailure.class)
        .satisfies(
            e -> assertThat(((SessionFailure) e).reason()).isEqualTo("EarlierSessionLeftovers"))
        .hasMessageContaining("Service nb was left by an earlier session of this name");
    // Not adopted, not changed: still the earlier session's, until the collector (here, the test)
    // removes it.
    assertThat(only(Service.class).getMetadata().getOwnerReferences())
        .containsExactly(Owners.controllerReference(earlier));
    client.services().inNamespace(NS).withName("nb").delete();
    // Once it is gone, the session gets its own.
    reconciler.reconcile(reread(session), context());
    assertThat(Owners.isControlledBy(only(Service.class), session.getMetadata().getUid())).isTrue();
    assertThat(Owners.isControlledBy(only(StatefulSet.class), session.getMetadata().getUid()))
        .isTrue();
  }

  @Test
  void theSessionsOwnStatefulSetThatTheCacheLacksIsWrittenAsItShouldBe() throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    // The session's StatefulSet with its labels gone (edited by hand): the operator's cache, which
    // selects by them, does not hold it. Before, the create's 409 found it and the pass used it as
    // it was, pass after pass: no labels, no pod template, the session waiting for a pod forever.
    client
        .resource(
            new io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder()
                .withNewMetadata()
                .withName("nb")
                .withNamespace(NS)
                .withOwnerReferences(Owners.controllerReference(session))
                .endMetadata()
                .withNewSpec()
                .withServiceName("nb")
                .endSpec()
                .build())
        .create();
    reconciler.reconcile(reread(session), context());
    StatefulSet written = only(StatefulSet.class);
    assertThat(written.getMetadata().getLabels())
        .containsEntry(Labels.MANAGED_BY, "nbsecrets")
        .containsEntry(Labels.COMPONENT, Labels.COMPONENT_WORKLOAD);
    assertThat(Workload.desiredHash(written)).isNotNull();
    assertThat(Workload.mountedSecret(written))
        .isEqualTo(only(Secret.class).getMetadata().getName());
    // Built from what it was: it named no pod management policy, and the API server does not let
    // one be set afterwards.
    assertThat(written.getSpec().getPodManagementPolicy()).isNull();
  }

  private NotebookSessionReconciler newReconciler() {
    return new NotebookSessionReconciler(
        new SecretResolver(store, SessionKeyRing.ofRsa(List.of(KEYS.getPrivate()))),
        Sessions.config(),
        new SimpleMeterRegistry(),
        Clock.fixed(NOW, ZoneOffset.UTC));
  }

  private void put(String name) {
    String sealed =
        Envelope.seal(
            SessionPublicKey.of(KEYS.getPublic()),
            "erin",
            name,
            "gAAAAAinner-token".getBytes(StandardCharsets.US_ASCII));
    store.put("erin", name, sealed, 1000);
  }

  private NotebookSession create(NotebookSession session) {
    return client.resource(session).create();
  }

  private NotebookSession reread(NotebookSession session) {
    return client.resource(session).get();
  }

  private List<String> reasons() {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .map(Event::getReason)
        .toList();
  }

  private <R extends HasMetadata> List<R> all(Class<R> type) {
    return client.resources(type).inNamespace(NS).list().getItems();
  }

  private <R extends HasMetadata> R only(Class<R> type) {
    List<R> items = all(type);
    assertThat(items).hasSize(1);
    return items.get(0);
  }

  /** A Context whose secondary resources are what the informers would hold: the server's. */
  @SuppressWarnings("unchecked") // a proxy of the generic interface
  private Context<NotebookSession> context() {
    return (Context<NotebookSession>)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {Context.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getClient" -> client;
                  case "getSecondaryResource" ->
                      secondaries((Class<?>) args[0]).stream().findFirst();
                  case "getSecondaryResources" -> new HashSet<>(secondaries((Class<?>) args[0]));
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  private List<? extends HasMetadata> secondaries(Class<?> type) {
    if (type == Namespace.class) {
      return Optional.ofNullable(client.namespaces().withName(NS).get()).stream().toList();
    }
    if (type == Event.class) {
      return client.v1().events().inNamespace(NS).list().getItems().stream()
          .filter(
              e -> PodCreationFailures.isCreationFailure(e) || PodMountFailures.isMountFailure(e))
          .toList();
    }
    if (type == Pod.class) {
      return client.pods().inNamespace(NS).list().getItems();
    }
    Set<Class<?>> owned = Set.of(ConfigMap.class, StatefulSet.class, Service.class);
    assertThat(owned).contains(type);
    return all(type.asSubclass(HasMetadata.class)).stream()
        .filter(r -> "nbsecrets".equals(r.getMetadata().getLabels().get(Labels.MANAGED_BY)))
        .collect(Collectors.toList());
  }
}
