package io.nbsecrets.init;

import io.nbsecrets.model.FlatJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Obtains the user's key from the secrets API by presenting the pod's own projected token, over
 * HTTPS verified against {@link ApiTrust} (plain HTTP only when the trust allows it).
 */
public final class UserKeyClient {
  public static final String PATH = "/api/v1/init/user-key";
  private static final int MAX_RESPONSE_BYTES = 64 * 1024;

  private final URL endpoint;
  private final ApiTrust trust;
  private final SSLContext tls;
  private final int attempts;
  private final Duration backoff;

  public UserKeyClient(String apiUrl, ApiTrust trust, int attempts, Duration backoff)
      throws InitException {
    URI uri;
    try {
      uri = URI.create(apiUrl.replaceAll("/+$", "") + PATH);
      this.endpoint = uri.toURL();
    } catch (IllegalArgumentException | IOException e) {
      throw new InitException("--api-url is not a URL: " + apiUrl);
    }
    this.trust = trust;
    if ("https".equalsIgnoreCase(uri.getScheme())) {
      this.tls = trust.sslContext();
    } else if ("http".equalsIgnoreCase(uri.getScheme())) {
      if (!trust.allowInsecureHttp()) {
        throw new InitException(
            "refusing plain HTTP to "
                + apiUrl
                + ": the user key must travel over HTTPS (the operator passes"
                + " --allow-insecure-http only in development)");
      }
      this.tls = null;
    } else {
      throw new InitException("--api-url must be https:// (or http:// in development): " + apiUrl);
    }
    this.attempts = attempts;
    this.backoff = backoff;
  }

  /**
   * The user and their Fernet key; retries connection errors, 5xx and 429 (after the seconds its
   * {@code Retry-After} asks, up to {@link #MAX_RETRY_AFTER}), fails fast on other 4xx.
   */
  public UserKey fetch(String podToken) throws InitException {
    String lastProblem = "no attempt made";
    for (int attempt = 1; attempt <= attempts; attempt++) {
      Duration pause = backoff.multipliedBy(attempt);
      HttpURLConnection connection = null;
      try {
        connection = open();
        connection.setRequestProperty("Authorization", "Bearer " + podToken);
        int status = connection.getResponseCode();
        String body =
            read(status < 400 ? connection.getInputStream() : connection.getErrorStream());
        if (status == 200) {
          Map<String, String> json = FlatJson.object(body);
          if (json.get("user") == null || json.get("key") == null) {
            throw new InitException("the secrets API answered without a user key");
          }
          return new UserKey(json.get("user"), json.get("key"));
        }
        lastProblem = "HTTP " + status + " " + errorMessage(body);
        if (status == 429) {
          // Too many refused tokens came from this pod's address, which it shares with others
          // (a proxy, a mesh sidecar): this token is not refused, it is not asked about yet.
          Duration asked = retryAfter(connection.getHeaderField("Retry-After"));
          pause = asked.compareTo(pause) > 0 ? asked : pause;
        } else if (status < 500) {
          throw new InitException(
              "UserKeyRefused", "the secrets API refused the user key: " + lastProblem);
        }
      } catch (SSLException e) {
        // A certificate that does not verify will not verify on the next try either.
        throw tlsFailure(e);
      } catch (IOException e) {
        if (String.valueOf(e.getMessage()).startsWith("HTTPS hostname wrong")) {
          throw tlsFailure(e); // HttpsURLConnection's own words for a name not in the certificate
        }
        lastProblem = "cannot reach " + endpoint + ": " + e.getMessage();
      } finally {
        if (connection != null) {
          connection.disconnect();
        }
      }
      sleep(pause);
    }
    throw new InitException(
        "ApiUnreachable", "no user key after " + attempts + " attempts: " + lastProblem);
  }

  /** The longest wait a {@code Retry-After} gets. */
  static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(30);

  /**
   * A {@code Retry-After} of seconds, at most {@link #MAX_RETRY_AFTER}; zero when absent or not
   * seconds.
   */
  static Duration retryAfter(String header) {
    if (header == null || !header.trim().matches("[0-9]{1,9}")) {
      return Duration.ZERO;
    }
    Duration asked = Duration.ofSeconds(Long.parseLong(header.trim()));
    return asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
  }

  private InitException tlsFailure(IOException e) {
    return new InitException(
        "ApiCertificateRefused",
        "the secrets API at "
            + endpoint.getHost()
            + " failed TLS verification ("
            + e.getMessage()
            + "); is the CA bundle current, and --api-url the API's Service name?");
  }

  private HttpURLConnection open() throws IOException {
    HttpURLConnection connection = (HttpURLConnection) endpoint.openConnection();
    if (connection instanceof HttpsURLConnection https) {
      https.setSSLSocketFactory(tls.getSocketFactory());
      https.setHostnameVerifier(trust.hostnameVerifier());
    }
    connection.setRequestMethod("POST");
    connection.setConnectTimeout(5_000);
    connection.setReadTimeout(10_000);
    connection.setInstanceFollowRedirects(false);
    connection.setUseCaches(false);
    connection.setRequestProperty("Accept", "application/json");
    connection.setDoOutput(true);
    connection.setFixedLengthStreamingMode(0);
    return connection;
  }

  private static String read(InputStream in) throws IOException {
    if (in == null) {
      return "";
    }
    try (in) {
      return new String(in.readNBytes(MAX_RESPONSE_BYTES), StandardCharsets.UTF_8);
    }
  }

  private static String errorMessage(String body) {
    try {
      String message = FlatJson.object(body).get("message");
      return message != null ? "(" + message + ")" : "";
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
