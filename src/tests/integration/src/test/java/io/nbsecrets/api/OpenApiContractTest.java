package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbsecrets.api.ApiFixture.Reply;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreUnavailableException;
import java.lang.reflect.Proxy;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OpenAPI document served at {@code /api/v1/openapi.json} is true: its paths and methods are
 * exactly the server's routes; every status code it names for an operation is produced by a real
 * request to the real server, and every answer a request gets is documented — by its status, or by
 * {@code default} — with a body of the documented schema (checked by a validator of the JSON Schema
 * subset the document uses, which fails on any keyword it does not know).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiContractTest {
  private ApiFixture f;
  private ApiFixture down;
  private ApiFixture limited;
  private JsonNode doc;

  /** Operation ({@code METHOD template}) to the statuses the exchanges below produced. */
  private final Map<String, Set<String>> observed = new TreeMap<>();

  @BeforeAll
  void start() {
    f = new ApiFixture(ApiConfig.defaults().withMaxSecretsPerUser(2));
    // A second server whose store is down (503) and whose readiness fails.
    SecretStore broken =
        (SecretStore)
            Proxy.newProxyInstance(
                SecretStore.class.getClassLoader(),
                new Class<?>[] {SecretStore.class},
                (proxy, method, args) -> {
                  throw new StoreUnavailableException("store unavailable (simulated)", null);
                });
    UserKeyService brokenKeys =
        new UserKeyService(broken, io.nbsecrets.crypto.PlatformKey.generate());
    down =
        new ApiFixture(
            ApiConfig.defaults(),
            b ->
                b.secrets(
                        new SecretService(
                            broken,
                            brokenKeys,
                            io.nbsecrets.crypto.SessionPublicKey.of(
                                ApiFixture.SESSION_KEYS.getPublic()),
                            ApiConfig.defaults()))
                    .userKeys(brokenKeys)
                    .readiness(() -> false));
    // A third whose clients may have one token refused, then one more in 1,000 s (429).
    limited = new ApiFixture(ApiConfig.defaults(), b -> b.refusedTokens(1, 0.001));
  }

  @AfterAll
  void stop() {
    if (f != null) {
      f.close();
    }
    if (down != null) {
      down.close();
    }
    if (limited != null) {
      limited.close();
    }
  }

  @Test
  void theDocumentDescribesEveryRouteStatusAndAnswer() throws Exception {
    Reply served = f.get(ApiServer.ROUTE_OPENAPI, null);
    assertThat(served.status()).isEqualTo(200);
    assertThat(served.header("Content-Type")).startsWith("application/json");
    doc = served.json();
    assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");

    // Paths and methods: exactly the server's routes.
    Map<String, Set<String>> documented = new TreeMap<>();
    doc.path("paths")
        .properties()
        .forEach(
            p -> {
              Set<String> methods = new TreeSet<>();
              p.getValue()
                  .fieldNames()
                  .forEachRemaining(
                      m -> {
                        if (!m.equals("parameters")) {
                          methods.add(m.toUpperCase(java.util.Locale.ROOT));
                        }
                      });
              documented.put(p.getKey(), methods);
            });
    Map<String, Set<String>> routes = new TreeMap<>();
    f.server.routes().forEach((t, m) -> routes.put(t, new TreeSet<>(m)));
    assertThat(documented).isEqualTo(routes);

    String alice = f.userToken("alice");
    String secret = "/api/v1/secrets/TOKEN";
    // listSecrets
    check("GET", ApiServer.ROUTE_SECRETS, f.get(ApiServer.ROUTE_SECRETS, alice));
    check("GET", ApiServer.ROUTE_SECRETS, f.get(ApiServer.ROUTE_SECRETS, null));
    check("GET", ApiServer.ROUTE_SECRETS, f.get(ApiServer.ROUTE_SECRETS, "not-a-token"));
    check(
        "GET",
        ApiServer.ROUTE_SECRETS,
        f.get(ApiServer.ROUTE_SECRETS, f.authority.userToken("system:admin", List.of())));
    check(
        "GET", ApiServer.ROUTE_SECRETS, down.get(ApiServer.ROUTE_SECRETS, down.userToken("alice")));
    // putSecret
    check("PUT", ApiServer.ROUTE_SECRET, f.put("TOKEN", alice, "v1"));
    Reply replaced = f.put("TOKEN", alice, "v2");
    check("PUT", ApiServer.ROUTE_SECRET, replaced);
    assertThat(replaced.status()).isEqualTo(200);
    check("PUT", ApiServer.ROUTE_SECRET, f.put("OTHER", alice, "v"));
    check("PUT", ApiServer.ROUTE_SECRET, f.put("THIRD", alice, "v")); // 409: at most 2
    check("PUT", ApiServer.ROUTE_SECRET, f.put("..bad", alice, "v"));
    check("PUT", ApiServer.ROUTE_SECRET, f.put("TOKEN", null, "v"));
    check(
        "PUT",
        ApiServer.ROUTE_SECRET,
        f.put("TOKEN", f.authority.userToken("system:admin", List.of()), "v"));
    check("PUT", ApiServer.ROUTE_SECRET, f.put("TOKEN", alice, "x".repeat(200 * 1024)));
    check(
        "PUT",
        ApiServer.ROUTE_SECRET,
        f.send(
            HttpRequest.newBuilder(f.uri(secret))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + alice)
                .header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString("v"))
                .build()));
    check("PUT", ApiServer.ROUTE_SECRET, down.put("TOKEN", down.userToken("alice"), "v"));
    // getSecret, with its usage (lastUsedAt) filled
    f.store.recordUse("alice", List.of("TOKEN"), Instant.now());
    check("GET", ApiServer.ROUTE_SECRET, f.get(secret, alice));
    check("GET", ApiServer.ROUTE_SECRET, f.get("/api/v1/secrets/absent", alice));
    check("GET", ApiServer.ROUTE_SECRET, f.get("/api/v1/secrets/..x", alice));
    check("GET", ApiServer.ROUTE_SECRET, f.get(secret, null));
    check(
        "GET",
        ApiServer.ROUTE_SECRET,
        f.get(secret, f.authority.userToken("system:admin", List.of())));
    check("GET", ApiServer.ROUTE_SECRET, down.get(secret, down.userToken("alice")));
    // deleteSecret
    check("DELETE", ApiServer.ROUTE_SECRET, f.delete("OTHER", alice));
    check("DELETE", ApiServer.ROUTE_SECRET, f.delete("OTHER", alice));
    check("DELETE", ApiServer.ROUTE_SECRET, f.delete("..x", alice));
    check("DELETE", ApiServer.ROUTE_SECRET, f.delete("OTHER", null));
    check(
        "DELETE",
        ApiServer.ROUTE_SECRET,
        f.delete("OTHER", f.authority.userToken("system:admin", List.of())));
    check("DELETE", ApiServer.ROUTE_SECRET, down.delete("OTHER", down.userToken("alice")));
    // issueUserKey
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    check(
        "POST",
        ApiServer.ROUTE_INIT_USER_KEY,
        f.call("POST", ApiServer.ROUTE_INIT_USER_KEY, SessionWorld.podToken(f, w), null));
    check(
        "POST",
        ApiServer.ROUTE_INIT_USER_KEY,
        f.call("POST", ApiServer.ROUTE_INIT_USER_KEY, null, null));
    check(
        "POST",
        ApiServer.ROUTE_INIT_USER_KEY,
        f.call("POST", ApiServer.ROUTE_INIT_USER_KEY, alice, null));
    check(
        "POST",
        ApiServer.ROUTE_INIT_USER_KEY,
        down.call(
            "POST",
            ApiServer.ROUTE_INIT_USER_KEY,
            SessionWorld.podToken(down, SessionWorld.create(down, new SessionWorld.Spec())),
            null));
    // operations
    check("GET", ApiServer.ROUTE_OPENAPI, served);
    check("GET", ApiServer.ROUTE_HEALTHZ, f.get(ApiServer.ROUTE_HEALTHZ, null));
    check("GET", ApiServer.ROUTE_READYZ, f.get(ApiServer.ROUTE_READYZ, null));
    check("GET", ApiServer.ROUTE_READYZ, down.get(ApiServer.ROUTE_READYZ, null));
    check("GET", ApiServer.ROUTE_METRICS, f.get(ApiServer.ROUTE_METRICS, null));
    check("GET", ApiServer.ROUTE_LIMITS, f.get(ApiServer.ROUTE_LIMITS, null));
    for (String page : List.of("/", "/app.js", "/app.css")) {
      check("GET", page, f.get(page, null));
    }
    // Too many refused tokens from this address: its made-up tokens get 429 without a review.
    assertThat(limited.get(ApiServer.ROUTE_SECRETS, "made-up-0").status()).isEqualTo(401);
    check("GET", ApiServer.ROUTE_SECRETS, limited.get(ApiServer.ROUTE_SECRETS, "made-up-1"));
    check("GET", ApiServer.ROUTE_SECRET, limited.get("/api/v1/secrets/A", "made-up-2"));
    check("PUT", ApiServer.ROUTE_SECRET, limited.put("A", "made-up-3", "v"));
    check("DELETE", ApiServer.ROUTE_SECRET, limited.delete("A", "made-up-4"));
    check(
        "POST",
        ApiServer.ROUTE_INIT_USER_KEY,
        limited.call("POST", ApiServer.ROUTE_INIT_USER_KEY, "made-up-5", null));
    // What no route documents by status: the default answer, in the error shape.
    check(
        "DELETE", ApiServer.ROUTE_SECRETS, f.call("DELETE", ApiServer.ROUTE_SECRETS, alice, null));
    check("GET", "/api/v1/nothing", f.get("/api/v1/nothing", alice));

    // Every status the document names for an operation was produced by a request above.
    Map<String, Set<String>> named = new TreeMap<>();
    doc.path("paths")
        .properties()
        .forEach(
            p ->
                p.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          if (op.getKey().equals("parameters")) {
                            return;
                          }
                          Set<String> statuses = new TreeSet<>();
                          op.getValue()
                              .path("responses")
                              .fieldNames()
                              .forEachRemaining(
                                  s -> {
                                    if (!s.equals("default")) {
                                      statuses.add(s);
                                    }
                                  });
                          named.put(
                              op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + p.getKey(),
                              statuses);
                        }));
    Map<String, Set<String>> seen = new TreeMap<>(observed);
    seen.keySet().retainAll(named.keySet());
    assertThat(seen).as("statuses produced, by operation").isEqualTo(named);
  }

  /**
   * Checks one answer against the document: its status is named for the operation (or it falls to
   * {@code default}), and its body has the documented content type and schema.
   */
  private void check(String method, String template, Reply reply) {
    String status = Integer.toString(reply.status());
    JsonNode operation =
        doc.path("paths").path(template).path(method.toLowerCase(java.util.Locale.ROOT));
    JsonNode response;
    if (operation.isMissingNode()) {
      // No such operation: the server's generic answer, which every operation's default names.
      response = resolve(doc.at("/components/responses/Error"));
    } else {
      observed.computeIfAbsent(method + " " + template, k -> new TreeSet<>()).add(status);
      JsonNode byStatus = operation.path("responses").path(status);
      response =
          resolve(
              byStatus.isMissingNode() ? operation.path("responses").path("default") : byStatus);
    }
    assertThat(response.isMissingNode())
        .as("%s %s answered %s, which the document does not describe", method, template, status)
        .isFalse();
    JsonNode content = response.path("content");
    if (content.isMissingNode() || content.isEmpty()) {
      assertThat(reply.body()).as("%s %s %s has no body", method, template, status).isEmpty();
      return;
    }
    String type = reply.header("Content-Type");
    assertThat(type).as("%s %s %s content type", method, template, status).isNotNull();
    String mediaType = type.split(";")[0].trim();
    JsonNode media = content.path(mediaType);
    assertThat(media.isMissingNode())
        .as("%s %s %s answered %s, documented: %s", method, template, status, mediaType, content)
        .isFalse();
    JsonNode schema = media.path("schema");
    Object body = mediaType.equals("application/json") ? reply.json() : reply.body();
    List<String> problems = new ArrayList<>();
    validate(
        schema, body instanceof JsonNode n ? n : ApiFixture.JSON.valueToTree(body), "$", problems);
    assertThat(problems).as("%s %s %s body against its schema", method, template, status).isEmpty();
    JsonNode headers = response.path("headers");
    headers
        .fieldNames()
        .forEachRemaining(
            h ->
                assertThat(reply.header(h))
                    .as("%s %s %s header %s", method, template, status, h)
                    .isNotNull());
  }

  private JsonNode resolve(JsonNode node) {
    while (node.has("$ref")) {
      node = doc.at(node.get("$ref").asText().substring(1));
    }
    return node;
  }

  private static final Set<String> KEYWORDS =
      Set.of(
          "type",
          "required",
          "additionalProperties",
          "properties",
          "items",
          "enum",
          "minimum",
          "minLength",
          "maxLength",
          "pattern",
          "format",
          "description");

  /** A validator of the JSON Schema keywords the document uses; any other keyword fails. */
  private void validate(JsonNode declared, JsonNode value, String at, List<String> problems) {
    JsonNode schema = resolve(declared);
    for (Iterator<String> k = schema.fieldNames(); k.hasNext(); ) {
      String keyword = k.next();
      if (!KEYWORDS.contains(keyword)) {
        problems.add(at + ": the validator does not know the keyword " + keyword);
      }
    }
    String type = schema.path("type").asText("");
    switch (type) {
      case "object" -> {
        if (!value.isObject()) {
          problems.add(at + ": not an object");
          return;
        }
        schema
            .path("required")
            .forEach(
                r -> {
                  if (!value.has(r.asText())) {
                    problems.add(at + ": no " + r.asText());
                  }
                });
        Map<String, JsonNode> properties = new LinkedHashMap<>();
        schema
            .path("properties")
            .properties()
            .forEach(e -> properties.put(e.getKey(), e.getValue()));
        value
            .properties()
            .forEach(
                e -> {
                  JsonNode p = properties.get(e.getKey());
                  if (p != null) {
                    validate(p, e.getValue(), at + "." + e.getKey(), problems);
                  } else if (schema.path("additionalProperties").isBoolean()
                      && !schema.path("additionalProperties").asBoolean()) {
                    problems.add(at + ": unexpected " + e.getKey());
                  }
                });
      }
      case "array" -> {
        if (!value.isArray()) {
          problems.add(at + ": not an array");
          return;
        }
        for (int i = 0; i < value.size(); i++) {
          validate(schema.path("items"), value.get(i), at + "[" + i + "]", problems);
        }
      }
      case "string" -> {
        if (!value.isTextual()) {
          problems.add(at + ": not a string");
          return;
        }
        String s = value.asText();
        if (schema.has("minLength") && s.length() < schema.get("minLength").asInt()) {
          problems.add(at + ": shorter than " + schema.get("minLength"));
        }
        if (schema.has("maxLength") && s.length() > schema.get("maxLength").asInt()) {
          problems.add(at + ": longer than " + schema.get("maxLength"));
        }
        if (schema.has("pattern")
            && !Pattern.compile(schema.get("pattern").asText()).matcher(s).find()) {
          problems.add(at + ": does not match " + schema.get("pattern"));
        }
        if ("date-time".equals(schema.path("format").asText())) {
          try {
            java.time.OffsetDateTime.parse(s);
          } catch (java.time.format.DateTimeParseException e) {
            problems.add(at + ": not a date-time: " + s);
          }
        }
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          problems.add(at + ": not an integer");
        } else if (schema.has("minimum") && value.asLong() < schema.get("minimum").asLong()) {
          problems.add(at + ": below " + schema.get("minimum"));
        }
      }
      default -> problems.add(at + ": the validator does not know the type " + type);
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode e : schema.get("enum")) {
        listed |= e.equals(value);
      }
      if (!listed) {
        problems.add(at + ": " + value + " is not one of " + schema.get("enum"));
      }
    }
  }
}
