package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.store.KubernetesSecretStore;
import io.nbsecrets.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@code kubernetes} store's limit on a record is the real API server's on a Secret: a record
 * of exactly that many bytes is stored and reads back whole, one byte more is refused by the store
 * before any request, with a message naming the limit; and the API server itself refuses a Secret
 * of one byte more, so the limit is neither lower nor higher than Kubernetes'.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesStoreOnApiServerTest {
  private static final String NS = "nbs-store-limits";
  private static final long MAX = KubernetesSecretStore.MAX_SECRET_DATA_BYTES;
  private KubernetesClient admin;

  @BeforeAll
  void namespace() {
    admin = RealApiServer.get().client(ControlPlane.ADMIN);
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
  }

  @AfterAll
  void close() {
    if (admin != null) {
      admin.namespaces().withName(NS).delete();
      admin.close();
    }
  }

  @Test
  void aRecordUpToTheSecretLimitIsStoredAndOneByteMoreIsRefusedBeforeAnyRequest() {
    KubernetesSecretStore store = new KubernetesSecretStore(admin, NS);
    String largest = "x".repeat((int) MAX);
    store.put("alice", "largest", largest, 1000);
    assertThat(store.get("alice", java.util.List.of("largest")).get("largest").sealed())
        .isEqualTo(largest);

    assertThatThrownBy(() -> store.put("alice", "over", largest + "x", 1000))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(
            "1,048,577 bytes sealed, over the 1,048,576 bytes a Kubernetes Secret")
        .hasMessageContaining("nothing was written");
    assertThat(store.list("alice")).extracting(m -> m.name()).containsExactly("largest");
  }

  @Test
  void theApiServerHoldsASecretOfThatManyBytesAndNoMore() {
    byte[] bytes = new byte[(int) MAX + 1];
    java.util.Arrays.fill(bytes, (byte) 'y');
    String over = Base64.getEncoder().encodeToString(bytes);
    assertThatThrownBy(
            () ->
                admin
                    .secrets()
                    .inNamespace(NS)
                    .resource(
                        new SecretBuilder()
                            .withNewMetadata()
                            .withName("one-byte-over")
                            .endMetadata()
                            .withData(Map.of("v", over))
                            .build())
                    .create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));
    String exactly =
        Base64.getEncoder()
            .encodeToString("y".repeat((int) MAX).getBytes(StandardCharsets.US_ASCII));
    admin
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("exactly")
                .endMetadata()
                .withData(Map.of("v", exactly))
                .build())
        .create();
    assertThat(admin.secrets().inNamespace(NS).withName("exactly").get()).isNotNull();
  }
}
