package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbsecrets.api.ApiFixture.Reply;
import io.nbsecrets.dev.FakeTokenAuthority;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The user endpoints over HTTP, against the mock API server's TokenReview. */
class SecretsApiTest {
  static final int MAX_VALUE = 5000;
  static final int MAX_SECRETS = 3;
  static ApiFixture f;
  static final AtomicInteger users = new AtomicInteger();

  @BeforeAll
  static void start() {
    f =
        new ApiFixture(
            ApiConfig.defaults().withMaxValueBytes(MAX_VALUE).withMaxSecretsPerUser(MAX_SECRETS));
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  /** A fresh user per test, so tests do not see each other's secrets. */
  static String newUser() {
    return "user" + users.incrementAndGet();
  }

  static void assertError(Reply r, int status, String code, String messagePart) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    assertThat(r.json().get("error").asText()).isEqualTo(code);
    assertThat(r.json().get("message").asText()).containsIgnoringCase(messagePart);
  }

  @Test
  void createReplaceListDelete() {
    String user = newUser();
    String token = f.userToken(user);

    Reply empty = f.get("/api/v1/secrets", token);
    assertThat(empty.status()).isEqualTo(200);
    assertThat(empty.json().get("items")).isEmpty();

    Reply created = f.put("DB_PASSWORD", token, "hunter2-first");
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.header("Location")).isEqualTo("/api/v1/secrets/DB_PASSWORD");
    assertThat(created.json().get("name").asText()).isEqualTo("DB_PASSWORD");
    assertThat(created.json().get("version").asLong()).isEqualTo(1);
    Instant createdAt = Instant.parse(created.json().get("createdAt").asText());
    assertThat(created.body()).doesNotContain("hunter2");

    Reply replaced = f.put("DB_PASSWORD", token, "hunter2-second");
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(replaced.json().get("version").asLong()).isEqualTo(2);
    assertThat(Instant.parse(replaced.json().get("createdAt").asText())).isEqualTo(createdAt);
    assertThat(Instant.parse(replaced.json().get("updatedAt").asText()))
        .isAfterOrEqualTo(createdAt);
    assertThat(new String(f.decryptStored(user, "DB_PASSWORD"), StandardCharsets.UTF_8))
        .isEqualTo("hunter2-second");

    assertThat(f.put("api-key.v2_x", token, "k").status()).isEqualTo(201);
    Reply list = f.get("/api/v1/secrets", token);
    assertThat(list.status()).isEqualTo(200);
    JsonNode items = list.json().get("items");
    assertThat(items).hasSize(2);
    assertThat(items.get(0).get("name").asText()).isEqualTo("DB_PASSWORD");
    assertThat(items.get(0).get("version").asLong()).isEqualTo(2);
    assertThat(items.get(1).get("name").asText()).isEqualTo("api-key.v2_x");
    List<String> fields = new ArrayList<>();
    items.get(0).fieldNames().forEachRemaining(fields::add);
    // Metadata and usage only (usedBy once the API's session cache has synced; never lastUsedAt
    // here: no session took it), never a value.
    assertThat(fields)
        .contains("name", "version", "createdAt", "updatedAt")
        .isSubsetOf("name", "version", "createdAt", "updatedAt", "usedBy");
    assertThat(list.body()).doesNotContain("hunter2");

