package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbsecrets.model.MountedSecret;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code lastUsedAt} and {@code usedBy} over HTTP: usage from the store's record, sessions from the
 * API's session cache (an informer on the mock API server), as the CLI and the page read them.
 */
class SecretUsageApiTest {
  static ApiFixture f;

  @BeforeAll
  static void start() {
    f = new ApiFixture();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void aSecretShowsWhenASessionLastTookItAndTheSessionsHoldingItsCurrentVersion() throws Exception {
    String alice = f.userToken("alice");
    assertThat(f.put("TOKEN", alice, "value-1").status()).isEqualTo(201);
    assertThat(f.put("TOKEN", alice, "value-2").status()).isEqualTo(200);
    assertThat(f.put("OTHER", alice, "value-3").status()).isEqualTo(201);

    // Never used, and no session: lastUsedAt absent, usedBy empty (once the cache has synced).
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(secret("TOKEN", alice).path("usedBy").isArray()).isTrue());
    assertThat(secret("TOKEN", alice).has("lastUsedAt")).isFalse();
    assertThat(secret("TOKEN", alice).path("usedBy")).isEmpty();

    Instant used = Instant.now();
    f.store.recordUse("alice", List.of("TOKEN"), used);
    f.sessionWithSnapshot(
        "ns-a", "current", "alice", List.of(new MountedSecret("TOKEN", 2L, null)));
    f.sessionWithSnapshot("ns-b", "stale", "alice", List.of(new MountedSecret("TOKEN", 1L, true)));
    f.sessionWithSnapshot("ns-a", "also", "alice", List.of(new MountedSecret("TOKEN", 2L, null)));
    f.sessionWithSnapshot("ns-a", "bobs", "bob", List.of(new MountedSecret("TOKEN", 2L, null)));
    // Holds version 1 of the secret TOKEN was before it was replaced, and is not marked stale: what
    // a session shows after its secret was deleted and stored again (versions restart at 1).
    f.sessionWithSnapshot("ns-c", "old", "alice", List.of(new MountedSecret("TOKEN", 1L, null)));

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(names(secret("TOKEN", alice).path("usedBy")))
                    .containsExactly("ns-a/also", "ns-a/current"));
    JsonNode token = secret("TOKEN", alice);
    assertThat(Instant.parse(token.path("lastUsedAt").asText())).isEqualTo(used);
    assertThat(secret("OTHER", alice).has("lastUsedAt")).isFalse();
    assertThat(secret("OTHER", alice).path("usedBy")).isEmpty();

    // The list shows the same, item by item.
    JsonNode items = f.get(ApiServer.ROUTE_SECRETS, alice).json().path("items");
    assertThat(items.get(1).path("name").asText()).isEqualTo("TOKEN");
    assertThat(names(items.get(1).path("usedBy"))).containsExactly("ns-a/also", "ns-a/current");
    assertThat(items.get(1).path("lastUsedAt").asText())
        .isEqualTo(token.path("lastUsedAt").asText());

    // Bob sees his own session only, and no usage of alice's.
    String bob = f.userToken("bob");
    assertThat(f.put("TOKEN", bob, "bobs-value").status()).isEqualTo(201);
    assertThat(secret("TOKEN", bob).has("lastUsedAt")).isFalse();
    assertThat(secret("TOKEN", bob).path("usedBy")).isEmpty(); // bob's session holds version 2

    // Deleted and stored again: the old usage belongs to the old secret.
    Thread.sleep(5);
    assertThat(f.delete("TOKEN", alice).status()).isEqualTo(204);
    assertThat(f.put("TOKEN", alice, "value-4").status()).isEqualTo(201);
    JsonNode again = secret("TOKEN", alice);
    assertThat(again.has("lastUsedAt")).isFalse();
    // ns-b/stale is marked stale, and ns-c/old holds "version 1" of the earlier TOKEN: no session
    // took the new one since it was created, so none holds it.
    assertThat(names(again.path("usedBy"))).isEmpty();
  }

  private static JsonNode secret(String name, String token) {
    ApiFixture.Reply reply = f.get(ApiServer.ROUTE_SECRETS + "/" + name, token);
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    return reply.json();
  }

  private static List<String> names(JsonNode usedBy) {
    List<String> names = new ArrayList<>();
    usedBy.forEach(s -> names.add(s.path("namespace").asText() + "/" + s.path("name").asText()));
    return names;
  }
}
