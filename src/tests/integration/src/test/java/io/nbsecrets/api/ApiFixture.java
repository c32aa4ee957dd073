package io.nbsecrets.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.dev.FakeTokenAuthority;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.NotebookSessionStatus;
import io.nbsecrets.store.InMemorySecretStore;
import io.nbsecrets.store.StoredSecret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * A running secrets API wired as in production: real crypto (2048-bit session keys), the in-memory
 * store, the Fabric8 mock API server with {@link FakeTokenAuthority} behind the real {@link
 * TokenReviewAuthenticator} and {@link SessionPodResolver}, and a Prometheus registry.
 */
final class ApiFixture implements AutoCloseable {
  /** One session key pair per JVM: RSA key generation is the slow part of a fixture. */
  static final KeyPair SESSION_KEYS = RsaKeys.generate(2048);

  static final ObjectMapper JSON = new ObjectMapper();

  final ApiConfig config;
  final KubernetesMockServer mock;
  final KubernetesClient client;
  final FakeTokenAuthority authority = new FakeTokenAuthority();
  final InMemorySecretStore store = new InMemorySecretStore();
  final PlatformKey platformKey = PlatformKey.generate();
  final SessionPublicKey sessionKey = SessionPublicKey.of(SESSION_KEYS.getPublic());
  final UserKeyService userKeys;
  final SecretService secrets;
  final TokenReviewAuthenticator authenticator;
  final SessionIndex sessions;
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final ApiServer server;
  final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  ApiFixture() {
    this(ApiConfig.defaults());
  }

  ApiFixture(ApiConfig config) {
    this(config, b -> {});
  }

  /** {@code customize} may change the wiring before the server starts. */
  ApiFixture(ApiConfig config, Consumer<ApiServer.Builder> customize) {
    this.config = config;
    mock = FakeTokenAuthority.newMockServer();
    mock.start();
    authority.install(mock);
    client = mock.createClient();
    userKeys = new UserKeyService(store, platformKey);
    secrets = new SecretService(store, userKeys, sessionKey, config);
    authenticator = new TokenReviewAuthenticator(client);
    sessions = SessionIndex.start(client, List.of());
    try {
      ApiServer.Builder builder =
          ApiServer.builder()
              .config(config)
              .secrets(secrets)
              .userKeys(userKeys)
              .authenticator(authenticator)
              .podResolver(new SessionPodResolver(client))
              .sessionUsage(sessions)
              .meterRegistry(registry)
              .http(h -> h.host("127.0.0.1").port(0).shutdownGrace(Duration.ofSeconds(2)));
      customize.accept(builder);
      server = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  String userToken(String user) {
    return authority.userToken(user, List.of("users"));
  }

  /** An HTTP exchange's outcome. */
  record Reply(int status, HttpHeaders headers, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  Reply call(String method, String path, String token, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return send(b.build());
  }

  Reply send(HttpRequest request) {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A session (and its namespace, when new) whose status says which versions its snapshot holds, as
   * the operator writes it: what the API's session cache reads for {@code usedBy}.
   */
  void sessionWithSnapshot(String ns, String name, String user, List<MountedSecret> mounted) {
    if (client.namespaces().withName(ns).get() == null) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();
    }
    NotebookSession session = new NotebookSession();
    session.getMetadata().setName(name);
    session.getMetadata().setNamespace(ns);
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(user);
    spec.setImage("jupyter/base-notebook");
    session.setSpec(spec);
    session = client.resources(NotebookSession.class).inNamespace(ns).resource(session).create();
    NotebookSessionStatus status = new NotebookSessionStatus();
    status.setSecrets(mounted);
    session.setStatus(status);
    client.resources(NotebookSession.class).inNamespace(ns).resource(session).updateStatus();
  }

  Reply get(String path, String token) {
    return call("GET", path, token, null);
  }

  Reply put(String name, String token, String value) {
    return call("PUT", "/api/v1/secrets/" + name, token, valueBody(value));
  }

  Reply delete(String name, String token) {
    return call("DELETE", "/api/v1/secrets/" + name, token, null);
  }

  static String valueBody(String value) {
    try {
      return JSON.writeValueAsString(java.util.Map.of("value", value));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The stored value, decrypted with both the session private key and the user's key. */
  byte[] decryptStored(String user, String name) {
    StoredSecret record = store.get(user, List.of(name)).get(name);
    byte[] inner =
        Envelope.open(
            SessionKeyRing.ofRsa(List.of(SESSION_KEYS.getPrivate())), user, name, record.sealed());
    String userKey = userKeys.find(user).orElseThrow();
    return Fernet.fromKey(userKey).decrypt(new String(inner, StandardCharsets.US_ASCII));
  }

  @Override
  public void close() {
    server.close();
    sessions.close();
    client.close();
    mock.destroy();
    registry.close();
  }
}
