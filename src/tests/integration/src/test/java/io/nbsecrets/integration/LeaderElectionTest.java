package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.dev.FakeTokenAuthority;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.OperatorConfig;
import io.nbsecrets.operator.OperatorRunner;
import io.nbsecrets.operator.SecretResolver;
import io.nbsecrets.store.InMemorySecretStore;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two operator replicas with leader election: one works; when it stops, the other takes over. */
class LeaderElectionTest {
  private static final String LEASE = "nbsecrets-operator";
  private final List<AutoCloseable> closing = new ArrayList<>();
  private KubernetesMockServer server;

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    server.destroy();
  }

  private KubernetesClient client(String agent) {
    KubernetesClient c =
        server.createClient(b -> b.editOrNewConfig().withUserAgent(agent).endConfig());
    closing.add(c);
    return c;
  }

  private Operator replica(String identity, KubernetesClient client, SessionKeyRing ring) {
    Operator op =
        OperatorRunner.start(
            client,
            new SecretResolver(new InMemorySecretStore(), ring),
            OperatorConfig.insecure("http://api", "nbsecrets:test", "nbsecrets", 1000, 100),
            new SimpleMeterRegistry(),
            Set.of(),
            new LeaderElectionConfiguration(
                LEASE,
                DevEnvironment.OPERATOR_NAMESPACE,
                Duration.ofSeconds(2),
                Duration.ofMillis(1500),
                Duration.ofMillis(200),
                identity,
                null,
                false),
            OperatorRunner.retry());
    closing.add(op::stop);
    return op;
  }

  private static NotebookSession session(String name) {
    NotebookSession s = new NotebookSession();
    s.getMetadata().setNamespace("alice");
    s.getMetadata().setName(name);
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser("alice");
    spec.setImage("img");
    s.setSpec(spec);
    return s;
  }

  private static boolean reconciled(KubernetesClient c, String name) {
    NotebookSession s =
        c.resources(NotebookSession.class).inNamespace("alice").withName(name).get();
    return s != null && s.getStatus() != null && s.getStatus().getObservedGeneration() != null;
  }

  @Test
  void oneReplicaReconcilesAndTheOtherTakesOverWhenItStops() throws Exception {
    server = FakeTokenAuthority.newMockServer();
    server.init(InetAddress.getLoopbackAddress(), 0);
    // The framework checks its Lease permissions at start; the CRUD mock cannot evaluate RBAC, so
    // answer as an API server would for a service account that the chart grants leases to.
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(
            201,
            new io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder()
                .withNewStatus()
                .addNewResourceRule()
                .withApiGroups("coordination.k8s.io")
                .withResources("leases")
                .withVerbs("get", "list", "watch", "create", "update", "patch")
                .endResourceRule()
                .withIncomplete(false)
                .endStatus()
                .build())
        .always();
    KubernetesClient admin = client("admin");
    try (var in = getClass().getClassLoader().getResourceAsStream(DevEnvironment.CRD_RESOURCE)) {
      admin
          .resource(admin.apiextensions().v1().customResourceDefinitions().load(in).item())
          .create();
    }
    for (String ns : List.of(DevEnvironment.OPERATOR_NAMESPACE, "alice")) {
      admin
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(ns)
                  .withAnnotations(Map.of(Labels.NAMESPACE_USER_ANNOTATION, "alice"))
                  .endMetadata()
                  .build())
          .create();
    }
    SessionKeyRing ring = SessionKeyRing.ofRsa(List.of(RsaKeys.generate(2048).getPrivate()));
    Operator a = replica("replica-a", client("replica-a"), ring);
    replica("replica-b", client("replica-b"), ring);

    await().atMost(15, TimeUnit.SECONDS).until(() -> holder(admin) != null);
    String leader = holder(admin);
    assertThat(leader).isIn("replica-a", "replica-b");

    admin.resource(session("first")).create();
    await().atMost(15, TimeUnit.SECONDS).until(() -> reconciled(admin, "first"));
    // only the leader wrote: every status patch and create came from its client
    var writers = new java.util.HashSet<String>();
    io.fabric8.mockwebserver.http.RecordedRequest r;
    while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      if (!r.getMethod().equals("GET")
          && !r.getPath().contains("/leases")
          && !r.getPath().contains("selfsubjectrulesreviews")) {
        writers.add(r.getHeader("User-Agent"));
      }
    }
    assertThat(writers)
        .contains(leader)
        .doesNotContain(leader.equals("replica-a") ? "replica-b" : "replica-a");

    // stop the leader (a real pod would exit); the other replica takes the lease and works
    if (leader.equals("replica-a")) {
      a.stop();
    } else {
      closing.get(closing.size() - 1).close();
    }
    String follower = leader.equals("replica-a") ? "replica-b" : "replica-a";
    await().atMost(20, TimeUnit.SECONDS).until(() -> follower.equals(holder(admin)));
    admin.resource(session("second")).create();
    await().atMost(20, TimeUnit.SECONDS).until(() -> reconciled(admin, "second"));
  }

  private static String holder(KubernetesClient c) {
    Lease lease = c.leases().inNamespace(DevEnvironment.OPERATOR_NAMESPACE).withName(LEASE).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }
}
