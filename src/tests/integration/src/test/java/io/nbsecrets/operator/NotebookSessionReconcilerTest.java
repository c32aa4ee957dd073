package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reconciler called directly, once per test, on a mock API server: what it returns and what it
 * writes. The Context answers from the server what the informer caches would hold.
 */
@EnableKubernetesMockClient(crud = true)
class NotebookSessionReconcilerTest {
  private static final String NS = "erin-ns";
  private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
  private static final KeyPair KEYS = RsaKeys.generate(2048);

  KubernetesClient client;

  private final InMemorySecretStore store = new InMemorySecretStore();
  private NotebookSessionReconciler reconciler;

  @BeforeEach
  void setUp() throws Exception {
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
            resolver,
            Sessions.config(),
            new SimpleMeterRegistry(),
            Clock.fixed(NOW, ZoneOffset.UTC));
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
    ConfigMap record = only(ConfigMap.class);
    String secretName = SnapshotRecords.secretName("nb", record).orElseThrow();
    assertThat(client.secrets().inNamespace(NS).withName(secretName).get()).isNotNull();
    assertThat(Workload.mountsSecret(sts, secretName)).isTrue();

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
    assertThat(only(ConfigMap.class).getMetadata().getName())
        .isEqualTo(record.getMetadata().getName());
    assertThat(reasons()).isEmpty();

    // The pod turns ready: Ready is derived True, and nothing is left to look at again.
    StatefulSet current = only(StatefulSet.class);
    current.setStatus(
        new StatefulSetStatusBuilder()
            .withObservedGeneration(current.getMetadata().getGeneration())
            .withReplicas(1)
            .withReadyReplicas(1)
            .build());
    client.resource(current).updateStatus();
    UpdateControl<NotebookSession> ready = reconciler.reconcile(reread(session), context());
    assertThat(ready.getScheduleDelay()).isEmpty();
    var conditions = reread(session).getStatus().getConditions();
    assertThat(Conditions.is(conditions, "WorkloadReady", "True", "PodReady")).isTrue();
    assertThat(Conditions.is(conditions, "Ready", "True", "SessionReady")).isTrue();
    assertThat(Conditions.find(conditions, "Ready").orElseThrow().getMessage())
        .isEqualTo("the session is running with its secrets");
  }

  @Test
  void theInitStepsReasonComesFromTheSessionsOwnPodNotFromAnotherWithItsLabels() throws Exception {
    put("TOKEN");
    NotebookSession session = create(Sessions.session(NS, "nb", "erin", "TOKEN"));
    reconciler.reconcile(session, context());
    StatefulSet sts = only(StatefulSet.class);
    sts.setStatus(
        new StatefulSetStatusBuilder()
            .withObservedGeneration(sts.getMetadata().getGeneration())
            .withReplicas(1)
            .withReadyReplicas(0)
            .build());
    client.resource(sts).updateStatus();
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

    NotebookSession changed = reread(session);
    changed
        .getSpec()
        .setSecrets(new SecretsSpec(null, null, List.of(new SecretItem("OTHER", null))));
    reconciler.reconcile(client.resource(changed).update(), context());

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

  private void put(String name) {
    String sealed =
        Envelope.seal(
            SessionPublicKey.of(KEYS.getPublic()),
            "erin",
            name,
            "gAAAAAinner-token".getBytes(StandardCharsets.US_ASCII));
    store.put("erin", name, sealed, 100);
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
          .filter(PodCreationFailures::isCreationFailure)
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
