package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.store.KubernetesSecretStore;
import io.nbsecrets.store.StoreException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@code kubernetes} store's limit on a record is the real API server's on a Secret: a record
 * of exactly that many bytes is stored and reads back whole, and one byte more is refused by the
 * store before any request, with a message naming the limit (that the API server refuses one byte
 * more itself: {@code
 * SessionOnApiServerTest.theRealApiServerRefusesASecretOfMoreThanOneMebibyteOfData}).
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
}
