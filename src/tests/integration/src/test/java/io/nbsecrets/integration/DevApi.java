package io.nbsecrets.integration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.nbsecrets.dev.DevEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/**
 * A user's calls to the secrets API of a {@link DevEnvironment}, and a patient retry (public: the
 * benchmark commands use it too).
 */
public final class DevApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private DevApi() {}

  /** Retries every 0.3–2 s without a limit: the tests wait for recovery, not for a give-up. */
  static GenericRetry patientRetry() {
    return new GenericRetry()
        .setInitialInterval(300)
        .setIntervalMultiplier(1.5)
        .setMaxInterval(2000)
        .withoutMaxAttempts();
  }

  /** {@code PUT /api/v1/secrets/NAME} as {@code user}; the HTTP status. */
  public static int put(DevEnvironment env, String user, String name, String value)
      throws Exception {
    return HTTP.send(
            request(env, user, name)
                .header("Content-Type", "application/json")
                .PUT(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(Map.of("value", value))))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** {@code DELETE /api/v1/secrets/NAME} as {@code user}; the HTTP status. */
  static int delete(DevEnvironment env, String user, String name) throws Exception {
    return HTTP.send(
            request(env, user, name).DELETE().build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** {@code GET /api/v1/secrets/NAME} as {@code user}: what the API shows about the secret. */
  static JsonNode get(DevEnvironment env, String user, String name) throws Exception {
    HttpResponse<String> r =
        HTTP.send(request(env, user, name).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + name + " answered " + r.statusCode());
    }
    return JSON.readTree(r.body());
  }

  private static HttpRequest.Builder request(DevEnvironment env, String user, String name) {
    return HttpRequest.newBuilder(URI.create(env.apiUrl() + "/api/v1/secrets/" + name))
        .timeout(java.time.Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + env.token(user));
  }
}
