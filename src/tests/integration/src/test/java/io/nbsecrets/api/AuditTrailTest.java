package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbsecrets.api.ApiFixture.Reply;
import io.nbsecrets.audit.Audit;
import io.nbsecrets.testing.LogCapture;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The API's audit trail: one JSON line per secret created, replaced or deleted (user, name,
 * version, time, client address and the proxy's X-Forwarded-For), none for a refused or failed
 * request, and never a value.
 */
class AuditTrailTest {
  @Test
  void everyChangeIsOneJsonLineWithWhoWhatWhenAndWhereAndNoValue() throws Exception {
    try (LogCapture logs = new LogCapture();
        ApiFixture f = new ApiFixture()) {
      String alice = f.userToken("alice");
      Instant before = Instant.now();
      String v1 = "audit-value-1-" + System.nanoTime();
      String v2 = "audit-value-2-" + System.nanoTime();
      assertThat(f.put("TOKEN", alice, v1).status()).isEqualTo(201);
      Reply replaced =
          f.send(
              HttpRequest.newBuilder(f.uri("/api/v1/secrets/TOKEN"))
                  .timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Bearer " + alice)
                  .header("Content-Type", "application/json")
                  .header("X-Forwarded-For", "203.0.113.9, 10.0.0.1")
                  .PUT(HttpRequest.BodyPublishers.ofString(ApiFixture.valueBody(v2)))
                  .build());
      assertThat(replaced.status()).isEqualTo(200);
      assertThat(f.delete("TOKEN", alice).status()).isEqualTo(204);
      // Refused or not done: no line.
      assertThat(f.delete("TOKEN", alice).status()).isEqualTo(404);
      assertThat(f.put("..bad", alice, "x").status()).isEqualTo(400);
      assertThat(f.put("TOKEN", null, "x").status()).isEqualTo(401);
      assertThat(f.get("/api/v1/secrets", alice).status()).isEqualTo(200);

      List<JsonNode> lines = new ArrayList<>();
      for (String m : logs.messages(Audit.LOGGER)) {
        lines.add(ApiFixture.JSON.readTree(m));
      }
      assertThat(lines)
          .extracting(l -> l.path("event").asText())
          .containsExactly("secret.created", "secret.replaced", "secret.deleted");
      assertThat(lines)
          .allSatisfy(
              l -> {
                assertThat(l.path("user").asText()).isEqualTo("alice");
                assertThat(l.path("name").asText()).isEqualTo("TOKEN");
                assertThat(l.path("client").asText()).isEqualTo("127.0.0.1");
                assertThat(Instant.parse(l.path("time").asText()))
                    .isAfterOrEqualTo(before.minusSeconds(1));
              });
      assertThat(lines.get(0).path("version").asLong()).isEqualTo(1);
      assertThat(lines.get(1).path("version").asLong()).isEqualTo(2);
      assertThat(lines.get(2).has("version")).isFalse();
      assertThat(lines.get(1).path("forwardedFor").asText()).isEqualTo("203.0.113.9, 10.0.0.1");
      assertThat(lines.get(0).has("forwardedFor")).isFalse();
      assertThat(logs.text()).doesNotContain(v1).doesNotContain(v2);
    }
  }
}