    Reply one = f.get("/api/v1/secrets/DB_PASSWORD", token);
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.json().get("version").asLong()).isEqualTo(2);
    assertThat(one.body()).doesNotContain("hunter2");

    Reply deleted = f.delete("DB_PASSWORD", token);
    assertThat(deleted.status()).isEqualTo(204);
    assertThat(deleted.body()).isEmpty();
    assertThat(deleted.header("Cache-Control")).isEqualTo("no-store");
    assertError(f.delete("DB_PASSWORD", token), 404, "not_found", "DB_PASSWORD");
    assertError(f.get("/api/v1/secrets/DB_PASSWORD", token), 404, "not_found", "DB_PASSWORD");
    assertThat(f.get("/api/v1/secrets", token).json().get("items")).hasSize(1);
  }

  @Test
  void textIsStoredAsUtf8AndBinaryAsIs() {
    String user = newUser();
    String token = f.userToken(user);
    assertThat(f.put("text", token, "pässwörd ✓ 🔑").status()).isEqualTo(201);
    assertThat(f.decryptStored(user, "text"))
        .isEqualTo("pässwörd ✓ 🔑".getBytes(StandardCharsets.UTF_8));

    byte[] binary = {0, 1, 2, (byte) 0xff, (byte) 0xfe, 10, 13, 0};
    String body =
        "{\"value\": \""
            + Base64.getEncoder().encodeToString(binary)
            + "\", \"encoding\": \"base64\"}";
    assertThat(f.call("PUT", "/api/v1/secrets/blob", token, body).status()).isEqualTo(201);
    assertThat(f.decryptStored(user, "blob")).isEqualTo(binary);

    // Line-wrapped base64 (as base64(1) prints it) is accepted.
    String wrapped = "AAEC\\n//4K\\r\\nDQA=";
    String body2 = "{\"encoding\": \"base64\", \"value\": \"" + wrapped + "\"}";
    assertThat(f.call("PUT", "/api/v1/secrets/blob", token, body2).status()).isEqualTo(200);
    assertThat(f.decryptStored(user, "blob")).isEqualTo(new byte[] {0, 1, 2, -1, -2, 10, 13, 0});

    String body3 = "{\"value\": \"plain\", \"encoding\": \"text\"}";
    assertThat(f.call("PUT", "/api/v1/secrets/t2", token, body3).status()).isEqualTo(201);
    assertThat(f.decryptStored(user, "t2")).isEqualTo("plain".getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''                    | must not be empty",
        "a%20b                 | only letters, digits",
        "a$b                   | only letters, digits",
        "%C3%A9t%C3%A9         | only letters, digits",
        "a%2Fb                 | only letters, digits",
        "%2E                   | must not be '.' or '..'",
        "%2E%2E                | must not be '.' or '..'",
        "..data                | nor begin with '..'",
        "...                   | nor begin with '..'",
      })
  void invalidNamesAreRefused(String rawName, String problem) {
    String token = f.userToken(newUser());
    for (String method : List.of("PUT", "GET", "DELETE")) {
      Reply r =
          f.call(
              method,
              "/api/v1/secrets/" + rawName,
              token,
              method.equals("PUT") ? ApiFixture.valueBody("v") : null);
      assertError(r, 400, "invalid_name", problem);
    }
  }

  @Test
  void tooLongNameIsRefused() {
    String token = f.userToken(newUser());
    assertThat(f.put("n".repeat(128), token, "v").status()).isEqualTo(201);
    assertError(f.put("n".repeat(129), token, "v"), 400, "invalid_name", "longer than 128");
  }

  @Test
  void literalDotSegmentsAreRefusedOrNotRouted() throws Exception {
    // A client may normalize "." and ".." away; a raw request keeps them.
    for (String name : List.of(".", "..")) {
      String request =
          "PUT /api/v1/secrets/"
              + name
              + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
              + f.userToken(newUser())
              + "\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close"
              + "\r\n\r\n{\"value\":\"v\"}";
      String response = raw(request);
      assertThat(response).startsWith("HTTP/1.1 400").contains("must not be '.' or '..'");
    }
  }

  @Test
  void emptyValuesAreRefused() {
    String token = f.userToken(newUser());
    assertError(f.put("x", token, ""), 400, "invalid_value", "must not be empty");
    assertError(
        f.call("PUT", "/api/v1/secrets/x", token, "{\"value\":\"\",\"encoding\":\"base64\"}"),
        400,
        "invalid_value",
        "must not be empty");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "{not json                              | invalid_json    | not valid JSON",
        "``                                     | invalid_json    | JSON object",
        "[\"v\"]                                | invalid_json    | JSON object",
        "\"v\"                                  | invalid_json    | JSON object",
        "{\"value\":\"v\"} trailing             | invalid_json    | not valid JSON",
        "{\"value\":\"a\",\"value\":\"b\"}      | invalid_json    | not valid JSON",
        "{}                                     | invalid_value   | no \"value\"",
        "{\"value\":null}                       | invalid_value   | no \"value\"",
        "{\"value\":42}                         | invalid_value   | must be a JSON string",
        "{\"value\":\"v\",\"extra\":1}          | invalid_request | unknown field",
        "{\"value\":\"!!!\",\"encoding\":\"base64\"} | invalid_base64 | not valid base64",
        "{\"value\":\"QUJD\",\"encoding\":\"base32\"} | unknown_encoding | unknown \"encoding\"",
        "{\"value\":\"QUJD\",\"encoding\":7}    | unknown_encoding | unknown \"encoding\"",
        "{\"value\":\"\\ud800\"}                | invalid_value   | unpaired surrogate",
      })
  void badBodiesAreRefused(String body, String code, String message) {
    String token = f.userToken(newUser());
    assertError(f.call("PUT", "/api/v1/secrets/x", token, body), 400, code, message);
  }

  @Test
  void valueSizeIsLimitedOnDecodedBytes() {
    String user = newUser();
    String token = f.userToken(user);
    assertThat(f.put("max", token, "a".repeat(MAX_VALUE)).status()).isEqualTo(201);
    assertError(
        f.put("over", token, "a".repeat(MAX_VALUE + 1)),
        413,
        "value_too_large",
        "value is 5001 bytes; the limit is 5000 bytes");
    // 2000 characters of 3 bytes each: 6000 bytes of UTF-8.
    assertError(f.put("euro", token, "€".repeat(2000)), 413, "value_too_large", "6000 bytes");
    // Base64 is measured after decoding: 5000 bytes decode fine, 5001 do not.
    String ok = Base64.getEncoder().encodeToString(new byte[MAX_VALUE]);
    String over = Base64.getEncoder().encodeToString(new byte[MAX_VALUE + 1]);
    String template = "{\"value\":\"%s\",\"encoding\":\"base64\"}";
    assertThat(f.call("PUT", "/api/v1/secrets/b", token, String.format(template, ok)).status())
        .isEqualTo(201);
    assertError(
        f.call("PUT", "/api/v1/secrets/b", token, String.format(template, over)),
        413,
        "value_too_large",
        "5001 bytes");
    assertThat(f.store.list(user)).extracting(m -> m.name()).containsExactly("b", "max");
  }

  /**
   * A value the configured limit allows but whose record the store cannot hold (the kubernetes
   * store's Secret of 1 MiB, with a limit raised towards it) is refused before anything is written,
   * with a 413 that names both sizes and the largest value that fits, which then fits.
   */
  @Test
  void aValueWhoseRecordTheStoreCannotHoldIsRefusedUpFront() throws Exception {
    try (ApiFixture big = new ApiFixture(ApiConfig.defaults().withMaxValueBytes(1 << 20))) {
      big.store.setMaxSealedBytes(io.nbsecrets.store.KubernetesSecretStore.MAX_SECRET_DATA_BYTES);
      String user = newUser();
      String token = big.userToken(user);
      ApiFixture.Reply refused = big.put("large", token, "a".repeat(700_000));
      assertError(refused, 413, "value_too_large", "value is 700000 bytes, ");
      String message = refused.json().get("message").asText();
      assertThat(message).contains("the secret store holds records of at most 1048576 bytes");
      java.util.regex.Matcher fits =
          java.util.regex.Pattern.compile("values up to about (\\d+) bytes").matcher(message);
      assertThat(fits.find()).as(message).isTrue();
      int largest = Integer.parseInt(fits.group(1));
      assertThat(largest).isBetween(500_000, 600_000);
      assertThat(big.store.list(user)).isEmpty();
      assertThat(big.put("large", token, "a".repeat(largest)).status()).isEqualTo(201);
    }
  }

  @Test
  void oversizedBodyIsRefusedWithoutReadingIt() throws Exception {
    // Declares 100 MB and sends a few bytes: the answer comes at once, from the header alone.
    String request =
        "PUT /api/v1/secrets/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + f.userToken(newUser())
            + "\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"value\":\"";
    long start = System.nanoTime();
    String response = raw(request);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(response).startsWith("HTTP/1.1 413").contains("body_too_large");

    // Without a Content-Length (chunked), reading stops at the cap.
    int cap = f.config.maxBodyBytes();
    byte[] big = ("{\"value\":\"" + "a".repeat(cap) + "\"}").getBytes(StandardCharsets.UTF_8);
    HttpRequest chunked =
        HttpRequest.newBuilder(f.uri("/api/v1/secrets/big"))
            .header("Authorization", "Bearer " + f.userToken(newUser()))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
            .build();
    Reply r = f.send(chunked);
    assertError(r, 413, "body_too_large", "larger than " + cap + " bytes");
  }

  @Test
  void secretCountIsLimited() {
    String user = newUser();
    String token = f.userToken(user);
    for (int i = 0; i < MAX_SECRETS; i++) {
      assertThat(f.put("s" + i, token, "v").status()).isEqualTo(201);
    }
    assertError(f.put("one-more", token, "v"), 409, "too_many_secrets", "maximum of 3 secrets");
    assertThat(f.put("s0", token, "replaced").status()).isEqualTo(200);
    assertThat(f.delete("s1", token).status()).isEqualTo(204);
    assertThat(f.put("one-more", token, "v").status()).isEqualTo(201);
  }

  @Test
  void missingOrInvalidTokensGet401() {
    Reply none = f.get("/api/v1/secrets", null);
    assertError(none, 401, "unauthorized", "missing bearer token");
    assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");

    Reply bad = f.get("/api/v1/secrets", "not-a-token");
    assertError(bad, 401, "unauthorized", "is not valid; get a new one");
    assertThat(bad.header("WWW-Authenticate")).contains("Bearer").contains("invalid_token");

    HttpRequest basic =
        HttpRequest.newBuilder(f.uri("/api/v1/secrets"))
            .header("Authorization", "Basic YWxpY2U6cHc=")
            .build();
    assertError(f.send(basic), 401, "unauthorized", "Bearer");

    String revoked = f.userToken(newUser());
    f.authority.revoke(revoked);
    assertError(f.put("x", revoked, "v"), 401, "unauthorized", "is not valid");

    // A pod token meant for the init endpoint is not a user token.
    String podToken =
        f.authority.podToken("ns", "default", "pod", "uid", "nbsecrets", Duration.ofMinutes(10));
    assertError(f.get("/api/v1/secrets", podToken), 401, "unauthorized", "is not valid");

    // An expired token is said to be expired (the API server's TokenReview says why).
    String expired =
        f.authority.podToken(
            "ns", "default", "pod", "uid", FakeTokenAuthority.API_SERVER_AUDIENCE, Duration.ZERO);
    assertError(
        f.get("/api/v1/secrets", expired), 401, "unauthorized", "has expired; get a new one");
  }

  @Test
  void serviceAccountsAreRefusedOnUserEndpoints() {
    String saToken =
        f.authority.podToken(
            "ns",
            "default",
            "pod",
            "uid",
            FakeTokenAuthority.API_SERVER_AUDIENCE,
            Duration.ofMinutes(10));
    assertError(f.get("/api/v1/secrets", saToken), 403, "forbidden", "service-account");
    assertError(f.put("x", saToken, "v"), 403, "forbidden", "service-account");
    assertThat(f.store.list("system:serviceaccount:ns:default")).isEmpty();

    String systemUser = f.authority.userToken("system:kube-proxy", List.of());
    assertError(f.get("/api/v1/secrets", systemUser), 403, "forbidden", "system users");
  }

  @Test
  void usersNeverSeeEachOthersSecrets() {
    String alice = newUser();
    String bob = newUser();
    String aliceToken = f.userToken(alice);
    String bobToken = f.userToken(bob);
    assertThat(f.put("shared-name", aliceToken, "alice-value").status()).isEqualTo(201);

    assertThat(f.get("/api/v1/secrets", bobToken).json().get("items")).isEmpty();
    assertThat(f.get("/api/v1/secrets/shared-name", bobToken).status()).isEqualTo(404);
    assertThat(f.delete("shared-name", bobToken).status()).isEqualTo(404);
    Reply bobs = f.put("shared-name", bobToken, "bob-value");
    assertThat(bobs.status()).isEqualTo(201);
    assertThat(bobs.json().get("version").asLong()).isEqualTo(1);

    assertThat(f.get("/api/v1/secrets/shared-name", aliceToken).json().get("version").asLong())
        .isEqualTo(1);
    assertThat(new String(f.decryptStored(alice, "shared-name"), StandardCharsets.UTF_8))
        .isEqualTo("alice-value");
    assertThat(new String(f.decryptStored(bob, "shared-name"), StandardCharsets.UTF_8))
        .isEqualTo("bob-value");
    assertThat(f.userKeys.find(alice)).isNotEqualTo(f.userKeys.find(bob));
  }

  @Test
  void unknownRoutesAndMethods() {
    String token = f.userToken(newUser());
    assertError(f.get("/api/v2/secrets", token), 404, "not_found", "no such route");
    assertError(f.get("/api/v1/secrets/a/b", token), 404, "not_found", "no such route");
    Reply post = f.call("POST", "/api/v1/secrets", token, "{}");
    assertError(post, 405, "method_not_allowed", "allowed: GET");
    assertThat(post.header("Allow")).isEqualTo("GET");
    // Answered from its head, the body unread: the connection is not used again (a client that
    // sent its next request on it at once saw it close under that request).
    assertThat(post.header("Connection")).isEqualTo("close");
    Reply patch = f.call("PATCH", "/api/v1/secrets/x", token, "{}");
    assertError(patch, 405, "method_not_allowed", "GET, PUT, DELETE");
    assertError(f.get("/api/v1/init/user-key", token), 405, "method_not_allowed", "POST");
    assertThat(f.get("/api/v1/secrets/a/b", token).header("Connection")).isNull();
    assertError(f.call("POST", "/healthz", null, "{}"), 405, "method_not_allowed", "GET");
  }

  @Test
  void healthReadinessAndStoreOutage() {
    Reply health = f.get("/healthz", null);
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().get("status").asText()).isEqualTo("ok");
    assertThat(health.header("Cache-Control")).isEqualTo("no-store");
    assertThat(f.get("/readyz", null).status()).isEqualTo(200);

    String token = f.userToken(newUser());
    f.store.setAvailable(false);
    try {
      // Its answer is reused for up to a second (anyone may ask): not ready within that.
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertError(f.get("/readyz", null), 503, "not_ready", "store"));
      assertError(f.get("/api/v1/secrets", token), 503, "store_unavailable", "try again");
      Reply put = f.put("x", token, "v");
      assertError(put, 503, "store_unavailable", "try again");
      assertThat(put.header("Retry-After")).isNotNull();
      assertThat(f.get("/healthz", null).status()).isEqualTo(200);
    } finally {
      f.store.setAvailable(true);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(f.get("/readyz", null).status()).isEqualTo(200));
    assertThat(f.put("x", token, "v").status()).isEqualTo(201);
  }

  @Test
  void metricsAreLowCardinality() {
    String user = newUser();
    String token = f.userToken(user);
    assertThat(f.put("metric-secret-name", token, "v").status()).isEqualTo(201);
    assertThat(f.get("/api/v1/secrets", null).status()).isEqualTo(401);

    Reply metrics = f.get("/metrics", null);
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.header("Content-Type")).startsWith("text/plain");
    assertThat(metrics.body())
        .contains(
            "nbsecrets_api_requests_seconds_count{method=\"PUT\",route=\"/api/v1/secrets/{name}\","
                + "status=\"201\"}")
        .contains(
            "nbsecrets_api_requests_seconds_count{method=\"GET\",route=\"/api/v1/secrets\","
                + "status=\"401\"}")
        .doesNotContain(user)
        .doesNotContain("metric-secret-name");
  }

  @Test
  void everyResponseIsUncacheableJson() {
    String token = f.userToken(newUser());
    List<Reply> replies =
        List.of(
            f.get("/api/v1/secrets", token),
            f.put("c", token, "v"),
            f.put("c", token, "v2"),
            f.get("/api/v1/secrets/c", token),
            f.get("/nope", token),
            f.get("/api/v1/secrets", null),
            f.call("POST", "/api/v1/init/user-key", token, null));
    for (Reply r : replies) {
      assertThat(r.header("Cache-Control")).as(r.body()).isEqualTo("no-store");
      assertThat(r.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
      assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
    }
  }

  @Test
  void concurrentRequestsAreServed() throws Exception {
    String user = newUser();
    String token = f.userToken(user);
    List<Thread> threads = new ArrayList<>();
    List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 12; i++) {
      Thread t = new Thread(() -> statuses.add(f.put("same", token, "v").status()));
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(statuses).hasSize(12);
    assertThat(statuses.stream().filter(s -> s == 201)).hasSize(1);
    assertThat(statuses.stream().filter(s -> s == 200)).hasSize(11);
    assertThat(f.get("/api/v1/secrets/same", token).json().get("version").asLong()).isEqualTo(12);
    assertThat(f.decryptStored(user, "same")).isEqualTo(new byte[] {'v'});
  }

  /** Sends a raw HTTP/1.1 request and returns the whole response. */
  static String raw(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", f.server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      StringBuilder sb = new StringBuilder();
      int n;
      try {
        while ((n = in.read(buffer)) > 0) {
          sb.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
          if (sb.indexOf("\r\n\r\n") > 0 && sb.toString().contains("\"message\"")) {
            break;
          }
        }
      } catch (java.net.SocketException e) {
        // the server may reset the connection after answering
      }
      return sb.toString();
    }
  }
}
