package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.api.ApiFixture.Reply;
import io.nbsecrets.testing.LogCapture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * After a run through every endpoint, the happy paths and the failures, nothing logged (at any
 * level, by any logger, exceptions included) holds a secret value, a token, a user key or the
 * platform key.
 */
class LogHygieneTest {

  @Test
  void noSecretsTokensOrKeysInLogs() {
    List<String> forbidden = new ArrayList<>();
    try (LogCapture logs = new LogCapture();
        ApiFixture f = new ApiFixture()) {
      String textValue = "text-value-" + UUID.randomUUID();
      byte[] binary =
          ("binary-value-" + UUID.randomUUID()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      String binaryBase64 = Base64.getEncoder().encodeToString(binary);
      String badJsonValue = "unquoted-value-" + UUID.randomUUID();
      String aliceToken = f.userToken("alice");
      String badToken = "bad-token-" + UUID.randomUUID();
      forbidden.addAll(List.of(textValue, binaryBase64, badJsonValue, aliceToken, badToken));

      // Happy paths.
      assertThat(f.put("TEXT", aliceToken, textValue).status()).isEqualTo(201);
      assertThat(
              f.call(
                      "PUT",
                      "/api/v1/secrets/BIN",
                      aliceToken,
                      "{\"value\":\"" + binaryBase64 + "\",\"encoding\":\"base64\"}")
                  .status())
          .isEqualTo(201);
      assertThat(f.put("TEXT", aliceToken, textValue + "-2").status()).isEqualTo(200);
      assertThat(f.get("/api/v1/secrets", aliceToken).status()).isEqualTo(200);
      assertThat(f.delete("BIN", aliceToken).status()).isEqualTo(204);

      // Failures that involve values and tokens.
      assertThat(
              f.call("PUT", "/api/v1/secrets/X", aliceToken, "{\"value\": " + badJsonValue + "}")
                  .status())
          .isEqualTo(400);
      assertThat(
              f.call(
                      "PUT",
                      "/api/v1/secrets/X",
                      aliceToken,
                      "{\"value\":\"" + textValue + "!\",\"encoding\":\"base64\"}")
                  .status())
          .isEqualTo(400);
      assertThat(
              f.call(
                      "PUT",
                      "/api/v1/secrets/X",
                      aliceToken,
                      "{\"value\":\"" + textValue + "\",\"x\":1}")
                  .status())
          .isEqualTo(400);
      assertThat(f.get("/api/v1/secrets", badToken).status()).isEqualTo(401);
      f.store.setAvailable(false);
      assertThat(f.put("TEXT", aliceToken, textValue).status()).isEqualTo(503);
      f.store.setAvailable(true);
      f.store.putUserKeyIfAbsent("broken", "corrupt-" + UUID.randomUUID());
      try (var expected = io.nbsecrets.testing.ExpectedLogs.expect(ApiServer.class)) {
        assertThat(f.put("K", f.userToken("broken"), textValue).status()).isEqualTo(500);
        assertThat(expected.errors()).isEqualTo(1);
      }

      // The init endpoint: a refused pod token and a user token there.
      String podToken =
          f.authority.podToken("nowhere", "default", "p", "u", "nbsecrets", Duration.ofMinutes(5));
      forbidden.add(podToken);
      assertThat(f.call("POST", "/api/v1/init/user-key", podToken, null).status()).isEqualTo(403);
      assertThat(f.call("POST", "/api/v1/init/user-key", aliceToken, null).status()).isEqualTo(403);

      String aliceKey = f.userKeys.find("alice").orElseThrow();
      forbidden.add(aliceKey);
      forbidden.add(f.store.getUserKey("alice").orElseThrow());
      forbidden.add(f.store.get("alice", List.of("TEXT")).get("TEXT").sealed());

      String text = logs.text();
      assertThat(text).contains("PUT /api/v1/secrets/{name} 201").contains("user=alice");
      for (String s : forbidden) {
        assertThat(text).doesNotContain(s);
      }
    }
  }

  @Test
  void grantedUserKeysAreNotLogged() {
    try (LogCapture logs = new LogCapture();
        ApiFixture f = new ApiFixture()) {
      SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
      String token = SessionWorld.podToken(f, w);
      Reply r = f.call("POST", "/api/v1/init/user-key", token, null);
      assertThat(r.status()).isEqualTo(200);
      String key = r.json().get("key").asText();
      String text = logs.text();
      assertThat(text).contains("user key of " + w.user() + " issued to pod");
      assertThat(text).doesNotContain(key).doesNotContain(token);
    }
  }
}
