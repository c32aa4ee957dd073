package io.nbsecrets.init;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Obtains the user's key from the secrets API by presenting the pod's own projected token. */
public final class UserKeyClient {
  public static final String PATH = "/api/v1/init/user-key";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI endpoint;
  private final int attempts;
  private final Duration backoff;

  public UserKeyClient(String apiUrl, int attempts, Duration backoff) {
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.endpoint = URI.create(apiUrl.replaceAll("/+$", "") + PATH);
    this.attempts = attempts;
    this.backoff = backoff;
  }

  /** The user and their Fernet key; retries connection errors and 5xx, fails fast on 4xx. */
  public UserKey fetch(String podToken) throws InitException {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + podToken)
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    String lastProblem = "no attempt made";
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          JsonNode body = JSON.readTree(response.body());
          if (!body.hasNonNull("user") || !body.hasNonNull("key")) {
            throw new InitException("the secrets API answered without a user key");
          }
          return new UserKey(body.get("user").asText(), body.get("key").asText());
        }
        lastProblem = "HTTP " + response.statusCode() + " " + errorMessage(response.body());
        if (response.statusCode() < 500) {
          throw new InitException(
              "UserKeyRefused", "the secrets API refused the user key: " + lastProblem);
        }
      } catch (IOException e) {
        lastProblem = "cannot reach " + endpoint + ": " + e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InitException("interrupted while fetching the user key");
      }
      sleep(backoff.multipliedBy(attempt));
    }
    throw new InitException(
        "ApiUnreachable", "no user key after " + attempts + " attempts: " + lastProblem);
  }

  private static String errorMessage(String body) {
    try {
      JsonNode node = JSON.readTree(body);
      return node.hasNonNull("message") ? "(" + node.get("message").asText() + ")" : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void sleep(Duration d) throws InitException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InitException("interrupted while fetching the user key");
    }
  }

  /** A user's key. {@link #toString()} hides it. */
  public record UserKey(String user, String key) {
    @Override
    public String toString() {
      return "UserKey{user=" + user + "}";
    }
  }
}
