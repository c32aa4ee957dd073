package io.nbsecrets.cli.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nbsecrets.tls.CaTrust;
import io.nbsecrets.tls.ServerNameTrust;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The secrets API as the user commands call it: one request per call, the token of the saved login,
 * failures mapped to {@link ExitCodes} with the API's own message. Values travel in request bodies
 * only, never in a URL, a message or a log line.
 */
final class SecretsApi {
  static final String SECRETS = "/api/v1/secrets";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final UserConfig config;
  private final HttpClient http;

  SecretsApi(UserConfig config) {
    this.base = baseUri(config.api(), true);
    this.config = config;
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1);
    try {
      // With tlsServerName the certificate must chain to the bundle and carry that name, whatever
      // host the URL names (as kubectl's tls-server-name, for a port-forward).
      b.sslContext(
          config.tlsServerName() != null
              ? ServerNameTrust.context(config.caBundle(), config.tlsServerName())
              : CaTrust.context(config.caBundle()));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCodes.USAGE, "the CA bundle: " + e.getMessage());
    } catch (IllegalStateException e) {
      throw new CliFailure(ExitCodes.FAILED, e.getMessage());
    }
    this.http = b.build();
  }

  /**
   * The API's base URL, checked: {@code https}, or {@code http} to a loopback address only (dev
   * mode), so that a token never crosses a network in the clear.
   */
  static URI baseUri(String api, boolean allowLoopbackHttp) {
    URI uri;
    try {
      uri = URI.create(api.endsWith("/") ? api.substring(0, api.length() - 1) : api);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCodes.USAGE, "--api is not a URL: " + e.getMessage());
    }
    if (uri.getHost() == null || uri.getScheme() == null) {
      throw new CliFailure(
          ExitCodes.USAGE, "--api must be a URL such as https://secrets.example.org");
    }
    if ("https".equals(uri.getScheme())) {
      return uri;
    }
    if ("http".equals(uri.getScheme()) && allowLoopbackHttp && loopback(uri.getHost())) {
      return uri;
    }
    throw new CliFailure(
        ExitCodes.USAGE,
        "--api must be https:// (http:// only to this machine, as dev mode listens): a token must"
            + " not cross a network in the clear");
  }

  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The user's secrets: {@code {"items": [...]}} as the API answers. */
  JsonNode list() {
    return send("GET", SECRETS, null).body();
  }

  /** One secret's metadata, or empty when there is none. */
  Optional<JsonNode> get(String name) {
    Answer a = send("GET", path(name), null);
    return a.status() == 404 ? Optional.empty() : Optional.of(a.body());
  }

  /** Stores a value; the answer says whether it was created (201) or replaced (200). */
  Answer put(String name, byte[] value, boolean binary) {
    ObjectNode body = JSON.createObjectNode();
    if (binary) {
      body.put("value", Base64.getEncoder().encodeToString(value));
      body.put("encoding", "base64");
    } else {
      body.put("value", new String(value, StandardCharsets.UTF_8));
    }
    try {
      return send("PUT", path(name), JSON.writeValueAsBytes(body));
    } catch (IOException e) {
      throw new CliFailure(ExitCodes.FAILED, "cannot encode the request");
    }
  }

  /** Deletes a secret; false when there was none. */
  boolean delete(String name) {
    return send("DELETE", path(name), null).status() != 404;
  }

  private static String path(String name) {
    return SECRETS + "/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** An answer of the API: its status and JSON body (null for 204). */
  record Answer(int status, JsonNode body) {}

  private Answer send(String method, String path, byte[] body) {
    String token = config.currentToken();
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(TIMEOUT)
            .header("Authorization", "Bearer " + token)
            .header("Accept", "application/json");
    if (body != null) {
      r.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    } else {
      r.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<byte[]> response;
    try {
      response = http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      throw new CliFailure(ExitCodes.UNAVAILABLE, "the API at " + base + " did not answer in time");
    } catch (SSLException e) {
      throw new CliFailure(
          ExitCodes.UNAVAILABLE,
          "TLS with "
              + base
              + " failed ("
              + e.getMessage()
              + "); is the CA right? (nbsecrets login --ca-file)");
    } catch (ConnectException e) {
      throw new CliFailure(ExitCodes.UNAVAILABLE, "cannot connect to the API at " + base);
    } catch (IOException e) {
      throw new CliFailure(
          ExitCodes.UNAVAILABLE,
          "cannot reach the API at " + base + " (" + e.getClass().getSimpleName() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(ExitCodes.FAILED, "interrupted");
    }
    JsonNode json = parse(response.body());
    int status = response.statusCode();
    if (status / 100 == 2 || status == 404 && path.startsWith(SECRETS + "/")) {
      return new Answer(status, json); // a missing secret is the caller's to report
    }
    String message =
        json != null && json.path("message").isTextual()
            ? json.path("message").asText()
            : "HTTP " + status;
    throw switch (status) {
      case 401, 403 ->
          new CliFailure(
              ExitCodes.NOT_AUTHENTICATED,
              "the API refused the token (" + status + ": " + message + "); log in again");
      case 400, 413 -> new CliFailure(ExitCodes.USAGE, message);
      case 502, 503, 504 ->
          new CliFailure(ExitCodes.UNAVAILABLE, "the API cannot answer now: " + message);
      default -> new CliFailure(ExitCodes.FAILED, "the API answered " + status + ": " + message);
    };
  }

  private static JsonNode parse(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }
}
