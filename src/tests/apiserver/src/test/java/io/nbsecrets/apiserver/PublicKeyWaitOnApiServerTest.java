package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.keys.SessionKeys;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The API waits for the operator's public key through a refusal, as on a real install whose
 * RoleBinding reaches the authorizer after the pod starts (seen on a real node: the API exited on
 * its first 403), and says what is missing when the refusal lasts.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
class PublicKeyWaitOnApiServerTest {
  private static final String NS = "public-key-wait";

  @Test
  void aRefusalIsWaitedOutUntilTheRoleArrivesAndNamedWhenItLasts() throws Exception {
    ControlPlane cp = RealApiServer.get();
    try (KubernetesClient admin = cp.client(ControlPlane.ADMIN);
        KubernetesClient bob = cp.client("bob")) {
      admin
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
          .create();
      SessionKeys.loadOrCreate(admin, NS, SessionKeyAlgorithm.DEFAULT);

      assertThatThrownBy(() -> SessionKeys.awaitPublicKey(bob, NS, Duration.ofSeconds(1)))
          .hasMessageContaining("may not read configmap " + NS + "/" + SessionKeys.CONFIGMAP_NAME)
          .hasMessageContaining("Role must grant get");

      CompletableFuture<SessionPublicKey> waiting =
          CompletableFuture.supplyAsync(
              () -> SessionKeys.awaitPublicKey(bob, NS, Duration.ofSeconds(30)));
      Thread.sleep(1500);
      assertThat(waiting).as("still waiting while refused").isNotDone();
      admin
          .rbac()
          .roles()
          .inNamespace(NS)
          .resource(
              new RoleBuilder()
                  .withNewMetadata()
                  .withName("read-public-key")
                  .endMetadata()
                  .addNewRule()
                  .withApiGroups("")
                  .withResources("configmaps")
                  .withResourceNames(SessionKeys.CONFIGMAP_NAME)
                  .withVerbs("get")
                  .endRule()
                  .build())
          .create();
      admin
          .rbac()
          .roleBindings()
          .inNamespace(NS)
          .resource(
              new RoleBindingBuilder()
                  .withNewMetadata()
                  .withName("read-public-key")
                  .endMetadata()
                  .withNewRoleRef("rbac.authorization.k8s.io", "Role", "read-public-key")
                  .addNewSubject()
                  .withApiGroup("rbac.authorization.k8s.io")
                  .withKind("User")
                  .withName("bob")
                  .endSubject()
                  .build())
          .create();
      SessionPublicKey key = waiting.get(30, TimeUnit.SECONDS);
      assertThat(key.keyId()).isNotBlank();
    } finally {
      try (KubernetesClient admin = cp.client(ControlPlane.ADMIN)) {
        admin.namespaces().withName(NS).delete();
      }
    }
  }
}
