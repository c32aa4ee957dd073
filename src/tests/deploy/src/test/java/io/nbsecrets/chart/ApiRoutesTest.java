package io.nbsecrets.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.nbsecrets.api.ApiConfig;
import io.nbsecrets.api.ApiServer;
import io.nbsecrets.api.SecretService;
import io.nbsecrets.api.UserKeyService;
import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.store.InMemorySecretStore;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * How users reach the API from outside the cluster: the chart's Ingress, or its Gateway API
 * HTTPRoute and BackendTLSPolicy (rendered here; accepted by a real API server with the Gateway
 * API's CRDs in {@code ApiRoutesOnApiServerTest}).
 */
class ApiRoutesTest {
  private static final String API = ChartRendering.RELEASE + "-api";

  @Test
  void noRouteUnlessAsked() {
    List<HasMetadata> objects = ChartRendering.objects("", Map.of());
    assertThat(ChartRendering.ofType(objects, Ingress.class)).isEmpty();
    assertThat(objects).noneMatch(o -> o.getApiVersion().startsWith("gateway.networking.k8s.io/"));
  }

  @Test
  void anIngressSendsUsersPathsToTheApisHttpsPortAndNotTheClustersOwn() {
    List<HasMetadata> objects =
        ChartRendering.objects(
            """
            api:
              ingress:
                enabled: true
                className: nginx
                host: secrets.example.org
                annotations:
                  nginx.ingress.kubernetes.io/backend-protocol: HTTPS
                tls:
                  - secretName: secrets-tls
            """,
            Map.of());
    Ingress ingress = ChartRendering.named(objects, Ingress.class, API);
    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry("nginx.ingress.kubernetes.io/backend-protocol", "HTTPS");
    assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
    assertThat(ingress.getSpec().getTls())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getSecretName()).isEqualTo("secrets-tls");
              assertThat(t.getHosts()).containsExactly("secrets.example.org");
            });
    var rule = ingress.getSpec().getRules().get(0);
    assertThat(rule.getHost()).isEqualTo("secrets.example.org");
    for (var path : rule.getHttp().getPaths()) {
      IngressBackend backend = path.getBackend();
      assertThat(backend.getService().getName()).isEqualTo(API);
      assertThat(backend.getService().getPort().getName()).isEqualTo("https");
    }
    List<String[]> paths =
        rule.getHttp().getPaths().stream()
            .map(p -> new String[] {p.getPathType(), p.getPath()})
            .toList();
    assertRoutesOnlyWhatUsersNeed(paths);
    // The port it names is the API Service's.
    var service = ChartRendering.named(objects, io.fabric8.kubernetes.api.model.Service.class, API);
    assertThat(service.getSpec().getPorts()).anyMatch(p -> p.getName().equals("https"));
  }

  @Test
  void anHttpRouteAndABackendTlsPolicyThatVerifiesTheApisOwnCa() {
    List<HasMetadata> objects =
        ChartRendering.objects(
            """
            api:
              httpRoute:
                enabled: true
                parentRefs: [{name: public, namespace: gateways}]
                hostnames: [secrets.example.org]
            """,
            Map.of());
    GenericKubernetesResource route = generic(objects, "HTTPRoute");
    assertThat(route.getApiVersion()).isEqualTo("gateway.networking.k8s.io/v1");
    assertThat(route.get("spec", "parentRefs").toString()).contains("public", "gateways");
    assertThat(route.get("spec", "hostnames").toString()).isEqualTo("[secrets.example.org]");
    assertThat(route.get("spec", "rules").toString())
        .contains("backendRefs=[{name=" + API + ", port=8443}]");
    List<Map<String, Object>> rules = route.get("spec", "rules");
    assertThat(rules).hasSize(1);
    @SuppressWarnings("unchecked")
    List<Map<String, Map<String, String>>> matches =
        (List<Map<String, Map<String, String>>>) rules.get(0).get("matches");
    assertRoutesOnlyWhatUsersNeed(
        matches.stream()
            .map(m -> m.get("path"))
            .map(
                p ->
                    new String[] {
                      p.get("type").equals("PathPrefix") ? "Prefix" : p.get("type"), p.get("value")
                    })
            .toList());

    GenericKubernetesResource policy = generic(objects, "BackendTLSPolicy");
    assertThat(policy.get("spec", "targetRefs").toString())
        .contains("kind=Service", "name=" + API, "sectionName=https");
    assertThat(policy.get("spec", "validation", "caCertificateRefs").toString())
        .contains("kind=ConfigMap", "name=nbsecrets-api-ca-bundle");
    assertThat((String) policy.get("spec", "validation", "hostname"))
        .isEqualTo(API + "." + ChartRendering.NAMESPACE + ".svc");

    // Without TLS on the API (development), no policy: there is nothing to verify.
    List<HasMetadata> plain =
        ChartRendering.objects(
            """
            api:
              tls: {mode: none}
              httpRoute:
                enabled: true
                parentRefs: [{name: public}]
            """,
            Map.of());
    assertThat(generic(plain, "HTTPRoute")).isNotNull();
    assertThat(plain).noneMatch(o -> o.getKind().equals("BackendTLSPolicy"));
  }

  @Test
  void whatARouteNeedsIsRequiredWithAMessageThatNamesIt() {
    assertThatThrownBy(() -> ChartRendering.render("api: {ingress: {enabled: true}}"))
        .hasMessageContaining("api.ingress.host is required when api.ingress.enabled is true");
    assertThatThrownBy(() -> ChartRendering.render("api: {httpRoute: {enabled: true}}"))
        .hasMessageContaining(
            "api.httpRoute.parentRefs is required when api.httpRoute.enabled is true");
    assertThatThrownBy(() -> ChartRendering.render("api: {ingress: {enabled: true, hostname: x}}"))
        .hasMessageContaining("hostname");
  }

  /** The routes a user's CLI and page call, as a request names them. */
  private static final List<String> USERS_ROUTES =
      List.of(
          ApiServer.ROUTE_SECRETS,
          ApiServer.ROUTE_SECRET.replace("{name}", "DB_PASSWORD"),
          ApiServer.ROUTE_LIMITS,
          ApiServer.ROUTE_OPENAPI,
          "/",
          "/app.js",
          "/app.css");

  /** The cluster's own routes: the probes, the metrics, the init containers' route. */
  private static final List<String> CLUSTERS_ROUTES =
      List.of(
          ApiServer.ROUTE_HEALTHZ,
          ApiServer.ROUTE_READYZ,
          ApiServer.ROUTE_METRICS,
          ApiServer.ROUTE_INIT_USER_KEY);

  /**
   * Every route the API server answers is one of the two lists above: a route added to the server
   * fails this test until it is said whether users reach it from outside the cluster (and the
   * chart's Ingress and HTTPRoute are made to route it, or not).
   */
  @Test
  void everyRouteTheApiServerAnswersIsEitherTheUsersOrTheClustersOwn() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    InMemorySecretStore store = new InMemorySecretStore();
    UserKeyService userKeys = new UserKeyService(store, PlatformKey.generate());
    try (ApiServer server =
        ApiServer.builder()
            .secrets(
                new SecretService(
                    store,
                    userKeys,
                    SessionPublicKey.of(rsa.generateKeyPair().getPublic()),
                    ApiConfig.defaults()))
            .userKeys(userKeys)
            .authenticator((token, audiences) -> Optional.empty())
            .http(h -> h.host("127.0.0.1").port(0))
            .start()) {
      assertThat(server.routes().keySet())
          .isNotEmpty()
          .allSatisfy(
              template -> {
                String request = template.replace("{name}", "DB_PASSWORD");
                assertThat(USERS_ROUTES.contains(request) || CLUSTERS_ROUTES.contains(request))
                    .as("the route %s is neither the users' nor the cluster's own", template)
                    .isTrue();
              });
    }
  }

  /**
   * {@code paths} ({@code [pathType, path]}, as an Ingress matches them) reach every route a user
   * needs ({@link #USERS_ROUTES}) and none that is the cluster's own ({@link #CLUSTERS_ROUTES}), or
   * a path that only starts like a user's.
   */
  private static void assertRoutesOnlyWhatUsersNeed(List<String[]> paths) {
    for (String user : USERS_ROUTES) {
      assertThat(paths).as(user).anyMatch(p -> matches(p, user));
    }
    List<String> internal = new ArrayList<>(CLUSTERS_ROUTES);
    internal.addAll(List.of("/api/v1/secretsX", "/metrics/"));
    for (String path : internal) {
      assertThat(paths).as(path).noneMatch(p -> matches(p, path));
    }
  }

  /** Whether an Ingress path ({@code [pathType, path]}) matches {@code request}'s path. */
  private static boolean matches(String[] path, String request) {
    return switch (path[0]) {
      case "Exact" -> request.equals(path[1]);
      // Element by element: /api/v1/secrets matches /api/v1/secrets/x, not /api/v1/secretsX.
      case "Prefix" -> request.equals(path[1]) || request.startsWith(path[1] + "/");
      default -> throw new AssertionError("path type " + path[0]);
    };
  }

  private static GenericKubernetesResource generic(List<HasMetadata> objects, String kind) {
    return objects.stream()
        .filter(o -> o.getKind().equals(kind))
        .map(o -> ChartRendering.SERIALIZATION.convertValue(o, GenericKubernetesResource.class))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " rendered"));
  }
}
