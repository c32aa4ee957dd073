package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.apiserver.RealApiServer;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator may not read Secrets, so it asks the real API server, with JSON Patches of {@code
 * test} operations, whether a Secret in its way is the session's: its controller reference is found
 * wherever it is among the owner references, not only first (where the operator puts it, and where
 * a tool that adds its own reference before it moves it from). Real owners throughout (sessions and
 * a ConfigMap), so that the garbage collector, which runs here, leaves every reference as it is.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdoptionOnApiServerTest {
  private static final String NS = "nbs-adoption";
  private static final String CRD = "notebooksessions.nbsecrets.io";
  private KubernetesClient admin;
  private boolean crdMadeHere;
  private ConfigMap tool;

  @BeforeAll
  void setUp() throws Exception {
    admin = RealApiServer.get().client(ControlPlane.ADMIN);
    if (admin.apiextensions().v1().customResourceDefinitions().withName(CRD).get() == null) {
      // The tier runs from the repository's root, as the chart's path (Helm.CHART) says.
      try (var in = Files.newInputStream(Path.of("crds", CRD + "-v1.yml"))) {
        admin.load(in).serverSideApply();
      }
      crdMadeHere = true;
      admin
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(CRD)
          .waitUntilCondition(AdoptionOnApiServerTest::established, 60, TimeUnit.SECONDS);
    }
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
    // Another tool's object, which owns the Secrets too (not as their controller).
    tool =
        admin
            .resource(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("another-tool")
                    .withNamespace(NS)
                    .endMetadata()
                    .build())
            .create();
  }

  @AfterAll
  void tearDown() {
    if (admin == null) {
      return;
    }
    admin.namespaces().withName(NS).delete();
    if (crdMadeHere) {
      admin.apiextensions().v1().customResourceDefinitions().withName(CRD).delete();
      admin
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(CRD)
          .waitUntilCondition(java.util.Objects::isNull, 60, TimeUnit.SECONDS);
    }
    admin.close();
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null
        && crd.getStatus() != null
        && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  @Test
  void theSessionsSecretIsFoundBehindAnotherToolsOwnerReferenceAndUpdatedInPlace()
      throws Exception {
    NotebookSession session = session("behind");
    Secret existing =
        admin.resource(secret("behind-secret", "old", toolReference(), ours(session))).create();

    Secret desired = secret("behind-secret", "new", ours(session));
    assertThat(Adoption.requireOwnSecret(admin, session, desired)).isEqualTo(1);
    assertThat(read("behind-secret").getMetadata().getResourceVersion())
        .as("asking changes nothing")
        .isEqualTo(existing.getMetadata().getResourceVersion());

    SnapshotStep.patchOwnSecret(admin, session, desired, 0);
    Secret updated = read("behind-secret");
    assertThat(value(updated)).isEqualTo("new");
    assertThat(updated.getMetadata().getOwnerReferences())
        .as("the other tool's reference kept, and first")
        .containsExactly(toolReference(), ours(session));
  }

  @Test
  void aSecretOfAnEarlierSessionOfTheNameBehindAnotherReferenceIsDeleted() throws Exception {
    NotebookSession earlier = session("again");
    admin.resource(secret("again-secret", "old", toolReference(), ours(earlier))).create();
    admin.resource(earlier).delete();
    NotebookSession session = session("again");

    assertThatThrownBy(
            () ->
                Adoption.requireOwnSecret(
                    admin, session, secret("again-secret", "new", ours(session))))
        .isInstanceOf(SessionFailure.class)
        .satisfies(
            e -> assertThat(((SessionFailure) e).reason()).isEqualTo("EarlierSessionLeftovers"))
        .hasMessageContaining("left by an earlier session of this name and is being deleted");
    admin
        .secrets()
        .inNamespace(NS)
        .withName("again-secret")
        .waitUntilCondition(java.util.Objects::isNull, 30, TimeUnit.SECONDS);
  }

  @Test
  void someoneElsesSecretIsNeitherUsedNorChanged() throws Exception {
    NotebookSession session = session("taken");
    NotebookSession other = session("other");
    Secret theirs =
        admin.resource(secret("taken-secret", "theirs", toolReference(), ours(other))).create();

    Secret desired = secret("taken-secret", "new", ours(session));
    assertThatThrownBy(() -> Adoption.requireOwnSecret(admin, session, desired))
        .isInstanceOf(SessionFailure.class)
        .satisfies(e -> assertThat(((SessionFailure) e).reason()).isEqualTo("NameTaken"));
    assertThatThrownBy(() -> SnapshotStep.patchOwnSecret(admin, session, desired, 0))
        .isInstanceOf(SessionFailure.class)
        .satisfies(e -> assertThat(((SessionFailure) e).reason()).isEqualTo("NameTaken"));
    Secret after = read("taken-secret");
    assertThat(value(after)).isEqualTo("theirs");
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(theirs.getMetadata().getResourceVersion());
  }

  private NotebookSession session(String name) {
    NotebookSession session = new NotebookSession();
    session.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser("alice");
    spec.setImage("jupyter:1");
    session.setSpec(spec);
    return admin.resource(session).create();
  }

  private static OwnerReference ours(NotebookSession session) {
    return Owners.controllerReference(session);
  }

  private OwnerReference toolReference() {
    return new OwnerReferenceBuilder()
        .withApiVersion("v1")
        .withKind("ConfigMap")
        .withName(tool.getMetadata().getName())
        .withUid(tool.getMetadata().getUid())
        .build();
  }

  private static Secret secret(String name, String value, OwnerReference... owners) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .withOwnerReferences(List.of(owners))
        .endMetadata()
        .withData(Map.of("value", b64(value)))
        .build();
  }

  private Secret read(String name) {
    return admin.secrets().inNamespace(NS).withName(name).get();
  }

  private static String value(Secret secret) {
    return new String(
        Base64.getDecoder().decode(secret.getData().get("value")), StandardCharsets.UTF_8);
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
